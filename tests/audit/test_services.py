"""Appending to the audit log: hash chains, append-only rows, a lock per chain."""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from audit import services as audit_services
from audit.models import AuditChainHead, AuditEvent
from couples.models import User


def test_audit_events_form_a_gapless_hash_chain(db, staff):
    first = audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ, target=staff)
    second = audit_services.audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED)

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert (first.chain, second.chain) == (1, 1)  # a lone writer keeps to the first chain
    assert AuditChainHead.objects.get(pk=1).hash == second.hash
    assert first.target_type == "couples.User"
    assert first.target_id == str(staff.pk)


def test_a_write_whose_audit_row_cannot_be_stored_is_undone_and_the_chain_goes_on(
    db, staff, capsys
):
    first = audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=staff.pk).update(first_name="Changed")
        # A head one behind the log: the event's number is taken and its insert fails.
        AuditChainHead.objects.filter(pk=first.chain).update(seq=first.seq - 1)
        audit_services.audit_record(actor=staff, action=AuditEvent.Action.UPDATE, target=staff)

    staff.refresh_from_db()
    assert staff.first_name != "Changed"
    assert AuditChainHead.objects.get(pk=first.chain).seq == first.seq
    second = audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)
    assert (second.seq, second.prev_hash) == (first.seq + 1, first.hash)
    call_command("audit_verify")
    assert "2 events verified" in capsys.readouterr().out


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(db, staff):
    event = audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)
    event.action = AuditEvent.Action.DELETE

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_audit_hash_covers_every_recorded_field(db, staff):
    event = audit_services.audit_record(
        actor=staff, action=AuditEvent.Action.READ, detail={"page": "portal"}
    )
    event.refresh_from_db()
    assert event.compute_hash() == event.hash

    event.detail = {"page": "something else"}
    assert event.compute_hash() != event.hash


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_a_writer_appends_beside_another_that_holds_a_chain_instead_of_waiting(staff):
    audit_services.chain_heads_ensure()  # as the migration left them (a flush empties them)
    held, release, first = threading.Event(), threading.Event(), []

    def hold_chain_one():
        try:
            with transaction.atomic():
                first.append(audit_services.audit_record(actor=staff, action="read"))
                held.set()
                release.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=hold_chain_one)
    writer.start()
    assert held.wait(30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '10s'")  # waiting would fail, not hang
            second = audit_services.audit_record(actor=staff, action="read")
        finished_while_held = writer.is_alive()
    finally:
        release.set()
        writer.join(30)

    assert finished_while_held
    assert (first[0].chain, second.chain) == (1, 2)
    assert (first[0].seq, second.seq) == (1, 1)
    call_command("audit_verify", stdout=io.StringIO())


def test_a_database_emptied_of_its_heads_gets_them_back_on_the_next_event(db, staff):
    AuditChainHead.objects.all().delete()

    event = audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ)

    assert (event.chain, event.seq) == (1, 1)
    assert AuditChainHead.objects.count() == 16
