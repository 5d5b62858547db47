from django.db import migrations

# PostgreSQL refuses UPDATE and DELETE on the audit log, whoever connects.
# SQLite (laptops) relies on the model's save()/delete() guards.
CREATE = """
CREATE OR REPLACE FUNCTION couples_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER couples_auditevent_append_only
    BEFORE UPDATE OR DELETE ON couples_auditevent
    FOR EACH ROW EXECUTE FUNCTION couples_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS couples_auditevent_append_only ON couples_auditevent;
DROP FUNCTION IF EXISTS couples_auditevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("couples", "0001_initial")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
