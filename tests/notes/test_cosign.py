"""A supervisee's note waits for the supervisor: the home's "Notes to co-sign", the message
that tells the supervisor (once per note, no health detail by email), and the co-signature."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from couples import services as couple_services
from couples.models import CareRole, Notification
from couples.notifications import notification_send
from notes import queries, services
from notes.models import Note
from notes.notifications import NOTE_TO_COSIGN
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory
from tests.notes.conftest import attended_session, written

HOME = "/clinic/"


@pytest.fixture
def supervisor(db):
    return ClinicianFactory(
        user__first_name="Rosa",
        user__last_name="Supervisor",
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
    )


@pytest.fixture
def supervisee(couple, partner_a, supervisor):
    """Sam, Jordan's individual therapist, supervised by Rosa."""
    sam = ClinicianFactory(
        user__first_name="Sam",
        user__last_name="Trainee",
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        supervisor=supervisor,
    )
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=sam,
        partner=partner_a,
        by=None,
    )
    return sam


def _individual_note(couple, partner_a, supervisee, *, sign=True, hours_ago=2):
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=supervisee,
        couple=couple,
        partners=[partner_a],
        hours_ago=hours_ago,
    )
    return written(session, sign=sign, text="Talked about the relapse on Saturday.")


def test_the_supervisor_sees_the_note_under_notes_to_co_sign_one_click_from_it(
    client, couple, partner_a, supervisee, supervisor
):
    note = _individual_note(couple, partner_a, supervisee)
    sign_in_with_mfa(client, supervisor.user)

    response = client.get(HOME)

    assert "Notes to co-sign" in response.text
    assert response.text.count("note-to-cosign") == 1
    assert f'href="/clinic/notes/{note.pk}/"' in response.text
    assert "by Sam Trainee" in response.text
    # Once co-signed it leaves the list.
    client.post(f"/clinic/notes/{note.pk}/cosign/")
    assert "Notes to co-sign" not in client.get(HOME).text


def test_the_author_and_others_have_no_notes_to_co_sign(
    client, couple, partner_a, supervisee, couples_therapist
):
    _individual_note(couple, partner_a, supervisee)
    for clinician in (supervisee, couples_therapist):
        sign_in_with_mfa(client, clinician.user)
        assert "Notes to co-sign" not in client.get(HOME).text


def test_a_draft_is_not_the_supervisors_to_co_sign(couple, partner_a, supervisee, supervisor):
    draft = _individual_note(couple, partner_a, supervisee, sign=False)

    assert queries.notes_to_cosign_for_clinician(user=supervisor.user) == ([], 0)
    to_write, count = queries.notes_to_write_for_clinician(user=supervisee.user)
    assert ([item.note_id for item in to_write], count) == ([draft.pk], 1)


@pytest.mark.parametrize("count", [1, 5])
def test_the_home_takes_the_same_queries_however_many_notes_wait(
    client, couple, partner_a, supervisee, supervisor, count, django_assert_num_queries
):
    # The supervisor has as many notes to write as to co-sign.
    for number in range(count):
        _individual_note(couple, partner_a, supervisee, hours_ago=2 + number)
        attended_session(
            kind=SessionKind.INDIVIDUAL_THERAPY,
            clinician=supervisor,
            couple=couple,
            partners=[partner_a],
            hours_ago=2 + number,
        )
    sign_in_with_mfa(client, supervisor.user)
    client.get(HOME)  # the first request stamps the session

    with django_assert_num_queries(2):  # the sessions to write; the notes to co-sign
        notes = queries.notes_to_finish_for_clinician(user=supervisor.user)
        assert [note.session.pk for note in notes.to_cosign]  # no query: came with the note
        assert [note.author.user.get_full_name() for note in notes.to_cosign]
    # session, user with roles and authenticator, clinician, couples (none), the queue
    # (empty: no couple of hers), the notes to write, the notes to co-sign;
    # the rest of tests/couples/test_views_clinic.py's 12 read rows this caseload lacks.
    with django_assert_num_queries(8):
        response = client.get(HOME)
    assert response.text.count("note-to-cosign") == count
    assert response.text.count("note-to-write") == count


def test_signing_tells_the_supervisor_once_in_the_app_and_by_email_without_health_detail(
    couple, partner_a, supervisee, supervisor
):
    note = _individual_note(couple, partner_a, supervisee)

    [row] = Notification.objects.filter(kind=NOTE_TO_COSIGN)
    assert (row.recipient, row.object_ref) == (supervisor.user, f"notes.note:{note.pk}")
    # Signing again is refused (the note is locked) and adds no second message.
    with pytest.raises(ValidationError, match="signed"):
        services.note_sign(note=note, by=supervisee.user)
    assert Notification.objects.filter(kind=NOTE_TO_COSIGN).count() == 1

    notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert (row.status, row.emailed, row.in_app) == ("sent", True, True)
    assert row.link == f"/clinic/notes/{note.pk}/"
    assert "Sam Trainee signed a note (Individual therapy" in row.subject
    [email] = mail.outbox
    assert email.to == [supervisor.user.email]
    assert email.subject == "A session note is waiting for your co-signature"
    html = "".join(content for content, _ in email.alternatives)
    everything = f"{email.subject}\n{email.body}\n{html}".lower()
    for secret in ("jordan", "relapse", "saturday", "individual therapy", "sam", "trainee"):
        assert secret not in everything


def test_a_note_co_signed_before_the_message_goes_is_withdrawn(
    couple, partner_a, supervisee, supervisor
):
    note = _individual_note(couple, partner_a, supervisee)
    services.note_cosign(note=note, by=supervisor.user)

    row = Notification.objects.get(kind=NOTE_TO_COSIGN)
    notification_send(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == Notification.Status.WITHDRAWN
    assert row.status_note == "Co-signed already"
    assert mail.outbox == []


def test_a_note_without_supervision_is_signed_at_once_and_tells_nobody(
    couple, partner_a, partner_b, couples_therapist
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )

    note = written(session)

    assert note.status == Note.Status.SIGNED
    assert not Notification.objects.filter(kind=NOTE_TO_COSIGN).exists()


def test_only_the_supervisor_co_signs(client, couple, partner_a, supervisee, couples_therapist):
    note = _individual_note(couple, partner_a, supervisee)
    sign_in_with_mfa(client, supervisee.user)

    response = client.post(f"/clinic/notes/{note.pk}/cosign/", follow=True)

    assert "Only the author&#x27;s supervisor co-signs this note." in response.text
    note.refresh_from_db()
    assert note.status == Note.Status.AWAITING_COSIGN
