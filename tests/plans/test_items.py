"""Editing and removing a draft plan's problems, goals, objectives and interventions: the
services (plans.services_items) and the pages (plans.views_items)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from plans import services, services_items
from plans.models import Intervention, Objective, PlanGoal, PlanVersion, Problem
from tests.couples.test_views_clinic import sign_in
from tests.factories import ClinicianFactory, GoalFactory
from tests.plans.conftest import NOW, TODAY, plan_tree

pytestmark = pytest.mark.usefixtures("frozen")


def plan_url(partner):
    return f"/clinic/couples/{partner.couple_id}/plans/partner/{partner.pk}/"


def item_url(partner, action, kind, pk):
    return f"{plan_url(partner)}{action}/{kind}/{pk}/"


@pytest.fixture
def draft(partner_a, jordans_therapist):
    """Jordan's draft plan: 2 problems, each with 2 goals, 2 objectives, 2 interventions."""
    return plan_tree(partner_a, jordans_therapist, problems=2, each=2)


def _audits(action):
    return AuditEvent.objects.filter(action=action, target_type__startswith="plans.")


# Services


def test_editing_writes_only_what_changed_and_audits_the_field_names(draft, jordans_therapist):
    problem = draft.problems.first()
    objective = Objective.objects.filter(goal__problem=problem).first()
    by = jordans_therapist.user

    services_items.problem_edit(problem=problem, dimension=3, description=" Low mood ", by=by)
    services_items.objective_edit(
        objective=objective,
        description=objective.description,
        target_on=TODAY + datetime.timedelta(days=90),
        by=by,
    )
    services_items.objective_edit(
        objective=objective,
        description=objective.description,
        target_on=TODAY + datetime.timedelta(days=90),
        by=by,
    )

    problem.refresh_from_db()
    assert (problem.dimension, problem.description) == (3, "Low mood")
    updates = _audits("update").order_by("pk")
    assert [event.detail["fields"] for event in updates] == [
        ["dimension", "description"],
        ["target_on"],
    ]
    assert all(event.patient_id == draft.plan.partner_id for event in updates)
    assert "Low mood" not in str(updates[0].detail)


def test_a_goal_answers_only_this_plans_recovery_goals(
    draft, partner_a, partner_b, jordans_therapist
):
    goal = PlanGoal.objects.filter(problem__version=draft).first()
    own = GoalFactory(couple=partner_a.couple, partner=partner_a)
    others = GoalFactory(couple=partner_a.couple, partner=partner_b)
    by = jordans_therapist.user

    services_items.goal_edit(goal=goal, description="Sober", recovery_goal=own, by=by)
    with pytest.raises(ValidationError, match="this plan's recovery goals"):
        services_items.goal_edit(goal=goal, description="Sober", recovery_goal=others, by=by)

    assert PlanGoal.objects.get(pk=goal.pk).recovery_goal == own


def test_an_objectives_target_is_checked_only_when_it_changes(
    partner_a, jordans_therapist, time_machine
):
    """A review copies objectives whose target may have passed: their words can still be
    corrected, but a new target falls within a year ahead."""
    signed = plan_tree(partner_a, jordans_therapist, sign=True)
    time_machine.move_to(NOW + datetime.timedelta(days=60), tick=False)
    draft = services.plan_review_start(plan=signed.plan, by=jordans_therapist.user)
    objective = Objective.objects.get(goal__problem__version=draft)
    past = objective.target_on
    by = jordans_therapist.user

    services_items.objective_edit(objective=objective, description="Clearer", target_on=past, by=by)
    with pytest.raises(ValidationError, match="Choose a target date between"):
        services_items.objective_edit(
            objective=objective,
            description="Clearer",
            target_on=past - datetime.timedelta(1),
            by=by,
        )

    assert Objective.objects.get(pk=objective.pk).description == "Clearer"


def test_an_intervention_is_handed_only_to_the_plans_care_team(
    draft, jordans_therapist, couples_therapist, alexs_therapist
):
    intervention = Intervention.objects.filter(objective__goal__problem__version=draft).first()
    by = jordans_therapist.user

    services_items.intervention_edit(
        intervention=intervention,
        description="Couples session on conflict",
        frequency="fortnightly",
        responsible=couples_therapist,
        by=by,
    )
    with pytest.raises(ValidationError, match="care team"):
        services_items.intervention_edit(
            intervention=intervention,
            description="x",
            frequency="weekly",
            responsible=alexs_therapist,
            by=by,
        )

    intervention.refresh_from_db()
    assert (intervention.frequency, intervention.responsible) == ("fortnightly", couples_therapist)


def test_removing_a_problem_removes_what_hangs_under_it_and_audits_how_much(
    draft, jordans_therapist
):
    problem, other = list(draft.problems.all())

    removed = services_items.problem_remove(problem=problem, by=jordans_therapist.user)

    assert removed == {"problem": 1, "plangoal": 2, "objective": 4, "intervention": 8}
    assert list(draft.problems.all()) == [other]
    assert Intervention.objects.count() == 8
    event = _audits("delete").get()
    assert (event.target_type, event.target_id) == ("plans.Problem", str(problem.pk))
    assert event.detail["removed"] == removed


