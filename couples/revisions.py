"""Each couple's revision: a number the database raises whenever anything shown about the
couple changes, so that rendered parts of pages can be kept until then (couples/fragments.py).

Triggers keep it, not application code: a change made anywhere (a service, the admin, a bulk
update, a data migration) raises it in the same transaction as the change. Every table whose
rows a page shows about a couple is listed in REVISION_SOURCES with the SQL that finds the
couples a changed row belongs to; tests/couples/test_revisions.py fails when a model that
points at a couple's data is neither listed nor set aside in NOT_SHOWN.

A couple without a row in couples_couplerevision is at revision 0; the triggers add rows.
PostgreSQL uses one statement-level trigger per table and change (transition tables: a bulk
insert raises each couple once); SQLite, for `make run`, uses row triggers.
"""

# table -> SQL listing the couple ids one changed row (its columns as R.<name>) belongs to.
# Frozen copies of this live in the migrations that installed each version.
_OF_PARTNER = "SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.id = R.partner_id"
_OF_GOAL = "SELECT g.couple_id AS couple_id FROM goals_goal g WHERE g.id = R.goal_id"
_OF_COVERAGE = (
    "SELECT p.couple_id AS couple_id FROM insurance_coverage v"
    " JOIN couples_partner p ON p.id = v.partner_id WHERE v.id = R.coverage_id"
)
REVISION_SOURCES: dict[str, str] = {
    "couples_couple": "SELECT R.id AS couple_id",
    "couples_partner": "SELECT R.couple_id AS couple_id",
    "couples_careassignment": "SELECT R.couple_id AS couple_id",
    "couples_sharingconsent": _OF_PARTNER,
    # Names and credentials are shown wherever the person is: their couple, their caseload.
    "couples_user": (
        "SELECT p.couple_id AS couple_id FROM couples_partner p WHERE p.user_id = R.id"
        " UNION SELECT a.couple_id FROM couples_careassignment a"
        " JOIN couples_clinician c ON c.id = a.clinician_id WHERE c.user_id = R.id"
    ),
    "couples_clinician": (
        "SELECT a.couple_id AS couple_id FROM couples_careassignment a WHERE a.clinician_id = R.id"
    ),
    "goals_goal": "SELECT R.couple_id AS couple_id",
    "goals_goalacceptance": _OF_GOAL,
    "goals_goalchangerequest": _OF_GOAL,
    "goals_goaltransition": _OF_GOAL,
    "goals_progressentry": _OF_GOAL,
    "goals_checkin": _OF_PARTNER,
    # A group session has no couple: its couples are those of its participants.
    "therapy_sessions_therapysession": (
        "SELECT R.couple_id AS couple_id UNION SELECT p.couple_id"
        " FROM therapy_sessions_attendance a JOIN couples_partner p ON p.id = a.partner_id"
        " WHERE a.session_id = R.id"
    ),
    "therapy_sessions_attendance": _OF_PARTNER,
    "therapy_sessions_sessionseries": (
        "SELECT s.couple_id AS couple_id FROM therapy_sessions_therapysession s"
        " WHERE s.series_id = R.id UNION SELECT p.couple_id FROM therapy_sessions_therapysession s"
        " JOIN therapy_sessions_attendance a ON a.session_id = s.id"
        " JOIN couples_partner p ON p.id = a.partner_id WHERE s.series_id = R.id"
    ),
    "insurance_payer": (
        "SELECT p.couple_id AS couple_id FROM insurance_coverage v"
        " JOIN couples_partner p ON p.id = v.partner_id WHERE v.payer_id = R.id"
    ),
    "insurance_coverage": _OF_PARTNER,
    "insurance_benefit": _OF_COVERAGE,
    "insurance_authorization": _OF_COVERAGE,
    "insurance_coveragestatuschange": _OF_COVERAGE,
    "insurance_coveragecard": _OF_COVERAGE,
}

# The tables of the four apps that no kept part shows, and why.
NOT_SHOWN: dict[str, str] = {
    "couples_couplerevision": "the revisions themselves",
    "couples_auditevent": "the record-access page is read afresh each time",
    "couples_auditchainhead": "internal to the audit log",
    "couples_notification": "the badge and the notification list are read afresh each time",
    "couples_notificationpreference": "the preferences page is read afresh each time",
    "therapy_sessions_calendarfeed": "the calendar page and feed are read afresh each time",
}

