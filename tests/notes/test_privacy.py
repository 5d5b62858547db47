"""The narrower reads: psychotherapy notes stay with their author and co-signer, and a group
note's entries stay on their own partner's record, on every page that lists or shows them."""

import pytest
from django.http import Http404

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from notes import queries, services
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session


def _write(session, *, psychotherapy=False, entries=None, sign=True):
    author = session.clinician
    note = services.note_start(session=session, author=author, by=author.user)
    note = services.note_save(
        note=note,
        sections={"data": "Shared data.", "assessment": "Shared view.", "plan": "Next week."},
        entries=entries or {},
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=psychotherapy,
        place_of_service="10",
        by=author.user,
    )
    return services.note_sign(note=note, by=author.user) if sign else note


def _may_read(user, note) -> bool:
    try:
        queries.note_get_for_user(user=user, pk=note.pk)
    except Http404:
        return False
    return True


# Psychotherapy notes


def test_psychotherapy_notes_are_read_by_their_author_and_co_signer_only(
    couple, partner_a, jordans_team, couples_therapist
):
    supervisor = ClinicianFactory(can_be_individual_therapist=True)
    therapist = jordans_team["therapist"]
    therapist.supervisor = supervisor
    therapist.save(update_fields=["supervisor"])
    # A second individual therapist for Jordan on the team would read an ordinary note.
    colleague = ClinicianFactory(can_be_couples_therapist=False, can_be_individual_therapist=True)
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=colleague,
        partner=partner_a,
        by=None,
    )
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=therapist,
        couple=couple,
        partners=[partner_a],
    )
    ordinary = _write(session)
    other = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=therapist,
        couple=couple,
        partners=[partner_a],
        hours_ago=30,
    )
    private = _write(other, psychotherapy=True)

    assert _may_read(colleague.user, ordinary)
    assert {
        name: _may_read(person.user, private)
        for name, person in {
            "author": therapist,
            "co-signer": supervisor,
            "colleague": colleague,
            "counselor": jordans_team["counselor"],
            "couples therapist": couples_therapist,
        }.items()
    } == {
        "author": True,
        "co-signer": True,
        "colleague": False,
        "counselor": False,
        "couples therapist": False,
    }
    # Nor is it listed for them, on the partner's or the couple's notes.
    assert [
        e.note_id
        for e in queries.notes_for_partner_for_user(user=colleague.user, partner=partner_a)
    ] == [ordinary.pk]
    assert [
        row.note.pk
        for row in queries.notes_for_partners_for_user(user=colleague.user, partners=[partner_a])
    ] == [ordinary.pk]


def test_a_colleague_opening_psychotherapy_notes_gets_an_audited_404(
    client, couple, partner_a, jordans_team
):
    colleague = ClinicianFactory(can_be_couples_therapist=False, can_be_individual_therapist=True)
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=colleague,
        partner=partner_a,
        by=None,
    )
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=jordans_team["therapist"],
        couple=couple,
        partners=[partner_a],
    )
    private = _write(session, psychotherapy=True)
    sign_in_with_mfa(client, colleague.user)

    assert client.get(f"/clinic/notes/{private.pk}/").status_code == 404
    tab = client.get(f"/clinic/couples/{couple.pk}/notes/")
    assert f"/clinic/notes/{private.pk}/" not in tab.text
    denial = AuditEvent.objects.get(actor=colleague.user, allowed=False)
    assert denial.detail == {"target_type": "notes.Note", "target_id": str(private.pk)}


def test_a_psychotherapy_note_in_a_group_is_its_authors_alone(couple, partner_a, jordans_team):
    leader = ClinicianFactory(can_be_counselor=True)
    session = attended_session(
        kind=SessionKind.GROUP, clinician=leader, partners=[partner_a, PartnerFactory()]
    )
    private = _write(session, psychotherapy=True)

    assert _may_read(leader.user, private)
    assert not _may_read(jordans_team["counselor"].user, private)
    assert not _may_read(jordans_team["therapist"].user, private)


# Group notes on the couple's Notes tab


@pytest.fixture
def three_couples_group(couple, partner_a, partner_b):
    """A group led by Lee (a counselor on no couple's team) with both partners of three
    couples, each entry naming its own partner."""
    leader = ClinicianFactory(user__first_name="Lee", can_be_counselor=True)
    casey = PartnerFactory(user__first_name="Casey")
    drew = PartnerFactory(couple=casey.couple, user__first_name="Drew")
    emery = PartnerFactory(user__first_name="Emery")
    frankie = PartnerFactory(couple=emery.couple, user__first_name="Frankie")
    participants = [partner_a, partner_b, casey, drew, emery, frankie]
    session = attended_session(kind=SessionKind.GROUP, clinician=leader, partners=participants)
    note = _write(
        session,
        entries={p.pk: f"Entry about {p.user.first_name} only." for p in participants},
    )
    return {"leader": leader, "note": note, "participants": participants}


def test_a_clinician_on_couple_as_team_never_sees_another_couples_entry(
    client, couple, partner_a, partner_b, jordans_team, couples_therapist, three_couples_group
):
    note = three_couples_group["note"]
    counselor = jordans_team["counselor"]  # Jordan's counselor: not the group's clinician
    sign_in_with_mfa(client, counselor.user)

    tab = client.get(f"/clinic/couples/{couple.pk}/notes/")
    page = client.get(f"/clinic/notes/{note.pk}/")

    assert tab.status_code == page.status_code == 200
    assert f'href="/clinic/notes/{note.pk}/"' in tab.text
    assert "Entry about Jordan only." in page.text
    for name in ("Alex", "Casey", "Drew", "Emery", "Frankie"):
        assert f"Entry about {name} only." not in page.text
        assert name not in tab.text.split('id="notes-heading"')[1]
    # Only Jordan's part was read, so only Jordan's read is recorded.
    reads = AuditEvent.objects.filter(
        actor=counselor.user, action="read", target_type="notes.Note", allowed=True
    )
    assert {event.patient_id for event in reads} == {partner_a.pk}

    # The couples therapist reads couples notes, not group notes: none listed, the note a 404.
    sign_in_with_mfa(client, couples_therapist.user)
    assert f"/clinic/notes/{note.pk}/" not in client.get(f"/clinic/couples/{couple.pk}/notes/").text
    assert client.get(f"/clinic/notes/{note.pk}/").status_code == 404


def test_the_groups_clinician_reads_every_entry(client, three_couples_group):
    sign_in_with_mfa(client, three_couples_group["leader"].user)

    page = client.get(f"/clinic/notes/{three_couples_group['note'].pk}/").text

    for partner in three_couples_group["participants"]:
        assert f"Entry about {partner.user.first_name} only." in page