def test_removing_from_a_review_leaves_the_signed_version_whole(partner_a, jordans_therapist):
    signed = plan_tree(partner_a, jordans_therapist, problems=2, sign=True)
    draft = services.plan_review_start(plan=signed.plan, by=jordans_therapist.user)

    services_items.goal_remove(
        goal=PlanGoal.objects.filter(problem__version=draft).first(), by=jordans_therapist.user
    )

    assert PlanGoal.objects.filter(problem__version=signed).count() == 2
    assert PlanGoal.objects.filter(problem__version=draft).count() == 1


def test_the_item_services_refuse_a_signed_version(partner_a, jordans_therapist):
    signed = plan_tree(partner_a, jordans_therapist, sign=True)
    goal = PlanGoal.objects.get()
    objective = Objective.objects.get()
    by = jordans_therapist.user

    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.goal_edit(goal=goal, description="x", by=by)
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.objective_edit(
            objective=objective, description="x", target_on=objective.target_on, by=by
        )
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.goal_remove(goal=goal, by=by)
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.objective_remove(objective=objective, by=by)

    assert Objective.objects.filter(goal__problem__version=signed).count() == 1
    assert not _audits("delete").exists()


# Pages


def test_the_draft_plan_page_links_each_item_to_its_edit_and_remove_pages(
    client, draft, partner_a, jordans_therapist
):
    sign_in(client, jordans_therapist.user)
    intervention = Intervention.objects.filter(objective__goal__problem__version=draft).last()

    page = client.get(plan_url(partner_a)).text

    assert f'href="{item_url(partner_a, "edit", "intervention", intervention.pk)}"' in page
    assert f'href="{item_url(partner_a, "remove", "intervention", intervention.pk)}"' in page
    assert page.count(">Edit<span") == 2 + 4 + 8 + 16


@pytest.mark.parametrize("problems", [1, 6])
def test_the_draft_plan_pages_queries_do_not_grow_with_its_items(
    client, partner_a, jordans_therapist, django_assert_max_num_queries, problems
):
    plan_tree(partner_a, jordans_therapist, problems=problems, each=2)
    sign_in(client, jordans_therapist.user)

    # session, user, couple, role, coverage, partner, plan, versions, the tree (4), the add
    # forms' team and recovery goals, the audit (3): at 1 and at 6 problems (90 items).
    with django_assert_max_num_queries(19):
        page = client.get(plan_url(partner_a)).text
    assert page.count(">Remove<span") == problems * 15


def test_a_goal_is_edited_on_its_page(client, draft, partner_a, partner_b, jordans_therapist):
    recovery = GoalFactory(couple=partner_a.couple, partner=None, title="Date night weekly")
    GoalFactory(couple=partner_a.couple, partner=partner_b, title="Alex's own goal")
    goal = PlanGoal.objects.filter(problem__version=draft).first()
    url = item_url(partner_a, "edit", "goal", goal.pk)
    sign_in(client, jordans_therapist.user)

    form = client.get(url).text
    response = client.post(url, {"description": "Stay sober", "recovery_goal": recovery.pk})

    assert "Date night weekly" in form and "Alex&#x27;s own goal" not in form
    assert f"\n{goal.description}</textarea>" in form  # the goal as it is, to correct
    assert response.status_code == 302
    assert response["Location"] == f"{plan_url(partner_a)}#goal-{goal.pk}"
    goal.refresh_from_db()
    assert (goal.description, goal.recovery_goal) == ("Stay sober", recovery)
    assert AuditEvent.objects.filter(
        action="read", target_type="plans.PlanGoal", target_id=str(goal.pk)
    ).exists()


def test_bad_input_comes_back_with_a_clear_message_and_nothing_changes(
    client, draft, partner_a, jordans_therapist
):
    intervention = Intervention.objects.filter(objective__goal__problem__version=draft).first()
    url = item_url(partner_a, "edit", "intervention", intervention.pk)
    sign_in(client, jordans_therapist.user)
    typed = "A long description " * 30

    response = client.post(
        url, {"description": typed, "frequency": "weekly", "responsible": jordans_therapist.pk}
    )

    assert response.status_code == 200
    assert "Keep the intervention to 500 characters or fewer." in response.text
    assert typed.strip() in response.text  # nothing typed is lost
    assert Intervention.objects.get(pk=intervention.pk).description == intervention.description


def test_an_objectives_new_target_outside_the_year_is_refused_on_the_page(
    client, draft, partner_a, jordans_therapist
):
    objective = Objective.objects.filter(goal__problem__version=draft).first()
    sign_in(client, jordans_therapist.user)

    response = client.post(
        item_url(partner_a, "edit", "objective", objective.pk),
        {"description": "Sober 30 days", "target_on": "2028-01-01"},
    )

    assert response.status_code == 200
    assert "Choose a target date between March 10, 2026 and March 10, 2027." in response.text
    assert Objective.objects.get(pk=objective.pk).description == objective.description


