"""A note links the plan objectives it addressed; like its entries, the links of a note that is
no longer a draft cannot be added, changed or removed, whoever connects (0002's guard,
extended to the link table)."""

from django.db import migrations, models

OBJECTIVES = "The plan objectives of a signed session note cannot be changed"

POSTGRES = f"""
CREATE OR REPLACE FUNCTION notes_note_objectives_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM notes_note WHERE id = OLD.note_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION '{OBJECTIVES}';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM notes_note WHERE id = NEW.note_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION '{OBJECTIVES}';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notes_note_objectives_guard BEFORE INSERT OR UPDATE OR DELETE
    ON notes_note_objectives FOR EACH ROW EXECUTE FUNCTION notes_note_objectives_guard();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS notes_note_objectives_guard ON notes_note_objectives;
DROP FUNCTION IF EXISTS notes_note_objectives_guard();
"""

_NOT_DRAFT = "(SELECT status FROM notes_note WHERE id = {row}.note_id) <> 'draft'"
SQLITE = [
    f"""CREATE TRIGGER notes_note_objectives_no_insert BEFORE INSERT ON notes_note_objectives
    WHEN {_NOT_DRAFT.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{OBJECTIVES}'); END""",
    f"""CREATE TRIGGER notes_note_objectives_no_update BEFORE UPDATE ON notes_note_objectives
    WHEN {_NOT_DRAFT.format(row="OLD")} OR {_NOT_DRAFT.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{OBJECTIVES}'); END""",
    f"""CREATE TRIGGER notes_note_objectives_no_delete BEFORE DELETE ON notes_note_objectives
    WHEN {_NOT_DRAFT.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, '{OBJECTIVES}'); END""",
]
SQLITE_TRIGGERS = [statement.split()[2] for statement in SQLITE]


def create_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop_guard(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)
    elif vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0002_signed_notes_guard"),
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="note",
            name="objectives",
            field=models.ManyToManyField(
                blank=True, related_name="notes_addressing", to="plans.objective"
            ),
        ),
        migrations.RunPython(create_guard, drop_guard),
    ]