# Columns whose change does not change what is shown (a sign-in stamps last_login).
IGNORED_COLUMNS: dict[str, tuple[str, ...]] = {
    "couples_user": ("last_login", "password"),
}

REVISION_TABLE = "couples_couplerevision"
_UPSERT = (
    f"INSERT INTO {REVISION_TABLE} (couple_id, value)"
    " SELECT DISTINCT couple_id, 1 FROM ({sources}) AS changed"
    " WHERE couple_id IS NOT NULL"
    f" ON CONFLICT (couple_id) DO UPDATE SET value = {REVISION_TABLE}.value + 1"
)


def _name(table: str) -> str:
    return f"{table}_revision"


def _postgresql(table: str, sources: str, ignored: tuple[str, ...]) -> list[str]:
    def upsert(rows: str) -> str:
        return _UPSERT.format(
            sources=f"SELECT x.couple_id FROM {rows} R CROSS JOIN LATERAL ({sources}) x"
        )

    if ignored:
        # Only rows whose shown columns changed: compare each row without the ignored ones.
        drop = " - ".join(f"'{column}'" for column in ignored)
        update_rows = (
            "(SELECT n.* FROM new_rows n JOIN old_rows o ON o.id = n.id"
            f" WHERE to_jsonb(n) - {drop} IS DISTINCT FROM to_jsonb(o) - {drop})"
        )
    else:
        update_rows = "(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows)"
    function = f"""
        CREATE OR REPLACE FUNCTION {_name(table)}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {upsert("new_rows")};
            ELSIF TG_OP = 'DELETE' THEN
                {upsert("old_rows")};
            ELSE
                {upsert(update_rows)};
            END IF;
            RETURN NULL;
        END $$;
    """
    statements = [function]
    for event, referencing in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        if table == "couples_couple" and event == "DELETE":
            continue  # nothing is left to show
        trigger = f"{_name(table)}_{event.lower()}"
        statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        statements.append(
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} REFERENCING {referencing}"
            f" FOR EACH STATEMENT EXECUTE FUNCTION {_name(table)}()"
        )
    return statements


def _sqlite(table: str, sources: str, ignored: tuple[str, ...], columns: list[str]) -> list[str]:
    statements = []
    for event, rows in (("INSERT", ("NEW",)), ("UPDATE", ("NEW", "OLD")), ("DELETE", ("OLD",))):
        if table == "couples_couple" and event == "DELETE":
            continue
        trigger = f"{_name(table)}_{event.lower()}"
        when = ""
        if event == "UPDATE" and ignored:
            shown = [column for column in columns if column not in ignored]
            when = " WHEN " + " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in shown)
        body = "; ".join(_UPSERT.format(sources=sources.replace("R.", f"{row}.")) for row in rows)
        statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
        statements.append(
            f"CREATE TRIGGER {trigger} AFTER {event} ON {table} FOR EACH ROW{when}"
            f" BEGIN {body}; END"
        )
    return statements


def install(schema_editor, sources: dict[str, str], ignored: dict[str, tuple[str, ...]]) -> None:
    """Create or replace the triggers for `sources` (a migration passes its frozen copy)."""
    connection = schema_editor.connection
    for table, source in sources.items():
        if connection.vendor == "postgresql":
            statements = _postgresql(table, source, ignored.get(table, ()))
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                columns = [
                    column.name
                    for column in connection.introspection.get_table_description(cursor, table)
                ]
            statements = _sqlite(table, source, ignored.get(table, ()), columns)
        else:
            raise NotImplementedError(f"No revision triggers for {connection.vendor}.")
        for statement in statements:
            schema_editor.execute(statement)


def uninstall(schema_editor, sources: dict[str, str]) -> None:
    connection = schema_editor.connection
    for table in sources:
        for event in ("insert", "update", "delete"):
            trigger = f"{_name(table)}_{event}"
            if connection.vendor == "postgresql":
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            else:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        if connection.vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {_name(table)}()")
