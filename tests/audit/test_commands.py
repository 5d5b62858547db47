"""manage.py audit_verify: every chain walked, every kind of tampering found."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from audit import services as audit_services
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


def _events(staff, count=3):
    return [
        audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)
        for _ in range(count)
    ]


def _tamper(sql: str, params: list):
    """Change the log behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch off ordinary triggers for the transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_audit_verify_accepts_an_intact_log(db, staff, capsys):
    _events(staff)

    call_command("audit_verify")

    assert "3 events verified" in capsys.readouterr().out


def test_audit_verify_detects_a_changed_row(db, staff):
    events = _events(staff)
    _tamper("UPDATE couples_auditevent SET action = 'login' WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="chain 1, row 2 was changed"):
        call_command("audit_verify")


def test_audit_verify_detects_a_missing_row(db, staff):
    events = _events(staff)
    _tamper("DELETE FROM couples_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="chain 1: rows 2..2 are missing"):
        call_command("audit_verify")


def test_audit_verify_detects_a_missing_last_row(db, staff):
    events = _events(staff)
    _tamper("DELETE FROM couples_auditevent WHERE id = %s", [events[-1].pk])

    with pytest.raises(CommandError, match="chain 1: its last row is 2 but its head says 3"):
        call_command("audit_verify")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_to_update_or_delete_audit_rows(db, staff):
    event = _events(staff, 1)[0]
    for sql in [
        "UPDATE couples_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM couples_auditevent WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])


def _in_chain(monkeypatch, number: int):
    """Make the next events go to chain `number`, as when the chains before it are held."""
    monkeypatch.setattr(
        audit_services,
        "chain_head_take",
        lambda: AuditChainHead.objects.select_for_update().get(pk=number),
    )


def test_audit_verify_walks_every_chain_and_names_the_one_tampered_with(db, staff, monkeypatch):
    _events(staff, 2)
    _in_chain(monkeypatch, 5)
    in_five = _events(staff, 3)
    call_command("audit_verify", stdout=io.StringIO())

    _tamper("UPDATE couples_auditevent SET action = 'login' WHERE id = %s", [in_five[0].pk])

    assert [e.chain for e in in_five] == [5, 5, 5] and in_five[0].seq == 1
    with pytest.raises(CommandError, match="chain 5, row 1 was changed") as refused:
        call_command("audit_verify")
    assert "chain 1" not in str(refused.value)


def test_audit_verify_detects_a_row_added_behind_the_services_back(db, staff):
    events = _events(staff)
    forged = AuditEvent(
        chain=1,
        seq=4,
        at=events[-1].at,
        actor=staff,
        actor_label=staff.email,
        action=AuditEvent.Action.READ,
        prev_hash=events[-1].hash,
    )
    forged.hash = forged.compute_hash()
    AuditEvent.objects.bulk_create([forged])  # a well-formed row, but the head never moved

    with pytest.raises(CommandError, match="chain 1: its last row is 4 but its head says 3"):
        call_command("audit_verify")


def test_audit_verify_detects_a_row_in_a_chain_that_does_not_exist(db, staff):
    events = _events(staff, 1)
    forged = AuditEvent(
        chain=99, seq=1, at=events[0].at, action=AuditEvent.Action.READ, prev_hash="0" * 64
    )
    forged.hash = forged.compute_hash()
    AuditEvent.objects.bulk_create([forged])

    with pytest.raises(CommandError, match="chain 99 has rows but no head"):
        call_command("audit_verify")


def _unkeyed_hash(event: AuditEvent) -> str:
    """What an attacker without AUDIT_CHAIN_KEY can compute for a row: plain SHA-256."""
    event.keyed = False
    return event.compute_hash()


@pytest.mark.parametrize("mark_unkeyed", [False, True])
def test_audit_verify_detects_a_row_rewritten_with_a_recomputed_unkeyed_hash(
    db, staff, mark_unkeyed
):
    """Finding 6: with write access, someone rebuilt a row and its hash; without the key
    the hash cannot match, whether the row still claims to be keyed or not."""
    events = _events(staff)
    forged = AuditEvent.objects.get(pk=events[2].pk)
    forged.action = AuditEvent.Action.LOGIN
    _tamper(
        "UPDATE couples_auditevent SET action = %s, hash = %s, keyed = %s WHERE id = %s",
        [forged.action, _unkeyed_hash(forged), not mark_unkeyed, forged.pk],
    )
    _tamper("UPDATE couples_auditchainhead SET hash = %s WHERE id = 1", [_unkeyed_hash(forged)])

    expected = "is not keyed" if mark_unkeyed else "was changed"
    with pytest.raises(CommandError, match=f"chain 1, row 3 {expected}"):
        call_command("audit_verify")


def test_the_chain_is_keyed_with_the_secret_outside_the_database(db, staff, settings):
    event = _events(staff, 1)[0]

    assert event.keyed
    assert event.hash != _unkeyed_hash(AuditEvent.objects.get(pk=event.pk))
    settings.AUDIT_CHAIN_KEY = "another-key"
    with pytest.raises(CommandError, match="was changed"):
        call_command("audit_verify")


def test_rows_from_before_the_key_still_verify_and_the_keyed_rows_seal_them(db, staff):
    _events(staff, 2)
    # As the migration left the rows written before the key: unkeyed, linked with SHA-256.
    previous = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq"):
        event.keyed = False
        event.prev_hash = previous
        event.hash = event.compute_hash()
        _tamper(
            "UPDATE couples_auditevent SET keyed = false, hash = %s, prev_hash = %s WHERE id = %s",
            [event.hash, event.prev_hash, event.pk],
        )
        previous = event.hash
    _tamper("UPDATE couples_auditchainhead SET hash = %s WHERE id = 1", [previous])
    _events(staff, 1)

    call_command("audit_verify")

    first = AuditEvent.objects.get(seq=1, chain=1)
    _tamper("UPDATE couples_auditevent SET action = 'login' WHERE id = %s", [first.pk])
    with pytest.raises(CommandError, match="chain 1, row 1 was changed"):
        call_command("audit_verify")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_to_truncate_the_audit_log(db, staff):
    _events(staff, 1)

    with pytest.raises(DatabaseError, match="TRUNCATE is refused"), transaction.atomic():
        with connection.cursor() as cursor:
            # What the test database's own sessions allow, for emptying tables between tests.
            cursor.execute("SET LOCAL couples.audit_truncate = ''")
            # The rows were written in this same (test) transaction: check their keys now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("TRUNCATE couples_auditevent CASCADE")
    assert AuditEvent.objects.count() == 1
