"""The application's database role may append to the audit log, never rewrite or empty it
(issue 17, finding 6: today the application's role owns the table)."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

import config.settings as production
from audit import services as audit_services
from audit.models import AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="roles and grants are PostgreSQL's"
)
ROLE = "couples_app_test_role"


@pytest.fixture
def app_role(db):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")  # rolled back with the test
    call_command("db_grants", ROLE)
    return ROLE


def _as_app(sql: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cursor.execute(sql, params)


def test_the_app_role_appends_to_the_audit_log(app_role, staff):
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)  # as the owner
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)
        cursor.execute("SELECT count(*) FROM couples_couple")

    assert AuditEvent.objects.count() == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE couples_auditevent SET action = 'x'",
        "DELETE FROM couples_auditevent",
        "TRUNCATE couples_auditevent CASCADE",
        "ALTER TABLE couples_auditevent DISABLE TRIGGER ALL",
        "DROP TABLE couples_auditevent CASCADE",
        "DELETE FROM couples_auditchainhead",
    ],
)
def test_the_app_role_cannot_rewrite_empty_or_unguard_the_log(app_role, staff, sql):
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)

    with pytest.raises(DatabaseError, match="permission denied|must be (the )?owner"):
        _as_app(sql)
    assert AuditEvent.objects.count() == 1


def test_the_app_role_keeps_ordinary_rows(app_role, partner_a):
    _as_app("UPDATE couples_partner SET preferred_name = 'J' WHERE id = %s", [partner_a.pk])

    partner_a.refresh_from_db()
    assert partner_a.preferred_name == "J"


def test_the_app_role_reads_and_writes_the_cache(db, settings):
    """Sign-in keeps rate limits and used TOTP codes in the database cache, whose table
    migrate makes before db_grants runs (tests/conftest.py makes it in the test database)."""
    settings.CACHES = production.CACHES
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN")
    call_command("db_grants", ROLE)

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {ROLE}")
        cache.set("probe", 1)
        assert cache.incr("probe") == 2
        cache.delete("probe")
        assert cache.add("used-code", "y")
        cache.clear()
