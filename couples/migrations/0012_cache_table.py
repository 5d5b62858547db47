"""The database cache's table (settings.CACHES), made by every `migrate`.

allauth keeps login rate limits and used TOTP codes in the cache, so no sign-in works without
this table; `manage.py createcachetable` used to be a separate step that only `make run` took.
It creates a table for each database cache in the settings and leaves existing ones alone, so
running it again (or with a later cache added) is safe. Reversing leaves the table: it holds
nothing the schema depends on.
"""

from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0011_notification_expired"),
    ]

    operations = [
        migrations.RunPython(cache_table_create, migrations.RunPython.noop),
    ]
