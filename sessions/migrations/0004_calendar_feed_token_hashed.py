"""Calendar feed tokens are kept only as their SHA-256: the addresses already given out keep
working (their hash is computed here), and the tokens themselves leave the database."""

import hashlib

from django.db import migrations, models


def tokens_hash(apps, schema_editor):
    CalendarFeed = apps.get_model("therapy_sessions", "CalendarFeed")
    for feed in CalendarFeed.objects.all().only("pk", "token"):
        feed.token_hash = hashlib.sha256(feed.token.encode()).hexdigest()
        feed.save(update_fields=["token_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("therapy_sessions", "0003_caseload_covering_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(tokens_hash, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="calendarfeed", name="token"),
        migrations.AlterField(
            model_name="calendarfeed",
            name="token_hash",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
