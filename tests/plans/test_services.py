import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import override_settings

from audit.models import AuditEvent
from plans import services
from plans.models import (
    Assessment,
    Dimension,
    Intervention,
    LevelOfCare,
    Objective,
    PlanVersion,
)
from tests.factories import ClinicianFactory, GoalFactory
from tests.plans.conftest import RATINGS, TODAY

pytestmark = pytest.mark.usefixtures("frozen")


def _assess(partner, assessor, **changes):
    arguments = {
        "partner": partner,
        "assessor": assessor,
        "assessed_on": TODAY,
        "recommended_level": LevelOfCare.IOP,
        "ratings": RATINGS,
        "narratives": {3: "Low mood since the relapse in January."},
        "by": assessor.user,
        **changes,
    }
    return services.assessment_save(**arguments)


def _plan_with_problem(partner, responsible):
    plan = services.plan_create(
        couple=partner.couple, partner=partner, responsible=responsible, by=responsible.user
    )
    version = plan.versions.get()
    problem = services.problem_add(
        version=version,
        dimension=Dimension.RELAPSE,
        description="Drinks when arguments escalate",
        by=responsible.user,
    )
    return plan, version, problem


# Assessments


def test_saving_an_assessment_writes_one_draft_and_audits_it(partner_a, jordans_therapist):
    first = _assess(partner_a, jordans_therapist)
    again = _assess(partner_a, jordans_therapist, recommended_level=LevelOfCare.PHP)

    assert again.pk == first.pk
    assert Assessment.objects.get().recommended_level == LevelOfCare.PHP
    assert again.ratings[4] == (Dimension.RELAPSE.label, 3, "")
    actions = AuditEvent.objects.filter(target_type="plans.Assessment").values_list(
        "action", flat=True
    )
    assert sorted(actions) == ["create", "update"]


@pytest.mark.parametrize(
    ("days", "is_refused"), [(1, True), (0, False), (-365, False), (-367, True)]
)
def test_the_assessment_date_is_today_or_within_the_last_year(
    partner_a, jordans_therapist, days, is_refused
):
    assessed_on = TODAY + datetime.timedelta(days=days)
    if is_refused:
        with pytest.raises(ValidationError, match="Choose the date between"):
            _assess(partner_a, jordans_therapist, assessed_on=assessed_on)
    else:
        assert _assess(partner_a, jordans_therapist, assessed_on=assessed_on).pk


def test_a_rating_above_4_is_refused_by_the_service_and_the_database(partner_a, jordans_therapist):
    with pytest.raises(ValidationError, match="from 0 to 4"):
        _assess(partner_a, jordans_therapist, ratings={**RATINGS, 2: 5})
    assessment = _assess(partner_a, jordans_therapist)

    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=assessment.pk).update(dimension2_rating=5)


def test_a_narrative_longer_than_1000_characters_is_refused(partner_a, jordans_therapist):
    with pytest.raises(ValidationError, match="at most 1000"):
        _assess(partner_a, jordans_therapist, narratives={1: "x" * 1001})


def test_signing_locks_the_assessment_and_a_new_one_starts_a_new_draft(
    partner_a, jordans_therapist
):
    first = _assess(partner_a, jordans_therapist)
    services.assessment_sign(assessment=first, by=jordans_therapist.user)

    with pytest.raises(ValidationError, match="Signed"):
        services.assessment_sign(assessment=first, by=jordans_therapist.user)
    second = _assess(partner_a, jordans_therapist, recommended_level=LevelOfCare.OUTPATIENT)

    assert second.pk != first.pk
    first.refresh_from_db()
    assert first.recommended_level == LevelOfCare.IOP  # the signed one did not change


def test_only_the_assessor_signs(partner_a, jordans_therapist, couples_therapist):
    assessment = _assess(partner_a, jordans_therapist)

    with pytest.raises(ValidationError, match="Only the assessor"):
        services.assessment_sign(assessment=assessment, by=couples_therapist.user)


# Treatment plans


def test_a_plan_starts_with_a_draft_version(partner_a, jordans_therapist):
    plan, version, problem = _plan_with_problem(partner_a, jordans_therapist)

    assert (version.number, version.is_signed, problem.dimension) == (1, False, 5)
    assert AuditEvent.objects.filter(target_type="plans.TreatmentPlan", patient=partner_a).exists()


