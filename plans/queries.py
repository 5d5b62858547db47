"""Reading assessments and treatment plans. Every read that encodes access takes the user.

Who may read (and write) what:
- a partner's assessment and treatment plan: the clinicians whose role covers that partner
  (couples.queries.CareCoverage: that partner's individual therapist, counselor and medical
  provider, and the couples therapist, who plans the couples therapy from both partners'
  problems); never the other partner's own clinicians;
- the couple plan: the whole current care team;
- anyone else: the audited 404, as if it did not exist.
"""

from collections import defaultdict

from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import CareAssignment, Couple, Partner, User
from couples.queries import CareCoverage, care_coverage_for, partner_list_for_couple
from goals.models import Goal
from plans.models import (
    Assessment,
    Intervention,
    Objective,
    PlanGoal,
    PlanVersion,
    Problem,
    TreatmentPlan,
)


def may_read_plan(*, coverage: CareCoverage, plan: TreatmentPlan) -> bool:
    """From the viewer's coverage on the plan's couple (no query)."""
    if plan.partner_id is None:
        return coverage.both or bool(coverage.partner_ids)
    return coverage.covers(plan.partner_id)


def covered_partner_get_for_user(
    *, user: User, couple: Couple, partner_pk: int, request: HttpRequest | None = None
) -> tuple[Partner, CareCoverage]:
    """One of the couple's partners whose assessment and plan the viewer's role covers, and
    the viewer's coverage; anyone else gets the audited 404. The couple is already in the
    viewer's scope (couples.queries.couple_get_for_user)."""
    coverage = care_coverage_for(user=user, couple_id=couple.pk)
    partner = partner_list_for_couple(couple=couple).filter(pk=partner_pk).first()
    if partner is None or not coverage.covers(partner.pk):
        access_denied_record(
            user=user, request=request, target_type="couples.Partner", target_id=partner_pk
        )
        raise Http404("No such partner.")
    return partner, coverage


def plan_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> tuple[TreatmentPlan, CareCoverage]:
    """A plan the viewer may read, with their coverage; anyone else gets the audited 404."""
    plan = (
        TreatmentPlan.objects.select_related("couple", "partner__user", "responsible__user")
        .filter(pk=pk)
        .first()
    )
    coverage = care_coverage_for(user=user, couple_id=plan.couple_id) if plan else None
    if plan is None or not may_read_plan(coverage=coverage, plan=plan):
        access_denied_record(
            user=user, request=request, target_type="plans.TreatmentPlan", target_id=pk
        )
        raise Http404("No such plan.")
    return plan, coverage


def assessments_for_partner(*, partner: Partner) -> list[Assessment]:
    """Every assessment of the partner, newest first, the draft among them. One query."""
    return list(
        Assessment.objects.filter(partner=partner)
        .select_related("assessor__user", "signed_by")
        .order_by("-assessed_on", "-pk")
    )


def assessments_current_for_partners(*, partner_ids: list[int]) -> dict[int, Assessment]:
    """partner id -> their latest signed assessment (the current one). One query."""
    current: dict[int, Assessment] = {}
    signed = (
        Assessment.objects.filter(partner_id__in=partner_ids, signed_at__isnull=False)
        .select_related("assessor__user")
        .order_by("partner_id", "-assessed_on", "-signed_at")
    )
    for assessment in signed:
        current.setdefault(assessment.partner_id, assessment)
    return current


def plans_for_couple(*, couple_id: int) -> list[TreatmentPlan]:
    """The couple's plans (couple plan first) with their versions, newest first, as
    `plan.version_list`. Two queries."""
    versions = PlanVersion.objects.select_related("signed_by").order_by("-number")
    plans = list(
        TreatmentPlan.objects.filter(couple_id=couple_id)
        .select_related("responsible__user")
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="version_list"))
        .order_by("partner_id")
    )
    plans.sort(key=lambda plan: (plan.partner_id is not None, plan.partner_id or 0))
    return plans


def version_current(plan: TreatmentPlan) -> PlanVersion | None:
    """The latest signed version among the plan's loaded versions (no query)."""
    return next((v for v in plan.version_list if v.is_signed), None)


def version_draft(plan: TreatmentPlan) -> PlanVersion | None:
    return next((v for v in plan.version_list if not v.is_signed), None)


def version_get_for_plan(*, plan: TreatmentPlan, number: int) -> PlanVersion:
    version = plan.versions.select_related("signed_by").filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def version_tree(*, version: PlanVersion) -> list[Problem]:
    """The version's problems with their goals, objectives and interventions (and each
    intervention's clinician). Four queries, however many rows."""
    interventions = Intervention.objects.select_related("responsible__user")
    objectives = Objective.objects.prefetch_related(
        Prefetch("interventions", queryset=interventions)
    )
    goals = PlanGoal.objects.select_related("recovery_goal").prefetch_related(
        Prefetch("objectives", queryset=objectives)
    )
    return list(
        version.problems.prefetch_related(Prefetch("goals", queryset=goals)).order_by(
            "dimension", "pk"
        )
    )


def problem_counts_for_versions(*, version_ids: list[int]) -> dict[int, int]:
    """version id -> how many problems it holds. One query."""
    counts: dict[int, int] = defaultdict(int)
    for version_id in Problem.objects.filter(version_id__in=version_ids).values_list(
        "version_id", flat=True
    ):
        counts[version_id] += 1
    return counts


def plan_for(*, couple: Couple, partner: Partner | None) -> TreatmentPlan | None:
    """The partner's plan (or the couple plan) with its versions as `version_list`, newest
    first. Two queries."""
    versions = PlanVersion.objects.select_related("signed_by").order_by("-number")
    return (
        TreatmentPlan.objects.filter(couple=couple, partner=partner)
        .select_related("responsible__user")
        .prefetch_related(Prefetch("versions", queryset=versions, to_attr="version_list"))
        .first()
    )


def care_team_for_plan(*, couple: Couple, partner: Partner | None) -> list[CareAssignment]:
    """Who may deliver the plan's interventions: the couples therapist and, for a partner's
    plan, that partner's own clinicians; for the couple plan, the whole team. One query."""
    current = CareAssignment.objects.filter(couple=couple, ended_at__isnull=True)
    if partner is not None:
        current = current.filter(Q(partner__isnull=True) | Q(partner=partner))
    return list(current.select_related("clinician__user").order_by("partner_id", "role"))


def recovery_goals_for(*, couple: Couple, partner: Partner | None) -> list[Goal]:
    """The couple's recovery goals a plan's goal may answer: the shared ones and, for a
    partner's plan, that partner's own. One query."""
    goals = Goal.objects.filter(couple=couple).exclude(status=Goal.Status.CANCELLED)
    goals = (
        goals.filter(Q(partner__isnull=True) | Q(partner=partner))
        if partner
        else goals.filter(partner__isnull=True)
    )
    return list(goals.order_by("title"))
