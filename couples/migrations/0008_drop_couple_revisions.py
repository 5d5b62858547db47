"""Drop the couple revisions: the triggers that raised them, their functions, and the table.

Pages are drawn afresh on every request, so nothing keeps rendered parts under a revision any
more. The triggers are found by name in the database's own catalogue, so a database that never
had them (created after 0006 stopped installing them) has nothing to drop, and no other app's
table needs to exist yet.
"""

from django.db import migrations

# Every table that ever had revision triggers (the frozen list of the old 0006).
TABLES = (
    "couples_couple",
    "couples_partner",
    "couples_careassignment",
    "couples_sharingconsent",
    "couples_user",
    "couples_clinician",
    "goals_goal",
    "goals_goalacceptance",
    "goals_goalchangerequest",
    "goals_goaltransition",
    "goals_progressentry",
    "goals_checkin",
    "therapy_sessions_therapysession",
    "therapy_sessions_attendance",
    "therapy_sessions_sessionseries",
    "insurance_payer",
    "insurance_coverage",
    "insurance_benefit",
    "insurance_authorization",
    "insurance_coveragestatuschange",
    "insurance_coveragecard",
)
TRIGGERS = {
    f"{table}_revision_{event}" for table in TABLES for event in ("insert", "update", "delete")
}


def drop_triggers(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal"
            )
            found = [(name, table) for name, table in cursor.fetchall() if name in TRIGGERS]
            for name, table in found:
                schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
            for table in TABLES:
                schema_editor.execute(f'DROP FUNCTION IF EXISTS "{table}_revision"()')
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            for (name,) in cursor.fetchall():
                if name in TRIGGERS:
                    schema_editor.execute(f'DROP TRIGGER IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("couples", "0007_audit_moves_out")]

    operations = [
        # Going back leaves the triggers out: nothing reads the revisions any more.
        migrations.RunPython(drop_triggers, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(name="CoupleRevision"),
    ]
