from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0010_couple_admitted_in_span"),
    ]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed"),
                    ("withdrawn", "Withdrawn"),
                    ("expired", "Expired"),
                ],
                default="queued",
                max_length=20,
            ),
        ),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                condition=models.Q(("status__in", ["failed", "expired"])),
                fields=["due_at"],
                name="notification_undelivered",
            ),
        ),
    ]
