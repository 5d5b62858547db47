from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0012_cache_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="partner",
            name="welcomed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
