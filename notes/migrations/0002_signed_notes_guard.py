"""The database refuses to change a signed note, its entries or any addendum, whoever connects.

A draft changes freely. A draft becomes signed (or awaiting co-signature) in one update; a note
awaiting co-signature may only receive its co-signature (status, cosigned_at, cosigned_by), every
other column as it was; a signed note accepts no UPDATE and no DELETE. An entry of a note that is
no longer a draft cannot be added, changed or removed. An addendum is never changed or removed.

PostgreSQL: row triggers in PL/pgSQL (TRUNCATE, which test suites use to empty tables, fires no
row trigger). SQLite: triggers with RAISE(ABORT); `flush` on SQLite lifts them for its DELETEs
(notes/management/commands/flush.py).
"""

from django.db import migrations

# Every column of notes_note except those the co-signature sets. tests/notes/test_guard.py
# checks that this names every other column, so a new column cannot slip past the guard.
FROZEN_WHILE_AWAITING = (
    "id",
    "session_id",
    "kind",
    "couple_id",
    "partner_id",
    "format",
    "data",
    "subjective",
    "objective",
    "behavior",
    "intervention",
    "response",
    "assessment",
    "plan",
    "risk_level",
    "risk_note",
    "is_psychotherapy_note",
    "duration_minutes",
    "is_telehealth",
    "place_of_service",
    "author_id",
    "created_at",
    "signed_at",
    "signed_by_id",
    "cosigner_id",
)
SIGNED = "A signed session note cannot be changed"
ENTRY = "The entries of a signed session note cannot be changed"
ADDENDUM = "An addendum cannot be changed or removed"


def _changed(compare: str) -> str:
    return " OR ".join(compare.format(column=column) for column in FROZEN_WHILE_AWAITING)


POSTGRES = f"""
CREATE OR REPLACE FUNCTION notes_note_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN RAISE EXCEPTION '{SIGNED}'; END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'signed' THEN RAISE EXCEPTION '{SIGNED}'; END IF;
    IF OLD.status = 'awaiting_cosign' AND (
        NEW.status <> 'signed' OR NEW.cosigned_at IS NULL OR NEW.cosigned_by_id IS NULL
        OR {_changed("NEW.{column} IS DISTINCT FROM OLD.{column}")}
    ) THEN
        RAISE EXCEPTION '{SIGNED}';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notes_note_guard BEFORE UPDATE OR DELETE ON notes_note
    FOR EACH ROW EXECUTE FUNCTION notes_note_guard();

CREATE OR REPLACE FUNCTION notes_noteentry_guard() RETURNS trigger AS $$
DECLARE
    note_status text;
BEGIN
    SELECT status INTO note_status FROM notes_note
        WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.note_id ELSE NEW.note_id END;
    IF note_status IS DISTINCT FROM 'draft' AND note_status IS NOT NULL THEN
        RAISE EXCEPTION '{ENTRY}';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.note_id <> NEW.note_id THEN
        SELECT status INTO note_status FROM notes_note WHERE id = OLD.note_id;
        IF note_status <> 'draft' THEN RAISE EXCEPTION '{ENTRY}'; END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notes_noteentry_guard BEFORE INSERT OR UPDATE OR DELETE ON notes_noteentry
    FOR EACH ROW EXECUTE FUNCTION notes_noteentry_guard();

CREATE OR REPLACE FUNCTION notes_addendum_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{ADDENDUM}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER notes_addendum_guard BEFORE UPDATE OR DELETE ON notes_addendum
    FOR EACH ROW EXECUTE FUNCTION notes_addendum_guard();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS notes_note_guard ON notes_note;
DROP FUNCTION IF EXISTS notes_note_guard();
DROP TRIGGER IF EXISTS notes_noteentry_guard ON notes_noteentry;
DROP FUNCTION IF EXISTS notes_noteentry_guard();
DROP TRIGGER IF EXISTS notes_addendum_guard ON notes_addendum;
DROP FUNCTION IF EXISTS notes_addendum_guard();
"""

_ENTRY_NOT_DRAFT = "(SELECT status FROM notes_note WHERE id = {row}.note_id) <> 'draft'"
SQLITE = [
    f"""CREATE TRIGGER notes_note_signed_no_update BEFORE UPDATE ON notes_note
    WHEN OLD.status = 'signed'
    BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END""",
    f"""CREATE TRIGGER notes_note_awaiting_only_cosign BEFORE UPDATE ON notes_note
    WHEN OLD.status = 'awaiting_cosign' AND (
        NEW.status <> 'signed' OR NEW.cosigned_at IS NULL OR NEW.cosigned_by_id IS NULL
        OR {_changed("NEW.{column} IS NOT OLD.{column}")})
    BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END""",
    f"""CREATE TRIGGER notes_note_signed_no_delete BEFORE DELETE ON notes_note
    WHEN OLD.status <> 'draft'
    BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END""",
    f"""CREATE TRIGGER notes_noteentry_no_insert BEFORE INSERT ON notes_noteentry
    WHEN {_ENTRY_NOT_DRAFT.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{ENTRY}'); END""",
    f"""CREATE TRIGGER notes_noteentry_no_update BEFORE UPDATE ON notes_noteentry
    WHEN {_ENTRY_NOT_DRAFT.format(row="OLD")} OR {_ENTRY_NOT_DRAFT.format(row="NEW")}
    BEGIN SELECT RAISE(ABORT, '{ENTRY}'); END""",
    f"""CREATE TRIGGER notes_noteentry_no_delete BEFORE DELETE ON notes_noteentry
    WHEN {_ENTRY_NOT_DRAFT.format(row="OLD")}
    BEGIN SELECT RAISE(ABORT, '{ENTRY}'); END""",
    f"""CREATE TRIGGER notes_addendum_no_update BEFORE UPDATE ON notes_addendum
    BEGIN SELECT RAISE(ABORT, '{ADDENDUM}'); END""",
    f"""CREATE TRIGGER notes_addendum_no_delete BEFORE DELETE ON notes_addendum
    BEGIN SELECT RAISE(ABORT, '{ADDENDUM}'); END""",
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
    dependencies = [("notes", "0001_initial")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