def test_removing_a_problem_asks_first_then_removes_it_with_all_under_it(
    client, draft, partner_a, jordans_therapist
):
    problem = draft.problems.first()
    url = item_url(partner_a, "remove", "problem", problem.pk)
    sign_in(client, jordans_therapist.user)

    asked = client.get(url)
    assert Problem.objects.filter(pk=problem.pk).exists()
    done = client.post(url, follow=True)

    assert "With it go its 2 goals, 4 objectives and 8 interventions" in asked.text
    assert '<form method="post">' in asked.text
    assert "The problem is removed, with its 2 goals, 4 objectives and 8 interventions." in (
        done.text
    )
    assert not Problem.objects.filter(pk=problem.pk).exists()
    assert Intervention.objects.count() == 8


def test_an_intervention_is_removed_alone(client, draft, partner_a, jordans_therapist):
    intervention = Intervention.objects.filter(objective__goal__problem__version=draft).first()
    url = item_url(partner_a, "remove", "intervention", intervention.pk)
    sign_in(client, jordans_therapist.user)

    asked = client.get(url).text
    done = client.post(url, follow=True).text

    assert "With it go" not in asked
    assert "The intervention is removed." in done
    assert Intervention.objects.count() == 15


def test_a_signed_versions_items_are_refused_with_the_reason(client, partner_a, jordans_therapist):
    signed = plan_tree(partner_a, jordans_therapist, sign=True)
    problem = Problem.objects.get()
    sign_in(client, jordans_therapist.user)

    edit = client.post(
        item_url(partner_a, "edit", "problem", problem.pk),
        {"dimension": 1, "description": "Changed"},
        follow=True,
    )
    remove = client.post(item_url(partner_a, "remove", "problem", problem.pk), follow=True)

    assert "Version 1 is signed. Signed: it cannot change. Start a review" in edit.text
    assert "Version 1 is signed." in remove.text
    assert ">Edit<span" not in client.get(plan_url(partner_a)).text
    assert Problem.objects.get().description == problem.description
    assert signed.problems.count() == 1


def test_the_couple_plans_items_are_edited_by_its_care_team(client, partner_a, couples_therapist):
    version = plan_tree(None, couples_therapist, couple=partner_a.couple)
    problem = version.problems.get()
    url = f"/clinic/couples/{partner_a.couple_id}/plans/couple/edit/problem/{problem.pk}/"
    sign_in(client, couples_therapist.user)

    response = client.post(url, {"dimension": 6, "description": "Conflict at home"})

    assert response.status_code == 302
    assert Problem.objects.get().description == "Conflict at home"


def test_an_item_of_another_plan_or_kind_is_the_audited_404(
    client, draft, partner_a, partner_b, couples_therapist, alexs_therapist
):
    """The couples therapist covers both partners: Jordan's item through Alex's plan's
    address is still the 404, as is a kind that does not exist."""
    plan_tree(partner_b, alexs_therapist)
    jordans = draft.problems.first()
    sign_in(client, couples_therapist.user)

    for url in (
        item_url(partner_b, "edit", "problem", jordans.pk),
        item_url(partner_b, "remove", "problem", jordans.pk),
        item_url(partner_a, "edit", "goal", jordans.pk + 10_000),
        item_url(partner_a, "edit", "session", jordans.pk),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(item_url(partner_b, "remove", "problem", jordans.pk)).status_code == 404
    assert AuditEvent.objects.filter(actor=couples_therapist.user, allowed=False).count() == 5
    assert Problem.objects.filter(pk=jordans.pk).exists()


def test_the_other_partners_therapist_an_outsider_and_a_partner_are_kept_out(
    client, draft, partner_a, alexs_therapist
):
    problem = draft.problems.first()
    for action in ("edit", "remove"):
        url = item_url(partner_a, action, "problem", problem.pk)
        for user in (alexs_therapist.user, ClinicianFactory().user):
            sign_in(client, user)
            assert client.get(url).status_code == 404
            assert client.post(url).status_code == 404
        sign_in(client, partner_a.user)
        assert client.get(url).status_code == 403

    assert Problem.objects.filter(pk=problem.pk).exists()
    assert PlanVersion.objects.get().problems.count() == 2


def test_an_item_removed_meanwhile_is_refused_with_a_message(draft, jordans_therapist):
    intervention = Intervention.objects.filter(objective__goal__problem__version=draft).first()
    services_items.intervention_remove(intervention=intervention, by=jordans_therapist.user)

    with pytest.raises(ValidationError, match="removed meanwhile"):
        services_items.intervention_edit(
            intervention=intervention,
            description="x",
            frequency="weekly",
            responsible=jordans_therapist,
            by=jordans_therapist.user,
        )
