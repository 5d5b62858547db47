"""A note links the plan objectives the session addressed: chosen on its form among the
current signed plans of its partners that the writer may read, shown with the note to those
who read that partner's part, and locked with the note (services and database)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from couples import services as couple_services
from notes import queries, services
from notes.models import Note
from plans import services as plans_services
from plans.models import Objective
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session, signed_plan, written


@pytest.fixture
def plans(couple, partner_a, partner_b, couples_therapist, alexs_therapist, jordans_team):
    """Jordan's plan (by their therapist), Alex's (by Daniel), the couple plan (by Maya), a
    draft plan of another couple's partner; each objective named for its plan."""
    return {
        "jordan": signed_plan(partner_a, jordans_team["therapist"], objectives=["Jordan obj"]),
        "alex": signed_plan(partner_b, alexs_therapist, objectives=["Alex obj"]),
        "couple": signed_plan(None, couples_therapist, couple=couple, objectives=["Couple obj"]),
    }


def _choices(user, session, note=None):
    partners = [a.partner for a in session.attendances.select_related("partner__user")]
    links = queries.objectives_for_note_form(
        user=user, session=session, partners=partners, note=note
    )
    return [(link.plan_label, link.objective.description) for link in links]


def _session(kind, clinician, couple, partners, hours_ago=2):
    return attended_session(
        kind=kind, clinician=clinician, couple=couple, partners=partners, hours_ago=hours_ago
    )


def test_a_couples_note_offers_both_partners_plans_and_the_couple_plan(
    couple, partner_a, partner_b, couples_therapist, plans
):
    session = _session(
        SessionKind.COUPLES_THERAPY, couples_therapist, couple, [partner_a, partner_b]
    )

    assert _choices(couples_therapist.user, session) == [
        ("Jordan's plan", "Jordan obj"),
        ("Alex's plan", "Alex obj"),
        ("Couple plan", "Couple obj"),
    ]


def test_an_individual_note_offers_only_that_partners_plan(couple, partner_a, jordans_team, plans):
    session = _session(
        SessionKind.INDIVIDUAL_THERAPY, jordans_team["therapist"], couple, [partner_a]
    )

    assert _choices(jordans_team["therapist"].user, session) == [("Jordan's plan", "Jordan obj")]


def test_a_group_note_offers_only_the_plans_the_writer_may_read_and_never_a_draft(
    couple, partner_a, partner_b, jordans_team, plans
):
    # Jordan's counselor leads a group with Alex (not theirs to read) and another couple's
    # partner, whose plan is a draft anyway.
    other = PartnerFactory(user__first_name="Casey")
    other_therapist = ClinicianFactory(can_be_individual_therapist=True)
    couple_services.care_team_assign(
        couple=other.couple,
        role="individual_therapist",
        clinician=other_therapist,
        partner=other,
        by=None,
    )
    signed_plan(other, other_therapist, objectives=["Casey draft obj"], sign=False)
    leader = jordans_team["counselor"]
    session = _session(SessionKind.GROUP, leader, None, [partner_a, partner_b, other])

    assert _choices(leader.user, session) == [("Jordan's plan", "Jordan obj")]


def test_a_review_signed_later_offers_the_new_version_and_keeps_the_drafts_link(
    couple, partner_a, jordans_team, plans
):
    therapist = jordans_team["therapist"]
    session = _session(SessionKind.INDIVIDUAL_THERAPY, therapist, couple, [partner_a])
    draft = written(session, sign=False)
    services.note_save(
        note=draft,
        sections={},
        entries={},
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=False,
        place_of_service="10",
        objectives=plans["jordan"],
        by=therapist.user,
    )
    plan = plans["jordan"][0].goal.problem.version.plan
    review = plans_services.plan_review_start(plan=plan, by=therapist.user)
    plans_services.plan_version_sign(version=review, by=therapist.user)

    links = queries.objectives_for_note_form(
        user=therapist.user, session=session, partners=[partner_a], note=draft
    )

    # The old version's objective (linked) and its copy in the new current version.
    versions = [
        (link.objective.goal.problem.version.number, link.objective.is_linked) for link in links
    ]
    assert versions == [(1, True), (2, False)]


def test_the_form_links_objectives_and_the_note_shows_them_to_its_readers_only(
    client, couple, partner_a, partner_b, couples_therapist, alexs_therapist, plans
):
    session = _session(
        SessionKind.COUPLES_THERAPY, couples_therapist, couple, [partner_a, partner_b]
    )
    sign_in_with_mfa(client, couples_therapist.user)
    form = client.get(f"/clinic/sessions/{session.pk}/note/").text
    assert "Plan objectives this session addressed" in form
    chosen = [plans["jordan"][0].pk, plans["alex"][0].pk, plans["couple"][0].pk]

    response = client.post(
        f"/clinic/sessions/{session.pk}/note/",
        {
            "data": "Both present.",
            "assessment": "Engaged.",
            "plan": "Next week.",
            "risk_level": "none",
            "place_of_service": "10",
            "objectives": chosen,
            "action": "sign",
            "confirm_lock": "on",
        },
    )

    note = Note.objects.get(session=session)
    assert response.status_code == 302
    assert sorted(note.objectives.values_list("pk", flat=True)) == sorted(chosen)
    page = client.get(f"/clinic/notes/{note.pk}/").text
    for text in ("Jordan&#x27;s plan:</span> Jordan obj", "Alex&#x27;s plan:</span> Alex obj"):
        assert text in page
    assert "Couple plan:</span> Couple obj" in page
    # On the portal, Jordan reads their own plan's and the couple plan's, never Alex's.
    client.force_login(partner_a.user)
    portal = client.get(f"/portal/notes/{note.pk}/").text
    assert "Jordan obj" in portal and "Couple obj" in portal
    assert "Alex obj" not in portal


