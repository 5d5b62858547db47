"""The database refuses to change a signed assessment or plan version, whoever connects.

A draft changes freely, and becomes signed in one update (signed_at set); after that the row
accepts no UPDATE and no DELETE. The problems, goals, objectives and interventions of a signed
version cannot be added, changed or removed (nor moved into or out of one). A partner's
acknowledgement of a signed version is added once and never changed or removed.

PostgreSQL: row triggers in PL/pgSQL (TRUNCATE, which test suites use to empty tables, fires no
row trigger). SQLite: triggers with RAISE(ABORT); `flush` on SQLite lifts them for its DELETEs
(notes/management/commands/flush.py). SQLite drops a table's triggers when a migration remakes
the table: tests/plans/test_guard.py runs on SQLite too, so a later migration that does would
fail it.
"""

from django.db import migrations

ASSESSMENT = "A signed assessment cannot be changed"
VERSION = "A signed plan version cannot be changed"
ITEM = "The problems, goals, objectives and interventions of a signed plan version cannot change"
ACKNOWLEDGEMENT = "A plan acknowledgement cannot be changed or removed"

# Each locked table and the SQL that finds the version of its row `{row}` (OLD or NEW).
ITEMS = {
    "plans_problem": "{row}.version_id",
    "plans_plangoal": "SELECT version_id FROM plans_problem WHERE id = {row}.problem_id",
    "plans_objective": (
        "SELECT p.version_id FROM plans_plangoal g JOIN plans_problem p ON p.id = g.problem_id"
        " WHERE g.id = {row}.goal_id"
    ),
    "plans_intervention": (
        "SELECT p.version_id FROM plans_objective o JOIN plans_plangoal g ON g.id = o.goal_id"
        " JOIN plans_problem p ON p.id = g.problem_id WHERE o.id = {row}.objective_id"
    ),
}
SIGNED_ROWS = {"plans_assessment": ASSESSMENT, "plans_planversion": VERSION}


def _postgres_item(table: str, version_of: str) -> str:
    old, new = version_of.format(row="OLD"), version_of.format(row="NEW")
    return f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF plans_version_is_signed(({old})) THEN RAISE EXCEPTION '{ITEM}'; END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    IF plans_version_is_signed(({new})) THEN RAISE EXCEPTION '{ITEM}'; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""


POSTGRES = (
    """
CREATE OR REPLACE FUNCTION plans_version_is_signed(version bigint) RETURNS boolean AS $$
    SELECT COALESCE(
        (SELECT signed_at IS NOT NULL FROM plans_planversion WHERE id = version), false
    );
$$ LANGUAGE sql STABLE;

-- A draft (signed_at empty) changes, and is signed, freely; a signed row never.
CREATE OR REPLACE FUNCTION plans_signed_row_guard() RETURNS trigger AS $$
BEGIN
    IF OLD.signed_at IS NOT NULL THEN RAISE EXCEPTION USING MESSAGE = TG_ARGV[0]; END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
    + "".join(
        f"""CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION plans_signed_row_guard('{message}');
"""
        for table, message in SIGNED_ROWS.items()
    )
    + "".join(_postgres_item(table, version_of) for table, version_of in ITEMS.items())
    + f"""
CREATE OR REPLACE FUNCTION plans_planacknowledgement_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{ACKNOWLEDGEMENT}';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER plans_planacknowledgement_guard BEFORE UPDATE OR DELETE
    ON plans_planacknowledgement FOR EACH ROW EXECUTE FUNCTION plans_planacknowledgement_guard();
"""
)
POSTGRES_DROP = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_guard ON {table};\n"
        for table in [*SIGNED_ROWS, *ITEMS, "plans_planacknowledgement"]
    )
    + "".join(
        f"DROP FUNCTION IF EXISTS {name}();\n"
        for name in ["plans_signed_row_guard", *(f"{t}_guard" for t in ITEMS)]
    )
    + (
        "DROP FUNCTION IF EXISTS plans_planacknowledgement_guard();\n"
        "DROP FUNCTION IF EXISTS plans_version_is_signed(bigint);\n"
    )
)


def _signed(version_of: str, row: str) -> str:
    return f"(SELECT signed_at FROM plans_planversion WHERE id = ({version_of.format(row=row)}))"


def _sqlite_item(table: str, version_of: str) -> list[str]:
    old, new = _signed(version_of, "OLD"), _signed(version_of, "NEW")
    when = {
        "insert": f"{new} IS NOT NULL",
        "update": f"{old} IS NOT NULL OR {new} IS NOT NULL",
        "delete": f"{old} IS NOT NULL",
    }
    return [
        f"""CREATE TRIGGER {table}_signed_no_{op} BEFORE {op.upper()} ON {table}
    WHEN {condition}
    BEGIN SELECT RAISE(ABORT, '{ITEM}'); END"""
        for op, condition in when.items()
    ]


SQLITE = [
    *(
        f"""CREATE TRIGGER {table}_signed_no_{op} BEFORE {op.upper()} ON {table}
    WHEN OLD.signed_at IS NOT NULL
    BEGIN SELECT RAISE(ABORT, '{message}'); END"""
        for table, message in SIGNED_ROWS.items()
        for op in ("update", "delete")
    ),
    *(
        statement
        for table, version_of in ITEMS.items()
        for statement in _sqlite_item(table, version_of)
    ),
    *(
        f"""CREATE TRIGGER plans_planacknowledgement_no_{op} BEFORE {op.upper()}
    ON plans_planacknowledgement
    BEGIN SELECT RAISE(ABORT, '{ACKNOWLEDGEMENT}'); END"""
        for op in ("update", "delete")
    ),
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
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunPython(create_guard, drop_guard)]
