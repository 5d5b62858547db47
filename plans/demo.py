"""Demo assessments and plans (seed_demo calls seed()): for each partner of every demo
couple a signed ASAM assessment supporting IOP and a signed plan by their individual
therapist; for each couple a signed couple plan by the couples therapist. Written through
the services, so the demo obeys the clinic's rules; a second run adds nothing."""

import datetime

from couples.management.commands.seed_demo import demo_couples
from couples.models import CareAssignment, CareRole
from couples.queries import couple_today
from plans import services
from plans.models import Dimension, Intervention, LevelOfCare, TreatmentPlan

RATINGS = {1: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 2}
NARRATIVES = {
    1: "No withdrawal signs; last use over 60 days ago.",
    3: "Low mood and irritability around conflict at home.",
    5: "Cravings when arguments escalate; few coping skills yet.",
    6: "Both partners in recovery; alcohol kept out of the home.",
}


def seed() -> None:
    for couple in demo_couples():
        if TreatmentPlan.objects.filter(couple=couple).exists():
            continue
        team = {
            (a.partner_id, a.role): a.clinician
            for a in CareAssignment.objects.filter(
                couple=couple, ended_at__isnull=True
            ).select_related("clinician__user")
        }
        couples_therapist = team.get((None, CareRole.COUPLES_THERAPIST))
        today = couple_today(couple=couple)
        for partner in couple.partners.select_related("user").order_by("pk"):
            therapist = team.get((partner.pk, CareRole.INDIVIDUAL_THERAPIST))
            if therapist is None:
                continue
            assessment = services.assessment_save(
                partner=partner,
                assessor=therapist,
                assessed_on=max(couple.admitted_on or today, today - datetime.timedelta(days=300)),
                recommended_level=LevelOfCare.IOP,
                ratings=RATINGS,
                narratives=NARRATIVES,
                by=therapist.user,
            )
            services.assessment_sign(assessment=assessment, by=therapist.user)
            _plan(couple, partner, therapist, today, "Relapse prevention (CBT)")
        if couples_therapist is not None:
            _plan(couple, None, couples_therapist, today, "Behavioral couples therapy")


def _plan(couple, partner, clinician, today, intervention: str) -> None:
    by = clinician.user
    plan = services.plan_create(couple=couple, partner=partner, responsible=clinician, by=by)
    version = plan.versions.get()
    problem = services.problem_add(
        version=version,
        dimension=Dimension.RELAPSE if partner else Dimension.ENVIRONMENT,
        description="Use or cravings follow arguments at home",
        by=by,
    )
    goal = services.goal_add(
        problem=problem, description="Get through conflict without using", by=by
    )
    objective = services.objective_add(
        goal=goal,
        description="Use a time-out and call a support at least 3 times a week, by check-ins",
        target_on=today + datetime.timedelta(days=30),
        by=by,
    )
    services.intervention_add(
        objective=objective,
        description=intervention,
        frequency=Intervention.Frequency.WEEKLY,
        responsible=clinician,
        by=by,
    )
    services.plan_version_sign(version=version, by=by)
