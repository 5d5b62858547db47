import datetime

import pytest
import time_machine
from django.utils import timezone

from audit.models import AuditEvent
from notes import queries
from notes.models import SECTION_MAX_LENGTH, Addendum, Note
from notes.triage_rules import notes_overdue
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.notes.conftest import attended_session, written
from triage.models import TriageItem
from triage.sweeps import RULES, rule_apply


@pytest.fixture
def session(couple, partner_a, partner_b, couples_therapist):
    return attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )


@pytest.fixture
def therapist_client(client, couples_therapist):
    sign_in_with_mfa(client, couples_therapist.user)
    return client


def _form(partner_a, partner_b, **extra):
    return {
        "data": "Both present.",
        "assessment": "Engaged.",
        "plan": "Next week.",
        f"entry_{partner_a.pk}": "Jordan's part",
        f"entry_{partner_b.pk}": "Alex's part",
        "risk_level": "none",
        "place_of_service": "10",
        **extra,
    }


def test_save_draft_then_sign_locks_the_note(therapist_client, session, partner_a, partner_b):
    url = f"/clinic/sessions/{session.pk}/note/"
    response = therapist_client.post(url, _form(partner_a, partner_b, action="save"))
    assert response.status_code == 302
    assert Note.objects.get(session=session).status == "draft"

    response = therapist_client.post(
        url, _form(partner_a, partner_b, action="sign", confirm_lock="on")
    )

    note = Note.objects.get(session=session)
    assert response.status_code == 302 and response.url == f"/clinic/notes/{note.pk}/"
    assert note.status == "signed"
    assert {e.partner_id: e.text for e in note.entries.all()} == {
        partner_a.pk: "Jordan's part",
        partner_b.pk: "Alex's part",
    }


def test_sign_without_the_confirmation_keeps_the_input(
    therapist_client, session, partner_a, partner_b
):
    response = therapist_client.post(
        f"/clinic/sessions/{session.pk}/note/", _form(partner_a, partner_b, action="sign")
    )

    assert response.status_code == 200
    assert "Tick this box to sign" in response.text
    assert "Both present." in response.text
    assert not Note.objects.exists()


def test_a_section_too_long_is_refused_on_its_field(
    therapist_client, session, partner_a, partner_b
):
    too_long = "x" * (SECTION_MAX_LENGTH + 1)
    response = therapist_client.post(
        f"/clinic/sessions/{session.pk}/note/",
        _form(partner_a, partner_b, action="save", plan=too_long),
    )

    assert response.status_code == 200
    assert f"at most {SECTION_MAX_LENGTH} characters" in response.text
    assert not Note.objects.exists()


def test_signing_an_unwritten_section_is_refused_and_saves_nothing(
    therapist_client, session, partner_a, partner_b
):
    response = therapist_client.post(
        f"/clinic/sessions/{session.pk}/note/",
        _form(partner_a, partner_b, action="sign", confirm_lock="on", plan=""),
    )

    assert response.status_code == 200
    assert "Write this section before signing." in response.text
    assert not Note.objects.exists()


def test_the_note_page_is_audited_and_takes_an_addendum(
    therapist_client, session, couples_therapist, partner_a, partner_b
):
    note = written(session)
    response = therapist_client.get(f"/clinic/notes/{note.pk}/")
    assert response.status_code == 200
    assert "Add an addendum" in response.text
    reads = AuditEvent.objects.filter(action="read", target_id=str(note.pk), allowed=True)
    assert {event.patient_id for event in reads} == {partner_a.pk, partner_b.pk}

    response = therapist_client.post(f"/clinic/notes/{note.pk}/addenda/", {"text": ""})
    assert "Write the addendum before adding it." in response.text
    therapist_client.post(f"/clinic/notes/{note.pk}/addenda/", {"text": "Called back."})

    assert Addendum.objects.get(note=note).text == "Called back."


def test_the_session_link_of_another_clinician_is_an_audited_404(client, session, alexs_therapist):
    sign_in_with_mfa(client, alexs_therapist.user)

    assert client.get(f"/clinic/sessions/{session.pk}/note/").status_code == 404
    assert AuditEvent.objects.filter(actor=alexs_therapist.user, allowed=False).exists()


def test_a_supervisor_co_signs_from_the_note_page(client, couple, partner_a, partner_b):
    from tests.factories import ClinicianFactory

    supervisor = ClinicianFactory()
    supervisee = ClinicianFactory(supervisor=supervisor)
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=supervisee,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    note = written(session)
    sign_in_with_mfa(client, supervisor.user)
    assert "Co-sign" in client.get(f"/clinic/notes/{note.pk}/").text

    client.post(f"/clinic/notes/{note.pk}/cosign/")

    note.refresh_from_db()
    assert (note.status, note.cosigned_by) == ("signed", supervisor.user)


def test_the_clinic_home_lists_notes_to_write(therapist_client, session):
    response = therapist_client.get("/clinic/")

    assert response.text.count("note-to-write") == 1
    assert f"/clinic/sessions/{session.pk}/note/" in response.text


def test_the_clinic_home_shows_the_oldest_notes_to_write_and_counts_the_rest(
    client, couple, partner_a, partner_b, couples_therapist, django_assert_max_num_queries
):
    # A clinic that starts keeping notes with months of sessions behind it still gets a page.
    sessions = [
        attended_session(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=couples_therapist,
            couple=couple,
            partners=[partner_a, partner_b],
            hours_ago=24 * days_ago,
        )
        for days_ago in range(1, 24)
    ]
    sign_in_with_mfa(client, couples_therapist.user)

    notes = queries.notes_to_finish_for_clinician(user=couples_therapist.user)
    response = client.get("/clinic/")

    assert (len(notes.to_write), notes.to_write_count) == (queries.NOTES_SHOWN, 23)
    oldest_first = sorted(sessions, key=lambda session: session.ends_at)
    assert [item.session for item in notes.to_write] == oldest_first[: queries.NOTES_SHOWN]
    assert response.text.count("note-to-write") == queries.NOTES_SHOWN
    assert f"The oldest {queries.NOTES_SHOWN} of 23" in response.text
    with django_assert_max_num_queries(2):
        queries.notes_to_finish_for_clinician(user=couples_therapist.user)


def test_an_unsigned_note_raises_an_item_after_the_hours_and_ends_when_signed(
    couple, partner_a, partner_b, couples_therapist, settings
):
    settings.NOTE_SIGN_HOURS = 72
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    rule = RULES[TriageItem.Kind.NOTE_OVERDUE]
    due = session.ends_at + datetime.timedelta(hours=72)
    with time_machine.travel(due - datetime.timedelta(minutes=1), tick=False):
        assert list(notes_overdue(timezone.now())) == []
    with time_machine.travel(due, tick=False):
        findings = list(notes_overdue(timezone.now()))
        assert rule_apply(rule=rule, findings=findings, now=timezone.now()) == (1, 0)
        item = TriageItem.objects.get(kind="note_overdue")
        assert (item.couple_id, item.partner_id, item.severity) == (couple.pk, None, 3)
        written(session)
        assert rule_apply(
            rule=rule, findings=list(notes_overdue(timezone.now())), now=timezone.now()
        ) == (0, 1)
