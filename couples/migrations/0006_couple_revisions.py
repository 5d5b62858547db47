"""Each couple's revision: a table that database triggers kept for a cache of rendered pages.

The cache, the triggers and the table are gone (0008_drop_couple_revisions). This migration
once also installed the triggers on the tables of goals, sessions and insurance, and depended
on their migrations; it now only creates the table, so that couples depends on no other app. A
database that applied the old version keeps its triggers until 0008 drops them.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("couples", "0005_notifications"),
    ]

    operations = [
        migrations.CreateModel(
            name="CoupleRevision",
            fields=[
                (
                    "couple",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="revision",
                        serialize=False,
                        to="couples.couple",
                    ),
                ),
                ("value", models.BigIntegerField(default=0)),
            ],
        ),
    ]
