"""Every write about assessments and treatment plans, audited in the same transaction.

A signed assessment or plan version is locked: every service here refuses to change one.
The caller (a view that went through plans.queries) has checked who may write; the services
enforce the domain's rules (who signs, which dates, which goals and clinicians fit).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import Window, date_within
from couples.models import CareAssignment, Clinician, Couple, Partner, User
from couples.queries import couple_today
from goals.models import Goal
from plans import announcements
from plans.models import (
    Assessment,
    Dimension,
    Intervention,
    Objective,
    PlanAcknowledgement,
    PlanGoal,
    PlanVersion,
    Problem,
    TreatmentPlan,
    narrative_field,
    rating_field,
)

# An assessment is dated on or before today, within the last year.
ASSESSED_ON = Window(years_back=1)
# An objective's target falls from today to a year ahead.
OBJECTIVE_TARGET = Window(years_ahead=1)
LOCKED = "Signed: it cannot change. Start a review (or a new assessment) instead."


def _audit(*, by: User, action: str, target, patient: Partner | None, request, **detail) -> None:
    audit_record(
        actor=by, action=action, target=target, patient=patient, request=request, detail=detail
    )


# Assessments


@transaction.atomic
def assessment_save(
    *,
    partner: Partner,
    assessor: Clinician,
    assessed_on: datetime.date,
    recommended_level: str,
    ratings: dict[int, int],
    narratives: dict[int, str],
    by: User,
    request: HttpRequest | None = None,
) -> Assessment:
    """Write the partner's draft assessment (started if there is none). Audited."""
    earliest, latest = ASSESSED_ON.around(couple_today(couple=partner.couple))
    date_within(
        assessed_on, earliest=earliest, latest=latest, field="assessed_on", label="the date"
    )
    draft = (
        Assessment.objects.select_for_update().filter(partner=partner, signed_at__isnull=True)
    ).first()
    is_new = draft is None
    if is_new:
        draft = Assessment(partner=partner, created_at=timezone.now())
    draft.assessor = assessor
    draft.assessed_on = assessed_on
    draft.recommended_level = recommended_level
    for number in Dimension.values:
        setattr(draft, rating_field(number), ratings.get(number))
        setattr(draft, narrative_field(number), (narratives.get(number) or "").strip())
    draft.full_clean(exclude=["partner", "assessor", "signed_by"])
    draft.save()
    action = AuditEvent.Action.CREATE if is_new else AuditEvent.Action.UPDATE
    _audit(by=by, action=action, target=draft, patient=partner, request=request)
    return draft


@transaction.atomic
def assessment_sign(
    *, assessment: Assessment, by: User, request: HttpRequest | None = None
) -> Assessment:
    """Sign (and so lock) a draft; it becomes the partner's current assessment. Only its
    assessor signs it."""
    assessment = (
        Assessment.objects.select_for_update().select_related("assessor").get(pk=assessment.pk)
    )
    if assessment.is_signed:
        raise ValidationError(LOCKED)
    if assessment.assessor.user_id != by.pk:
        raise ValidationError("Only the assessor signs an assessment.")
    assessment.signed_at, assessment.signed_by = timezone.now(), by
    assessment.save(update_fields=["signed_at", "signed_by"])
    _audit(
        by=by,
        action=AuditEvent.Action.UPDATE,
        target=assessment,
        patient=Partner(pk=assessment.partner_id),
        request=request,
        step="signed",
    )
    return assessment


# Treatment plans


