import datetime

import pytest

from couples import services
from couples.models import CareRole
from plans import services as plans_services
from plans.models import Dimension, Intervention, TreatmentPlan
from tests.factories import ClinicianFactory

# A fixed moment (15:00 UTC: the same day in every US zone), so no test depends on the day.
NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()


@pytest.fixture
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def jordans_therapist(couple, partner_a):
    """Priya, Jordan's (partner A's) individual therapist."""
    priya = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Priya",
    )
    services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=priya,
        partner=partner_a,
        by=None,
    )
    return priya


RATINGS = {1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 1}


def plan_tree(partner, responsible, *, couple=None, problems=1, each=1, sign=False):
    """A plan (a partner's, or partner None: the couple's) whose first version holds
    `problems` problems, each with `each` goals, each goal `each` objectives, each objective
    `each` interventions, written through the services; signed if asked. Returns the version."""
    by = responsible.user
    plan = plans_services.plan_create(
        couple=couple or partner.couple, partner=partner, responsible=responsible, by=by
    )
    version = plan.versions.get()
    for n in range(problems):
        problem = plans_services.problem_add(
            version=version, dimension=n % 6 + 1, description=f"Problem {n + 1}", by=by
        )
        for g in range(each):
            goal = plans_services.goal_add(problem=problem, description=f"Goal {g + 1}", by=by)
            for o in range(each):
                objective = plans_services.objective_add(
                    goal=goal,
                    description=f"Objective {o + 1}",
                    target_on=plans_services.couple_today(couple=plan.couple)
                    + datetime.timedelta(days=30),
                    by=by,
                )
                for i in range(each):
                    plans_services.intervention_add(
                        objective=objective,
                        description=f"Intervention {i + 1}",
                        frequency="weekly",
                        responsible=responsible,
                        by=by,
                    )
    if sign:
        plans_services.plan_version_sign(version=version, by=by)
    return version


def plan_with(*, couple, partner, responsible, problems=1, recovery_goal=None, words="Plan"):
    """A plan (partner None: the couple plan) whose draft holds `problems` problems, each
    with a goal (answering `recovery_goal`), two objectives and an intervention for each."""
    by, today = responsible.user, plans_services.couple_today(couple=couple)
    plan = plans_services.plan_create(
        couple=couple, partner=partner, responsible=responsible, by=by
    )
    version = plan.versions.get()
    for number in range(problems):
        problem = plans_services.problem_add(
            version=version,
            dimension=Dimension.values[number % 6],
            description=f"{words} problem {number + 1}: drinks when arguments escalate",
            by=by,
        )
        goal = plans_services.goal_add(
            problem=problem,
            description=f"{words} goal {number + 1}: stay sober through conflict",
            recovery_goal=recovery_goal,
            by=by,
        )
        for days in (30, 60):
            objective = plans_services.objective_add(
                goal=goal,
                description=f"{words} objective: {days // 30} month(s) sober, by check-ins",
                target_on=today + datetime.timedelta(days=days),
                by=by,
            )
            plans_services.intervention_add(
                objective=objective,
                description="Relapse prevention (CBT)",
                frequency=Intervention.Frequency.WEEKLY,
                responsible=responsible,
                by=by,
            )
    return plan


def signed(plan: TreatmentPlan) -> TreatmentPlan:
    draft = plan.versions.get(signed_at__isnull=True)
    plans_services.plan_version_sign(version=draft, by=plan.responsible.user)
    return plan
