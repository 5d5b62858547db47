"""PostgreSQL refuses TRUNCATE on the audit log, as it refuses UPDATE and DELETE.

One way out, for test suites that empty every table between tests: a superuser session that
sets `couples.audit_truncate = 'allowed'` (config/test_settings.py does, on its test
database). The application's own role is no superuser and, in production, has no TRUNCATE
privilege at all (README, Production).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION couples_auditevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('couples.audit_truncate', true) = 'allowed'
       AND (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: TRUNCATE is refused';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER couples_auditevent_no_truncate
    BEFORE TRUNCATE ON couples_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION couples_auditevent_no_truncate();
"""
DROP = """
DROP TRIGGER IF EXISTS couples_auditevent_no_truncate ON couples_auditevent;
DROP FUNCTION IF EXISTS couples_auditevent_no_truncate();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_second_factor_actions")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
