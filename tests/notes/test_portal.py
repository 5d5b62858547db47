"""Open notes on the portal: each partner reads their own signed notes (the shared text and
their own part, never another's), never a draft, a note awaiting co-signature or
psychotherapy notes; everything else is the audited 404, and every note opened is audited."""

import pytest

from audit.models import AuditEvent
from couples.models import CareRole
from notes import services
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import _assign, attended_session

LIST = "/portal/notes/"


def detail_url(note) -> str:
    return f"/portal/notes/{note.pk}/"


def note_for(session, *, sign=True, risk_level="none", risk_note="", psychotherapy=False):
    """The session's note: its sections say which session, each entry names its partner."""
    author = session.clinician
    note = services.note_start(session=session, author=author, by=author.user)
    note = services.note_save(
        note=note,
        sections={
            name: f"{name} of session {session.pk}" for name in ("data", "assessment", "plan")
        },
        entries={e.partner_id: f"Part of {e.partner.display_name}" for e in note.entries.all()},
        risk_level=risk_level,
        risk_note=risk_note,
        is_psychotherapy_note=psychotherapy,
        place_of_service="10",
        by=author.user,
    )
    return services.note_sign(note=note, by=author.user) if sign else note


@pytest.fixture
def jordan(client, partner_a, partner_b):
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def couples_note(couple, partner_a, partner_b, couples_therapist):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    return note_for(session, risk_level="moderate", risk_note="Alex spoke of a relapse plan")


def _individual(partner, clinician, **options):
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=clinician,
        couple=partner.couple,
        partners=[partner],
    )
    return note_for(session, **options)


def _denied(user, note) -> bool:
    return AuditEvent.objects.filter(
        actor=user, allowed=False, detail={"target_type": "notes.Note", "target_id": str(note.pk)}
    ).exists()


def test_my_individual_note_is_listed_and_opened_without_its_risk(jordan, partner_a, jordans_team):
    note = _individual(
        partner_a, jordans_team["therapist"], risk_level="high", risk_note="Said to be unsafe"
    )

    listed = jordan.get(LIST).text
    page = jordan.get(detail_url(note)).text

    assert f'href="{detail_url(note)}"' in listed
    assert "Individual therapy" in listed and str(jordans_team["therapist"]) in listed
    for heading in ("Data", "Assessment", "Plan"):
        assert f"<dt>{heading}</dt>" in page
    assert f"data of session {note.session_id}" in page
    assert "Your part" not in page  # an individual note is all about me
    assert "Said to be unsafe" not in page and "High" not in page and "Risk" not in page
    assert f"By {jordans_team['therapist']} on" in page


def test_a_couples_note_shows_my_part_never_my_partners(jordan, partner_a, couples_note):
    page = jordan.get(detail_url(couples_note)).text

    assert "What was written for everyone" in page
    assert f"data of session {couples_note.session_id}" in page
    assert "Part of Jordan" in page
    assert "Part of Alex" not in page
    assert "Alex spoke of a relapse plan" not in page and "Moderate" not in page


def test_a_group_note_shows_my_entry_only(jordan, partner_a, partner_b):
    leader = ClinicianFactory(can_be_counselor=True)
    third = PartnerFactory(user__first_name="Sam")
    session = attended_session(
        kind=SessionKind.GROUP, clinician=leader, partners=[partner_a, partner_b, third]
    )
    note = note_for(session)

    page = jordan.get(detail_url(note)).text

    assert f"data of session {session.pk}" in page
    assert "Part of Jordan" in page
    assert "Part of Alex" not in page and "Part of Sam" not in page


def test_every_note_i_open_is_audited_as_my_own_read(jordan, partner_a, couples_note):
    jordan.get(detail_url(couples_note))

    read = AuditEvent.objects.get(actor=partner_a.user, action="read", allowed=True)
    assert read.patient_id == partner_a.pk
    assert read.target_id == str(couples_note.pk)