@transaction.atomic
def plan_create(
    *,
    couple: Couple,
    partner: Partner | None,
    responsible: Clinician,
    by: User,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """A partner's plan (or, partner None, the couple's) with its first draft version. The
    responsible clinician is on the care team: the couples therapist for the couple plan,
    one of the partner's own clinicians for a partner's."""
    if partner is not None and partner.couple_id != couple.pk:
        raise ValidationError({"partner": "This partner belongs to another couple."})
    if not _responsible_fits(couple=couple, partner=partner, clinician=responsible):
        raise ValidationError({"responsible": _RESPONSIBLE_WORDS[partner is None]})
    if TreatmentPlan.objects.filter(couple=couple, partner=partner).exists():
        raise ValidationError("This plan exists already: review it instead.")
    now = timezone.now()
    plan = TreatmentPlan(couple=couple, partner=partner, responsible=responsible, created_at=now)
    plan.full_clean(exclude=["couple", "partner", "responsible"])
    plan.save()
    PlanVersion.objects.create(plan=plan, number=1, created_at=now, created_by=by)
    _audit(by=by, action=AuditEvent.Action.CREATE, target=plan, patient=partner, request=request)
    return plan


_RESPONSIBLE_WORDS = {
    True: "The couples therapist is responsible for the couple plan.",
    False: "Choose one of the partner's own clinicians.",
}


def _responsible_fits(*, couple: Couple, partner: Partner | None, clinician: Clinician) -> bool:
    current = CareAssignment.objects.filter(
        couple=couple, clinician=clinician, ended_at__isnull=True, partner=partner
    )
    return current.exists()


def _draft_of(version: PlanVersion) -> PlanVersion:
    """The version, locked for this transaction, if it is still a draft."""
    version = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if version.is_signed:
        raise ValidationError(LOCKED)
    return version


def _patient(version: PlanVersion) -> Partner | None:
    partner_id = version.plan.partner_id
    return Partner(pk=partner_id) if partner_id else None


@transaction.atomic
def problem_add(
    *,
    version: PlanVersion,
    dimension: int,
    description: str,
    by: User,
    request: HttpRequest | None = None,
) -> Problem:
    version = _draft_of(version)
    problem = Problem(version=version, dimension=dimension, description=description.strip())
    problem.full_clean(exclude=["version"])
    problem.save()
    _audit(
        by=by,
        action=AuditEvent.Action.CREATE,
        target=problem,
        patient=_patient(version),
        request=request,
    )
    return problem


@transaction.atomic
def goal_add(
    *,
    problem: Problem,
    description: str,
    recovery_goal: Goal | None = None,
    by: User,
    request: HttpRequest | None = None,
) -> PlanGoal:
    """A goal for a problem, optionally answering one of the couple's recovery goals (the
    couple's shared goals, or the plan's partner's own)."""
    version = _draft_of(problem.version)
    if recovery_goal is not None and not _goal_fits(version.plan, recovery_goal):
        raise ValidationError({"recovery_goal": "Choose one of this plan's recovery goals."})
    goal = PlanGoal(problem=problem, description=description.strip(), recovery_goal=recovery_goal)
    goal.full_clean(exclude=["problem", "recovery_goal"])
    goal.save()
    _audit(
        by=by,
        action=AuditEvent.Action.CREATE,
        target=goal,
        patient=_patient(version),
        request=request,
    )
    return goal


def _goal_fits(plan: TreatmentPlan, goal: Goal) -> bool:
    if goal.couple_id != plan.couple_id:
        return False
    return goal.partner_id is None or goal.partner_id == plan.partner_id


@transaction.atomic
def objective_add(
    *,
    goal: PlanGoal,
    description: str,
    target_on: datetime.date,
    by: User,
    request: HttpRequest | None = None,
) -> Objective:
    version = _draft_of(goal.problem.version)
    earliest, latest = OBJECTIVE_TARGET.around(couple_today(couple=version.plan.couple))
    date_within(
        target_on, earliest=earliest, latest=latest, field="target_on", label="a target date"
    )
    objective = Objective(goal=goal, description=description.strip(), target_on=target_on)
    objective.full_clean(exclude=["goal"])
    objective.save()
    _audit(
        by=by,
        action=AuditEvent.Action.CREATE,
        target=objective,
        patient=_patient(version),
        request=request,
    )
    return objective


@transaction.atomic
def intervention_add(
    *,
    objective: Objective,
    description: str,
    frequency: str,
    responsible: Clinician,
    by: User,
    request: HttpRequest | None = None,
) -> Intervention:
    """An intervention delivered by a clinician on the plan's care team (for a partner's
    plan: the couples therapist or one of that partner's own clinicians)."""
    version = _draft_of(objective.goal.problem.version)
    plan = version.plan
    on_team = CareAssignment.objects.filter(
        Q(partner__isnull=True) | Q(partner_id=plan.partner_id),
        couple_id=plan.couple_id,
        clinician=responsible,
        ended_at__isnull=True,
    )
    if not on_team.exists():
        raise ValidationError({"responsible": "Choose a clinician on this plan's care team."})
    intervention = Intervention(
        objective=objective,
        description=description.strip(),
        frequency=frequency,
        responsible=responsible,
    )
    intervention.full_clean(exclude=["objective", "responsible"])
    intervention.save()
    _audit(
        by=by,
        action=AuditEvent.Action.CREATE,
        target=intervention,
        patient=_patient(version),
        request=request,
    )
    return intervention


@transaction.atomic
def plan_version_sign(
    *, version: PlanVersion, by: User, request: HttpRequest | None = None
) -> PlanVersion:
    """Sign (and so lock) a draft version: only the plan's responsible clinician, and only a
    version with at least one problem. Its review falls due PLAN_REVIEW_DAYS later."""
    version = _draft_of(version)
    plan = TreatmentPlan.objects.select_related("responsible", "couple").get(pk=version.plan_id)
    if plan.responsible.user_id != by.pk:
        raise ValidationError("Only the plan's responsible clinician signs it.")
    if not version.problems.exists():
        raise ValidationError("Add at least one problem before signing.")
    today = couple_today(couple=plan.couple)
    version.signed_at, version.signed_by = timezone.now(), by
    version.review_due_on = today + datetime.timedelta(days=settings.PLAN_REVIEW_DAYS)
    version.save(update_fields=["signed_at", "signed_by", "review_due_on"])
    _audit(
        by=by,
        action=AuditEvent.Action.UPDATE,
        target=version,
        patient=_patient(version),
        request=request,
        step="signed",
    )
    # Its partners hear that it is ready to read (the couple plan: both of them).
    announcements.plan_signed_announce(version=version, plan=plan)
    return version


@transaction.atomic
def plan_review_start(
    *, plan: TreatmentPlan, by: User, request: HttpRequest | None = None
) -> PlanVersion:
    """A review: a new draft version copied from the last signed one (problems, goals,
    objectives, interventions); the signed one stays as it was, readable. One draft at a
    time. Copies in one insert per level."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    versions = list(plan.versions.order_by("-number"))
    if any(not version.is_signed for version in versions):
        raise ValidationError("A draft version is open already: finish and sign it.")
    last = versions[0]
    draft = PlanVersion.objects.create(
        plan=plan, number=last.number + 1, created_at=timezone.now(), created_by=by
    )
    _version_copy(source=last, target=draft)
    _audit(
        by=by,
        action=AuditEvent.Action.CREATE,
        target=draft,
        patient=Partner(pk=plan.partner_id) if plan.partner_id else None,
        request=request,
        step="review",
        copied_from=last.number,
    )
    return draft


def _version_copy(*, source: PlanVersion, target: PlanVersion) -> None:
    problems = list(Problem.objects.filter(version=source).order_by("pk"))
    goals = list(PlanGoal.objects.filter(problem__version=source).order_by("pk"))
    objectives = list(Objective.objects.filter(goal__problem__version=source).order_by("pk"))
    interventions = list(
        Intervention.objects.filter(objective__goal__problem__version=source).order_by("pk")
    )
    new_problems = _copy_rows(problems, version=target)
    new_goals = _copy_rows(goals, parent="problem", parents=new_problems)
    new_objectives = _copy_rows(objectives, parent="goal", parents=new_goals)
    _copy_rows(interventions, parent="objective", parents=new_objectives)


def _copy_rows(rows, *, version=None, parent: str = "", parents: dict | None = None) -> dict:
    """Insert copies of `rows` (under the copied parents); old pk -> new row. bulk_create
    returns primary keys on PostgreSQL and SQLite alike."""
    copies = []
    for row in rows:
        copy = type(row)(**{f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields})
        copy.pk = None
        if version is not None:
            copy.version = version
        else:
            setattr(copy, parent, parents[getattr(row, f"{parent}_id")])
        copies.append(copy)
    if rows:
        type(rows[0]).objects.bulk_create(copies)
    return {row.pk: copy for row, copy in zip(rows, copies, strict=True)}


NOT_CURRENT = (
    "A newer version of this plan has been signed since. Read the new version, then "
    "acknowledge that one."
)


def plan_version_acknowledge(
    *, version: PlanVersion, partner: Partner, request: HttpRequest | None = None
) -> PlanAcknowledgement:
    """The partner read a signed version of their plan (or of their couple's). Once: see
    plan_acknowledgement_get_or_create."""
    acknowledgement, _ = plan_acknowledgement_get_or_create(
        version=version, partner=partner, request=request
    )
    return acknowledgement


@transaction.atomic
def plan_acknowledgement_get_or_create(
    *, version: PlanVersion, partner: Partner, request: HttpRequest | None = None
) -> tuple[PlanAcknowledgement, bool]:
    """The partner acknowledges the current signed version of their plan (or of their
    couple's), and whether that is new: a second time changes nothing and writes no audit
    row. A version a newer signed one replaced is refused. Audited."""
    # Locking the version makes two taps at once wait for each other: one acknowledgement.
    version = (
        PlanVersion.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=version.pk)
    )
    plan = version.plan
    if not version.is_signed:
        raise ValidationError("Only a signed plan is acknowledged.")
    if partner.couple_id != plan.couple_id or plan.partner_id not in (None, partner.pk):
        raise ValidationError("This is not your plan.")
    newer = PlanVersion.objects.filter(
        plan=plan, number__gt=version.number, signed_at__isnull=False
    )
    if newer.exists():
        raise ValidationError(NOT_CURRENT)
    found = PlanAcknowledgement.objects.filter(version=version, partner=partner).first()
    if found is not None:
        return found, False
    acknowledgement = PlanAcknowledgement.objects.create(
        version=version, partner=partner, acknowledged_at=timezone.now()
    )
    _audit(
        by=partner.user,
        action=AuditEvent.Action.UPDATE,
        target=version,
        patient=partner,
        request=request,
        step="acknowledged",
    )
    return acknowledgement, True
