"""A note not finished NOTE_SIGN_HOURS after its session is in the queue of whoever must finish
it: the author's while unsigned, the supervisor's and the author's while it waits for the
co-signature; never the rest of the care team's."""

import pytest
from django.http import Http404
from django.utils import timezone

from common.zones import zone_named
from notes import services
from notes.triage_rules import notes_overdue
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session, written
from triage import queries as triage_queries
from triage.models import TriageItem
from triage.sweeps import RULES, rule_apply

HOME = "/clinic/"


@pytest.fixture(autouse=True)
def hours(settings):
    settings.NOTE_SIGN_HOURS = 72


def sweep() -> tuple[int, int]:
    rule = RULES[TriageItem.Kind.NOTE_OVERDUE]
    now = timezone.now()
    return rule_apply(rule=rule, findings=list(notes_overdue(now)), now=now)


def queue_of(clinician) -> list[str]:
    return [item.summary for item in triage_queries.items_open_for_clinician(user=clinician.user)]


def test_an_overdue_draft_is_in_its_authors_queue_only(
    client, couple, partner_a, partner_b, couples_therapist, alexs_therapist, jordans_team
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
        hours_ago=73,
    )
    written(session, sign=False)

    assert sweep() == (1, 0)

    item = TriageItem.objects.get(kind=TriageItem.Kind.NOTE_OVERDUE)
    assert (item.assignee, item.couple_id, item.partner_id) == (
        couples_therapist.user,
        couple.pk,
        None,
    )
    assert queue_of(couples_therapist) == [item.summary]
    assert item.summary.startswith("Note not signed: Couples therapy with Jordan & Alex on ")
    for other in (alexs_therapist, *jordans_team.values()):
        assert queue_of(other) == []
        with pytest.raises(Http404):
            triage_queries.item_get_for_user(user=other.user, pk=item.pk)
    # On the home, one click from the note's form.
    sign_in_with_mfa(client, couples_therapist.user)
    home = client.get(HOME).text
    assert f'href="/clinic/sessions/{session.pk}/note/" class="fw-semibold">Note not signed' in home


def test_a_note_due_later_raises_nothing(couple, partner_a, partner_b, couples_therapist):
    attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
        hours_ago=71,
    )

    assert sweep() == (0, 0)


def test_a_group_leader_off_every_care_team_gets_one_item_for_the_group(
    couple, partner_a, partner_b, jordans_team
):
    leader = ClinicianFactory(can_be_counselor=True)
    casey = PartnerFactory(user__first_name="Casey")
    participants = [partner_a, partner_b, casey, PartnerFactory(couple=casey.couple)]
    attended_session(kind=SessionKind.GROUP, clinician=leader, partners=participants, hours_ago=80)

    assert sweep() == (1, 0)

    [summary] = queue_of(leader)
    assert summary.startswith("Note not signed: Group of 4 on ")
    assert queue_of(jordans_team["counselor"]) == []


def test_a_note_waiting_for_its_co_signature_is_the_supervisors_and_the_authors(
    client, couple, partner_a, partner_b, couples_therapist
):
    supervisor = ClinicianFactory(user__first_name="Rosa", user__last_name="Alvarez")
    supervisee = ClinicianFactory(
        user__first_name="Sam", user__last_name="Okafor", supervisor=supervisor
    )
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=supervisee,
        couple=couple,
        partners=[partner_a],
        hours_ago=75,
    )
    draft = written(session, sign=False)
    assert sweep() == (1, 0)
    assert queue_of(supervisee) == [
        f"Note not signed: Individual therapy with Jordan on {_day(session)}"
    ]

    note = services.note_sign(note=draft, by=supervisee.user)

    # The author's item ends as they sign; the co-signature's are raised, one each.
    assert sweep() == (2, 1)
    assert queue_of(supervisor) == [
        f"Note to co-sign: Individual therapy with Jordan on {_day(session)}, by Sam Okafor"
    ]
    assert queue_of(supervisee) == [
        f"Note not co-signed yet by Rosa Alvarez: Individual therapy with Jordan on {_day(session)}"
    ]
    assert queue_of(couples_therapist) == []
    # The supervisor goes from the item to the note (and its Co-sign button).
    sign_in_with_mfa(client, supervisor.user)
    response = client.get(f"/clinic/sessions/{session.pk}/note/")
    assert response.status_code == 302 and response.url == f"/clinic/notes/{note.pk}/"

    services.note_cosign(note=note, by=supervisor.user)

    assert sweep() == (0, 2)
    assert queue_of(supervisor) == queue_of(supervisee) == []
    assert set(
        TriageItem.objects.filter(kind=TriageItem.Kind.NOTE_OVERDUE).values_list(
            "resolution", flat=True
        )
    ) == {"Note signed"}


def test_the_assignee_acknowledges_their_item(couple, partner_a, partner_b, couples_therapist):
    attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
        hours_ago=73,
    )
    sweep()
    item = triage_queries.items_open_for_clinician(user=couples_therapist.user)[0]

    assert triage_queries.item_get_for_user(user=couples_therapist.user, pk=item.pk) == item


def _day(session) -> str:
    moment = session.starts_at.astimezone(zone_named(session.time_zone))
    return f"{moment:%b} {moment.day}"