def test_a_forged_objective_is_refused_on_the_form_and_nothing_is_saved(
    client, couple, partner_a, partner_b, couples_therapist, plans
):
    stranger = PartnerFactory()
    therapist = ClinicianFactory(can_be_individual_therapist=True)
    couple_services.care_team_assign(
        couple=stranger.couple,
        role="individual_therapist",
        clinician=therapist,
        partner=stranger,
        by=None,
    )
    [foreign] = signed_plan(stranger, therapist, objectives=["Someone else's obj"])
    session = _session(
        SessionKind.COUPLES_THERAPY, couples_therapist, couple, [partner_a, partner_b]
    )
    sign_in_with_mfa(client, couples_therapist.user)

    response = client.post(
        f"/clinic/sessions/{session.pk}/note/",
        {
            "data": "Kept text.",
            "risk_level": "none",
            "place_of_service": "10",
            "objectives": [foreign.pk],
            "action": "save",
        },
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert "Kept text." in response.text
    assert not Note.objects.exists()


def test_the_service_refuses_an_objective_of_a_plan_not_the_notes(
    couple, partner_a, jordans_team, plans
):
    therapist = jordans_team["therapist"]
    session = _session(SessionKind.INDIVIDUAL_THERAPY, therapist, couple, [partner_a])
    draft = written(session, sign=False)

    for wrong in (plans["alex"], plans["couple"]):
        with pytest.raises(ValidationError) as error:
            services.note_save(
                note=draft,
                sections={},
                entries={},
                risk_level="none",
                risk_note="",
                is_psychotherapy_note=False,
                place_of_service="10",
                objectives=wrong,
                by=therapist.user,
            )
        assert "objectives" in error.value.message_dict
    assert not draft.objectives.exists()


def _refused(sql, params=()):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_signed_notes_objectives_cannot_change_by_any_path(
    couple, partner_a, partner_b, couples_therapist, plans
):
    session = _session(
        SessionKind.COUPLES_THERAPY, couples_therapist, couple, [partner_a, partner_b]
    )
    draft = written(session, sign=False)
    services.note_save(
        note=draft,
        sections={"data": "d", "assessment": "a", "plan": "p"},
        entries={},
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=False,
        place_of_service="10",
        objectives=plans["jordan"],
        by=couples_therapist.user,
    )
    note = services.note_sign(note=draft, by=couples_therapist.user)
    jordan_obj, alex_obj = plans["jordan"][0], plans["alex"][0]

    # The service refuses, as for the rest of a signed note.
    with pytest.raises(ValidationError, match="add an addendum"):
        services.note_save(
            note=note,
            sections={"data": "d", "assessment": "a", "plan": "p"},
            entries={},
            risk_level="none",
            risk_note="",
            is_psychotherapy_note=False,
            place_of_service="10",
            objectives=[alex_obj],
            by=couples_therapist.user,
        )
    # So does the database, whatever path: the ORM's add and remove, or plain SQL.
    for change in (lambda: note.objectives.add(alex_obj), lambda: note.objectives.clear()):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    _refused(
        "INSERT INTO notes_note_objectives (note_id, objective_id) VALUES (%s, %s)",
        [note.pk, alex_obj.pk],
    )
    _refused("DELETE FROM notes_note_objectives WHERE note_id = %s", [note.pk])
    _refused(
        "UPDATE notes_note_objectives SET objective_id = %s WHERE note_id = %s",
        [alex_obj.pk, note.pk],
    )

    assert list(note.objectives.values_list("pk", flat=True)) == [jordan_obj.pk]


def test_a_drafts_objectives_change_freely(couple, partner_a, jordans_team, plans):
    therapist = jordans_team["therapist"]
    draft = written(
        _session(SessionKind.INDIVIDUAL_THERAPY, therapist, couple, [partner_a]), sign=False
    )

    draft.objectives.add(plans["jordan"][0])
    draft.objectives.clear()

    assert not draft.objectives.exists()


@pytest.mark.parametrize("count", [1, 8])
def test_the_form_takes_the_same_queries_however_many_objectives(
    client,
    couple,
    partner_a,
    partner_b,
    couples_therapist,
    jordans_team,
    count,
    django_assert_num_queries,
):
    signed_plan(partner_a, jordans_team["therapist"], objectives=[f"Obj {n}" for n in range(count)])
    signed_plan(None, couples_therapist, couple=couple, objectives=[f"C {n}" for n in range(count)])
    session = _session(
        SessionKind.COUPLES_THERAPY, couples_therapist, couple, [partner_a, partner_b]
    )
    draft = written(session, sign=False)
    draft.objectives.set(Objective.objects.filter(description__startswith="Obj"))
    sign_in_with_mfa(client, couples_therapist.user)
    url = f"/clinic/sessions/{session.pk}/note/"
    client.get(url)

    # session, user with roles and authenticator; the draft, its entries, their partners and
    # users; the writer's roles on the couple, the objectives with their plans and links; the
    # read's audit rows (lock the chain head, insert both partners', move the head)
    with django_assert_num_queries(11):
        response = client.get(url)
    # The note's page reads its objectives in one query too.
    with django_assert_num_queries(3):  # the readable entries; addenda; the objectives
        page = queries.note_get_for_user(user=couples_therapist.user, pk=draft.pk)
    assert len(page.objectives) == count
    assert response.text.count('name="objectives"') == 2 * count
    assert response.text.count("checked") >= count
