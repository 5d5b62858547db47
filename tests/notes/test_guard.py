"""A signed note cannot change by any path: the services refuse, and so does the database
(triggers on PostgreSQL and SQLite, notes/migrations/0002)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from notes import services
from notes.models import Addendum, Note, NoteEntry
from sessions.models import SessionKind
from tests.factories import ClinicianFactory
from tests.notes.conftest import attended_session, written

GUARD = __import__("notes.migrations.0002_signed_notes_guard", fromlist=["x"])


@pytest.fixture
def signed(couple, partner_a, partner_b, couples_therapist):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    return written(session)


def _refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_to_update_a_signed_note(signed):
    _refused("UPDATE notes_note SET data = 'rewritten' WHERE id = %s", [signed.pk])
    _refused("UPDATE notes_note SET status = 'draft', signed_at = NULL WHERE id = %s", [signed.pk])

    assert Note.objects.get(pk=signed.pk).data == "Talked about the week."


def test_the_database_refuses_to_delete_a_signed_note(signed):
    _refused("DELETE FROM notes_note WHERE id = %s", [signed.pk])

    assert Note.objects.filter(pk=signed.pk).exists()


def test_the_database_refuses_to_change_add_or_remove_entries_of_a_signed_note(signed, outsider):
    entry = signed.entries.first()
    _refused("UPDATE notes_noteentry SET text = 'x' WHERE id = %s", [entry.pk])
    _refused("DELETE FROM notes_noteentry WHERE id = %s", [entry.pk])
    _refused(
        "INSERT INTO notes_noteentry (note_id, partner_id, text, minutes_attended) "
        "VALUES (%s, %s, 'x', 0)",
        [signed.pk, outsider.pk],
    )

    assert NoteEntry.objects.get(pk=entry.pk).text == entry.text


def test_the_database_refuses_to_change_or_remove_an_addendum(signed, couples_therapist):
    addendum = services.addendum_add(
        note=signed, author=couples_therapist, text="Late detail.", by=couples_therapist.user
    )
    _refused("UPDATE notes_addendum SET text = 'x' WHERE id = %s", [addendum.pk])
    _refused("DELETE FROM notes_addendum WHERE id = %s", [addendum.pk])

    assert Addendum.objects.get(pk=addendum.pk).text == "Late detail."


def test_a_draft_changes_freely_and_is_signed_in_one_update(
    couple, partner_a, partner_b, couples_therapist
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    draft = written(session, sign=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE notes_note SET plan = 'Next week' WHERE id = %s", [draft.pk])
        cursor.execute("UPDATE notes_noteentry SET text = 'y' WHERE note_id = %s", [draft.pk])

    assert services.note_sign(note=draft, by=couples_therapist.user).status == "signed"


@pytest.fixture
def awaiting(couple, partner_a, partner_b):
    supervisor = ClinicianFactory(user__first_name="Sam")
    supervisee = ClinicianFactory(supervisor=supervisor)
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=supervisee,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    return written(session)


def test_a_note_awaiting_co_signature_accepts_only_the_co_signature(awaiting):
    assert awaiting.status == "awaiting_cosign"
    _refused("UPDATE notes_note SET data = 'x' WHERE id = %s", [awaiting.pk])
    # The co-signature must come with everything else as it was.
    _refused(
        "UPDATE notes_note SET status = 'signed', cosigned_at = signed_at, "
        "cosigned_by_id = signed_by_id, plan = 'x' WHERE id = %s",
        [awaiting.pk],
    )
    _refused("UPDATE notes_note SET status = 'draft' WHERE id = %s", [awaiting.pk])
    _refused("DELETE FROM notes_note WHERE id = %s", [awaiting.pk])

    note = services.note_cosign(note=awaiting, by=awaiting.cosigner.user)

    assert note.status == "signed"


def test_the_services_refuse_to_change_a_signed_note(signed, couples_therapist):
    with pytest.raises(ValidationError, match="signed"):
        services.note_save(
            note=signed,
            sections={"data": "new"},
            entries={},
            risk_level="none",
            risk_note="",
            is_psychotherapy_note=False,
            place_of_service="10",
            by=couples_therapist.user,
        )
    with pytest.raises(ValidationError):
        services.note_sign(note=signed, by=couples_therapist.user)


def test_the_guard_freezes_every_column_but_the_co_signature():
    columns = {field.column for field in Note._meta.concrete_fields}

    assert columns - set(GUARD.FROZEN_WHILE_AWAITING) == {"status", "cosigned_at", "cosigned_by_id"}
