"""Reading assessments and treatment plans. Every read that encodes access takes the user.

Who may read (and write) what:
- a partner's assessment and treatment plan: the clinicians whose role covers that partner
  (couples.queries.CareCoverage: that partner's individual therapist, counselor and medical
  provider, and the couples therapist, who plans the couples therapy from both partners'
  problems); never the other partner's own clinicians;
- the couple plan: the whole current care team;
- on the portal, a partner reads their own plan and their couple's, the current signed
  version only (never a draft, never the other partner's plan);
- anyone else: the audited 404, as if it did not exist.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import CareAssignment, Couple, Partner, User
from couples.queries import CareCoverage, care_coverage_for, partner_list_for_couple
from goals.models import Goal
from plans.models import (
    Assessment,
    Intervention,
    Objective,
    PlanAcknowledgement,
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


# The partner's own plans on the portal: their plan and their couple's, the current signed
# version only. Drafts are never read, and the other partner's plan never matches.


@dataclass(frozen=True)
class PortalPlan:
    plan: TreatmentPlan  # with its signed versions, newest first, as `plan.version_list`
    version: PlanVersion  # the current one: the latest signed
    # partner id -> their acknowledgement of the current version
    acknowledgements: dict[int, PlanAcknowledgement]


def _plans_about(user: User) -> QuerySet[TreatmentPlan]:
    """The signed-in partner's own plan and their couple's plan, as a filter (a subquery
    for the couple, so a partner's plan is not met twice through the couple's partners)."""
    own_couple = Partner.objects.filter(user=user).values("couple_id")
    return TreatmentPlan.objects.filter(
        Q(partner__user=user) | Q(partner__isnull=True, couple_id__in=Subquery(own_couple))
    )


def _portal_plans(plans: QuerySet[TreatmentPlan]) -> list[PortalPlan]:
    """The plans with a signed version, each with its current version and who acknowledged
    that: three queries (plans, signed versions, acknowledgements), however many rows."""
    signed = (
        PlanVersion.objects.filter(signed_at__isnull=False)
        .select_related("signed_by")
        .order_by("-number")
    )
    loaded = list(
        plans.select_related("responsible__user", "partner__user").prefetch_related(
            Prefetch("versions", queryset=signed, to_attr="version_list")
        )
    )
    current = {plan.pk: version_current(plan) for plan in loaded}
    version_ids = [version.pk for version in current.values() if version is not None]
    acknowledged: dict[int, dict[int, PlanAcknowledgement]] = defaultdict(dict)
    if version_ids:
        for row in PlanAcknowledgement.objects.filter(version_id__in=version_ids):
            acknowledged[row.version_id][row.partner_id] = row
    rows = [
        PortalPlan(plan=plan, version=version, acknowledgements=acknowledged[version.pk])
        for plan in loaded
        if (version := current[plan.pk]) is not None
    ]
    # The partner's own plan first, then the couple's.
    return sorted(rows, key=lambda row: row.plan.is_couple_plan)


def plans_for_partner_portal(*, user: User) -> list[PortalPlan]:
    """The signed-in partner's plans that have a signed version: their own, then their
    couple's. Three queries."""
    return _portal_plans(_plans_about(user))


def plan_get_for_partner(*, user: User, pk: int, request: HttpRequest | None = None) -> PortalPlan:
    """The partner's own plan or their couple's, with its current signed version; the
    other partner's plan, another couple's, or one not signed yet is the audited 404, as
    if it did not exist. Three queries."""
    found = _portal_plans(_plans_about(user).filter(pk=pk))
    if not found:
        access_denied_record(
            user=user, request=request, target_type="plans.TreatmentPlan", target_id=pk
        )
        raise Http404("No such plan.")
    return found[0]


def plans_to_acknowledge_for_partner(*, user: User) -> list[TreatmentPlan]:
    """The partner's plans (own, couple's) whose current signed version they have not
    acknowledged yet, their own first; only their pk and partner are read. One query."""
    current = (
        PlanVersion.objects.filter(plan=OuterRef("pk"), signed_at__isnull=False)
        .order_by("-number")
        .values("pk")[:1]
    )
    acknowledged = PlanAcknowledgement.objects.filter(
        version_id=OuterRef("current_version_id"), partner__user=user
    )
    return list(
        _plans_about(user)
        .annotate(current_version_id=Subquery(current))
        .filter(current_version_id__isnull=False)
        .exclude(Exists(acknowledged))
        .order_by(F("partner_id").asc(nulls_last=True))
        .only("pk", "partner_id")
    )
