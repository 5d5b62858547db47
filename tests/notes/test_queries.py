"""Who may read which note: every row of docs/architecture.md's "Session notes"."""

import pytest
from django.http import Http404

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from notes import queries
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session, written


def _readers(note, users):
    readable = {}
    for name, user in users.items():
        try:
            page = queries.note_get_for_user(user=user, pk=note.pk)
        except Http404:
            readable[name] = None
        else:
            readable[name] = sorted(entry.partner_id for entry in page.entries)
    return readable


@pytest.fixture
def people(couple, partner_a, partner_b, couples_therapist, alexs_therapist, jordans_team):
    return {
        "couples_therapist": couples_therapist.user,
        "jordans_therapist": jordans_team["therapist"].user,
        "jordans_counselor": jordans_team["counselor"].user,
        "jordans_medical": jordans_team["medical"].user,
        "alexs_therapist": alexs_therapist.user,
        "outsider_clinician": ClinicianFactory().user,
        "jordan": partner_a.user,
    }


@pytest.mark.parametrize(
    ("kind", "author", "readers"),
    [
        (SessionKind.INDIVIDUAL_THERAPY, "jordans_therapist", {"jordans_therapist"}),
        (SessionKind.COUNSELING, "jordans_counselor", {"jordans_counselor"}),
        (SessionKind.MEDICAL_VISIT, "jordans_medical", {"jordans_medical"}),
    ],
)
def test_an_individual_note_is_read_by_the_partners_clinician_in_that_role_only(
    couple, partner_a, jordans_team, people, kind, author, readers
):
    clinician = {"jordans_therapist": "therapist", "jordans_counselor": "counselor"}.get(
        author, "medical"
    )
    session = attended_session(
        kind=kind, clinician=jordans_team[clinician], couple=couple, partners=[partner_a]
    )
    note = written(session)

    readable = _readers(note, people)

    assert {name for name, entries in readable.items() if entries} == readers


def test_a_couples_note_is_read_by_the_couples_therapist_only(
    couple, partner_a, partner_b, couples_therapist, people
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    note = written(session)

    readable = _readers(note, people)

    assert {name for name, entries in readable.items() if entries} == {"couples_therapist"}
    assert readable["couples_therapist"] == sorted([partner_a.pk, partner_b.pk])


def test_the_couples_therapist_opening_an_individual_note_gets_an_audited_404(
    couple, partner_a, jordans_team, couples_therapist
):
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=jordans_team["therapist"],
        couple=couple,
        partners=[partner_a],
    )
    note = written(session)

    with pytest.raises(Http404):
        queries.note_get_for_user(user=couples_therapist.user, pk=note.pk)

    denial = AuditEvent.objects.get(actor=couples_therapist.user, allowed=False)
    assert denial.detail == {"target_type": "notes.Note", "target_id": str(note.pk)}


def test_a_group_note_shows_each_participants_clinicians_only_their_entry(
    couple, partner_a, partner_b, jordans_team, alexs_therapist, couples_therapist
):
    leader = ClinicianFactory(can_be_counselor=True)
    third = PartnerFactory()
    session = attended_session(
        kind=SessionKind.GROUP, clinician=leader, partners=[partner_a, partner_b, third]
    )
    note = written(session)
    readable = _readers(
        note,
        {
            "leader": leader.user,
            "jordans_counselor": jordans_team["counselor"].user,
            "jordans_therapist": jordans_team["therapist"].user,
            "jordans_medical": jordans_team["medical"].user,
            "alexs_therapist": alexs_therapist.user,
            "couples_therapist": couples_therapist.user,
        },
    )

    assert readable == {
        "leader": sorted([partner_a.pk, partner_b.pk, third.pk]),
        "jordans_counselor": [partner_a.pk],
        "jordans_therapist": [partner_a.pk],
        "jordans_medical": None,
        "alexs_therapist": [partner_b.pk],
        "couples_therapist": None,
    }


def test_a_draft_is_its_authors_alone_and_the_cosigner_reads_what_they_cosign(
    couple, partner_a, partner_b
):
    supervisor = ClinicianFactory()
    supervisee = ClinicianFactory(supervisor=supervisor)
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=supervisee, by=None
    )
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=supervisee,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    draft = written(session, sign=False)
    with pytest.raises(Http404):
        queries.note_get_for_user(user=supervisor.user, pk=draft.pk)

    from notes import services

    services.note_sign(note=draft, by=supervisee.user)

    assert queries.note_get_for_user(user=supervisor.user, pk=draft.pk).note.pk == draft.pk


@pytest.mark.parametrize("count", [1, 6])
def test_reads_take_a_fixed_number_of_queries(
    couple, partner_a, partner_b, couples_therapist, count, django_assert_num_queries
):
    notes = []
    for number in range(count):
        session = attended_session(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=couples_therapist,
            couple=couple,
            partners=[partner_a, partner_b],
            hours_ago=2 + number,
        )
        notes.append(written(session, sign=number % 2 == 0))
    user = couples_therapist.user

    # the readable entries with note and people; addenda; the objectives of those partners
    with django_assert_num_queries(3):
        queries.note_get_for_user(user=user, pk=notes[0].pk)
    with django_assert_num_queries(1):  # the partner's entries the viewer may read
        entries = queries.notes_for_partner_for_user(user=user, partner=partner_a)
    with django_assert_num_queries(1):  # the sessions without a signed note, with drafts
        to_write, to_write_count = queries.notes_to_write_for_clinician(user=user)

    assert len(entries) == count
    assert len(to_write) == to_write_count == count // 2