def test_the_couple_plan_is_the_couples_therapists(
    couple, partner_a, jordans_therapist, couples_therapist
):
    with pytest.raises(ValidationError, match="couples therapist"):
        services.plan_create(
            couple=couple, partner=None, responsible=jordans_therapist, by=couples_therapist.user
        )
    plan = services.plan_create(
        couple=couple, partner=None, responsible=couples_therapist, by=couples_therapist.user
    )

    assert plan.is_couple_plan


def test_a_partners_plan_is_one_of_their_own_clinicians(
    partner_a, partner_b, alexs_therapist, couples_therapist
):
    with pytest.raises(ValidationError, match="partner's own clinicians"):
        services.plan_create(
            couple=partner_a.couple, partner=partner_a, responsible=alexs_therapist, by=None
        )


def test_one_plan_per_partner(partner_a, jordans_therapist):
    _plan_with_problem(partner_a, jordans_therapist)

    with pytest.raises(ValidationError, match="exists already"):
        services.plan_create(
            couple=partner_a.couple,
            partner=partner_a,
            responsible=jordans_therapist,
            by=jordans_therapist.user,
        )


def test_a_goal_may_answer_the_couples_shared_goal_or_the_partners_own_only(
    partner_a, partner_b, jordans_therapist
):
    _, _, problem = _plan_with_problem(partner_a, jordans_therapist)
    shared = GoalFactory(couple=partner_a.couple)
    alexs = GoalFactory(couple=partner_a.couple, partner=partner_b)
    other_couples = GoalFactory()

    goal = services.goal_add(
        problem=problem,
        description="Pause before answering",
        recovery_goal=shared,
        by=jordans_therapist.user,
    )
    assert goal.recovery_goal == shared
    for wrong in (alexs, other_couples):
        with pytest.raises(ValidationError, match="this plan's recovery goals"):
            services.goal_add(
                problem=problem, description="x", recovery_goal=wrong, by=jordans_therapist.user
            )


@pytest.mark.parametrize(
    ("days", "is_refused"), [(-1, True), (0, False), (365, False), (367, True)]
)
def test_an_objectives_target_is_from_today_to_a_year_ahead(
    partner_a, jordans_therapist, days, is_refused
):
    _, _, problem = _plan_with_problem(partner_a, jordans_therapist)
    goal = services.goal_add(problem=problem, description="g", by=jordans_therapist.user)
    target_on = TODAY + datetime.timedelta(days=days)

    if is_refused:
        with pytest.raises(ValidationError, match="Choose a target date between"):
            services.objective_add(
                goal=goal, description="o", target_on=target_on, by=jordans_therapist.user
            )
    else:
        services.objective_add(
            goal=goal, description="o", target_on=target_on, by=jordans_therapist.user
        )


def _full_tree(partner, responsible, *, delivered_by=None):
    plan, version, problem = _plan_with_problem(partner, responsible)
    goal = services.goal_add(problem=problem, description="Stay sober", by=responsible.user)
    objective = services.objective_add(
        goal=goal,
        description="7 days sober in a row, by check-ins",
        target_on=TODAY + datetime.timedelta(days=30),
        by=responsible.user,
    )
    services.intervention_add(
        objective=objective,
        description="Relapse prevention (CBT)",
        frequency=Intervention.Frequency.WEEKLY,
        responsible=delivered_by or responsible,
        by=responsible.user,
    )
    return plan, version


def test_an_intervention_is_delivered_by_the_plans_care_team(
    partner_a, jordans_therapist, couples_therapist, alexs_therapist
):
    _full_tree(partner_a, jordans_therapist, delivered_by=couples_therapist)
    objective = Objective.objects.get()

    with pytest.raises(ValidationError, match="care team"):
        services.intervention_add(
            objective=objective,
            description="x",
            frequency="weekly",
            responsible=alexs_therapist,
            by=jordans_therapist.user,
        )