def test_addenda_and_the_cosignature_are_shown(jordan, partner_a, couple):
    supervisor = ClinicianFactory(user__first_name="Ruth")
    supervisee = _assign(
        couple,
        CareRole.INDIVIDUAL_THERAPIST,
        partner_a,
        can_be_individual_therapist=True,
        supervisor=supervisor,
    )
    note = _individual(partner_a, supervisee)
    services.note_cosign(note=note, by=supervisor.user)
    services.addendum_add(
        note=note, author=supervisee, text="Called back on Friday.", by=supervisee.user
    )

    page = jordan.get(detail_url(note)).text

    assert f"Co-signed by {supervisor}" in page
    assert "Called back on Friday." in page


def test_drafts_notes_awaiting_cosignature_and_psychotherapy_notes_are_never_shown(
    jordan, client, couple, partner_a, jordans_team
):
    therapist = jordans_team["therapist"]
    supervisee = ClinicianFactory(supervisor=ClinicianFactory(), can_be_counselor=True)
    draft = _individual(partner_a, therapist, sign=False)
    psychotherapy = _individual(partner_a, therapist, psychotherapy=True)
    session = attended_session(
        kind=SessionKind.COUNSELING, clinician=supervisee, couple=couple, partners=[partner_a]
    )
    awaiting = note_for(session)
    assert awaiting.status == "awaiting_cosign"

    listed = jordan.get(LIST).text

    assert "No notes yet" in listed
    for note in (draft, psychotherapy, awaiting):
        assert jordan.get(detail_url(note)).status_code == 404
        assert _denied(partner_a.user, note)


def test_my_partners_individual_note_is_an_audited_404(
    jordan, partner_a, partner_b, alexs_therapist
):
    note = _individual(partner_b, alexs_therapist)

    assert jordan.get(detail_url(note)).status_code == 404
    assert _denied(partner_a.user, note)
    assert f'href="{detail_url(note)}"' not in jordan.get(LIST).text


def test_a_partner_of_another_couple_gets_the_audited_404(client, couples_note):
    stranger = PartnerFactory()
    client.force_login(stranger.user)

    assert client.get(detail_url(couples_note)).status_code == 404
    assert _denied(stranger.user, couples_note)


def test_the_list_is_newest_first(jordan, couple, partner_a, partner_b, couples_therapist):
    notes = [
        note_for(
            attended_session(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=couples_therapist,
                couple=couple,
                partners=[partner_a, partner_b],
                hours_ago=hours,
            )
        )
        for hours in (50, 2, 26)
    ]

    listed = jordan.get(LIST).text

    positions = [listed.index(f'href="{detail_url(note)}"') for note in notes]
    assert positions[1] < positions[2] < positions[0]


@pytest.mark.parametrize("count", [1, 6])
def test_the_pages_take_a_fixed_number_of_queries(
    jordan, couple, partner_a, partner_b, couples_therapist, count, django_assert_max_num_queries
):
    notes = [
        note_for(
            attended_session(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=couples_therapist,
                couple=couple,
                partners=[partner_a, partner_b],
                hours_ago=2 + number,
            )
        )
        for number in range(count)
    ]
    for number in range(count):
        services.addendum_add(
            note=notes[0],
            author=couples_therapist,
            text=f"More {number}",
            by=couples_therapist.user,
        )
    jordan.get(LIST)

    # session, user (with the top bar's unread count), the partner with their couple; the
    # entries with their notes, sessions and authors.
    with django_assert_max_num_queries(4):
        listed = jordan.get(LIST).text
    # session, user; the entry with its couple, note, session and signers; the addenda; the
    # objectives it addressed of their own plan and the couple plan; the audit row (lock the
    # chain head, insert, move the head).
    with django_assert_max_num_queries(8):
        page = jordan.get(detail_url(notes[0])).text

    assert listed.count('href="/portal/notes/') == count
    assert page.count("note-addendum") == count


def test_more_links_to_my_session_notes(jordan):
    text = jordan.get("/portal/more/").text

    assert f'href="{LIST}"' in text and ">My session notes<" in text


def test_clinicians_read_notes_on_the_clinic_pages_not_the_portal(
    client, couples_therapist, couples_note
):
    client.force_login(couples_therapist.user)

    assert client.get(LIST).status_code == 403
    assert client.get(detail_url(couples_note)).status_code == 403