@override_settings(PLAN_REVIEW_DAYS=21)
def test_signing_a_version_locks_it_and_sets_its_review(partner_a, jordans_therapist):
    _, version = _full_tree(partner_a, jordans_therapist)

    services.plan_version_sign(version=version, by=jordans_therapist.user)

    version.refresh_from_db()
    assert version.review_due_on == TODAY + datetime.timedelta(days=21)
    problem = version.problems.get()
    with pytest.raises(ValidationError, match="Signed"):
        services.problem_add(version=version, dimension=1, description="x", by=None)
    with pytest.raises(ValidationError, match="Signed"):
        services.goal_add(problem=problem, description="x", by=jordans_therapist.user)


def test_only_the_responsible_clinician_signs_and_not_an_empty_version(
    partner_a, jordans_therapist, couples_therapist
):
    plan = services.plan_create(
        couple=partner_a.couple,
        partner=partner_a,
        responsible=jordans_therapist,
        by=jordans_therapist.user,
    )
    version = plan.versions.get()

    with pytest.raises(ValidationError, match="at least one problem"):
        services.plan_version_sign(version=version, by=jordans_therapist.user)
    services.problem_add(
        version=version, dimension=4, description="Ambivalent", by=jordans_therapist.user
    )
    with pytest.raises(ValidationError, match="responsible clinician"):
        services.plan_version_sign(version=version, by=couples_therapist.user)


def test_a_review_copies_the_last_version_and_leaves_it_as_it_was(
    partner_a, jordans_therapist, django_assert_max_num_queries
):
    plan, first = _full_tree(partner_a, jordans_therapist)
    services.plan_version_sign(version=first, by=jordans_therapist.user)

    # Savepoint and release; lock the plan, its versions, the new draft; read problems,
    # goals, objectives, interventions and insert each level once; the audit's three. The
    # same however many rows the plan holds.
    with django_assert_max_num_queries(16):
        second = services.plan_review_start(plan=plan, by=jordans_therapist.user)

    assert (second.number, second.is_signed) == (2, False)
    copied = Intervention.objects.get(objective__goal__problem__version=second)
    original = Intervention.objects.get(objective__goal__problem__version=first)
    assert copied.pk != original.pk
    assert (copied.description, copied.objective.goal.problem.description) == (
        original.description,
        original.objective.goal.problem.description,
    )
    with pytest.raises(ValidationError, match="draft version is open"):
        services.plan_review_start(plan=plan, by=jordans_therapist.user)


def test_one_draft_per_plan_is_held_by_the_database(partner_a, jordans_therapist):
    plan, version = _full_tree(partner_a, jordans_therapist)

    with pytest.raises(IntegrityError), transaction.atomic():
        PlanVersion.objects.create(
            plan=plan, number=2, created_at=version.created_at, created_by=jordans_therapist.user
        )


def test_the_partner_acknowledges_their_signed_plan_once(partner_a, partner_b, jordans_therapist):
    _, version = _full_tree(partner_a, jordans_therapist)
    with pytest.raises(ValidationError, match="Only a signed plan"):
        services.plan_version_acknowledge(version=version, partner=partner_a)
    services.plan_version_sign(version=version, by=jordans_therapist.user)

    first = services.plan_version_acknowledge(version=version, partner=partner_a)
    again = services.plan_version_acknowledge(version=version, partner=partner_a)

    assert first.pk == again.pk
    with pytest.raises(ValidationError, match="not your plan"):
        services.plan_version_acknowledge(version=version, partner=partner_b)


def test_both_partners_acknowledge_the_couple_plan(partner_a, partner_b, couples_therapist):
    plan = services.plan_create(
        couple=partner_a.couple,
        partner=None,
        responsible=couples_therapist,
        by=couples_therapist.user,
    )
    version = plan.versions.get()
    services.problem_add(
        version=version, dimension=6, description="Conflict at home", by=couples_therapist.user
    )
    services.plan_version_sign(version=version, by=couples_therapist.user)

    for partner in (partner_a, partner_b):
        services.plan_version_acknowledge(version=version, partner=partner)

    assert version.acknowledgements.count() == 2


def test_another_couples_clinician_cannot_deliver_an_intervention(partner_a, jordans_therapist):
    with pytest.raises(ValidationError, match="care team"):
        _full_tree(partner_a, jordans_therapist, delivered_by=ClinicianFactory())
