"""Editing and removing the problems, goals, objectives and interventions of a draft plan
version, audited in the same transaction (adding them is in plans.services).

The rules are those of adding: a signed version is locked (and the database refuses too,
plans/migrations/0002); a goal answers one of the plan's recovery goals; an objective's target
falls within a year ahead; an intervention is delivered by the plan's care team. A date or a
clinician is checked only when it changes, so an item copied by a review (its target day
perhaps past) can still have its words corrected. An item stays where it sits: moving it is
removing it and adding it elsewhere. Removing an item removes what hangs under it.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpRequest

from audit.models import AuditEvent
from common.dates import date_within
from couples.models import CareAssignment, Clinician, User
from couples.queries import couple_today
from goals.models import Goal
from plans.models import Intervention, Objective, PlanGoal, PlanVersion, Problem
from plans.services import OBJECTIVE_TARGET, _audit, _draft_of, _goal_fits, _patient

# Each kind of item: the path from it to its version.
VERSION_PATH = {
    Problem: "version",
    PlanGoal: "problem__version",
    Objective: "goal__problem__version",
    Intervention: "objective__goal__problem__version",
}


def _version_locked(item) -> PlanVersion:
    """The item's version, locked for this transaction, if it is still a draft."""
    path = VERSION_PATH[type(item)]
    version_id = type(item).objects.filter(pk=item.pk).values_list(f"{path}_id", flat=True).first()
    if version_id is None:
        raise ValidationError("This part of the plan was removed meanwhile.")
    return _draft_of(PlanVersion(pk=version_id))


def _edit(item, *, version: PlanVersion, values: dict, by: User, request) -> models.Model:
    """Write the values that changed (compared by column: a clinician by their id), audit
    the names of the changed fields (never their words), and return the item."""
    changed = []
    for name, value in values.items():
        field = item._meta.get_field(name)
        new = value.pk if isinstance(value, models.Model) else value
        if getattr(item, field.attname) != new:
            setattr(item, name, value)
            changed.append(name)
    if not changed:
        return item
    item.full_clean(exclude=[f.name for f in item._meta.fields if f.is_relation])
    item.save(update_fields=changed)
    _audit(
        by=by,
        action=AuditEvent.Action.UPDATE,
        target=item,
        patient=_patient(version),
        request=request,
        fields=changed,
    )
    return item


def _fresh(item):
    return type(item).objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def problem_edit(
    *,
    problem: Problem,
    dimension: int,
    description: str,
    by: User,
    request: HttpRequest | None = None,
) -> Problem:
    version = _version_locked(problem)
    values = {"dimension": dimension, "description": description.strip()}
    return _edit(_fresh(problem), version=version, values=values, by=by, request=request)


@transaction.atomic
def goal_edit(
    *,
    goal: PlanGoal,
    description: str,
    recovery_goal: Goal | None = None,
    by: User,
    request: HttpRequest | None = None,
) -> PlanGoal:
    version = _version_locked(goal)
    goal = _fresh(goal)
    answers = recovery_goal.pk if recovery_goal else None
    if answers != goal.recovery_goal_id and recovery_goal is not None:
        if not _goal_fits(version.plan, recovery_goal):
            raise ValidationError({"recovery_goal": "Choose one of this plan's recovery goals."})
    values = {"description": description.strip(), "recovery_goal": recovery_goal}
    return _edit(goal, version=version, values=values, by=by, request=request)


@transaction.atomic
def objective_edit(
    *,
    objective: Objective,
    description: str,
    target_on: datetime.date,
    by: User,
    request: HttpRequest | None = None,
) -> Objective:
    version = _version_locked(objective)
    objective = _fresh(objective)
    if target_on != objective.target_on:
        earliest, latest = OBJECTIVE_TARGET.around(couple_today(couple=version.plan.couple))
        date_within(
            target_on, earliest=earliest, latest=latest, field="target_on", label="a target date"
        )
    values = {"description": description.strip(), "target_on": target_on}
    return _edit(objective, version=version, values=values, by=by, request=request)


@transaction.atomic
def intervention_edit(
    *,
    intervention: Intervention,
    description: str,
    frequency: str,
    responsible: Clinician,
    by: User,
    request: HttpRequest | None = None,
) -> Intervention:
    version = _version_locked(intervention)
    intervention = _fresh(intervention)
    plan = version.plan
    if responsible.pk != intervention.responsible_id:
        on_team = CareAssignment.objects.filter(
            Q(partner__isnull=True) | Q(partner_id=plan.partner_id),
            couple_id=plan.couple_id,
            clinician=responsible,
            ended_at__isnull=True,
        )
        if not on_team.exists():
            raise ValidationError({"responsible": "Choose a clinician on this plan's care team."})
    values = {
        "description": description.strip(),
        "frequency": frequency,
        "responsible": responsible,
    }
    return _edit(intervention, version=version, values=values, by=by, request=request)


# Removing: with what hangs under the item (a problem's goals, their objectives and their
# interventions), counted in the audit entry.


def _remove(item, *, by: User, request) -> dict[str, int]:
    version = _version_locked(item)
    _, removed = _fresh(item).delete()
    counts = {model.split(".")[-1].lower(): count for model, count in removed.items() if count}
    _audit(
        by=by,
        action=AuditEvent.Action.DELETE,
        target=item,
        patient=_patient(version),
        request=request,
        removed=counts,
    )
    return counts


@transaction.atomic
def problem_remove(*, problem: Problem, by: User, request: HttpRequest | None = None) -> dict:
    """Remove a draft's problem and its goals, objectives and interventions. Returns how
    many of each went."""
    return _remove(problem, by=by, request=request)


@transaction.atomic
def goal_remove(*, goal: PlanGoal, by: User, request: HttpRequest | None = None) -> dict:
    return _remove(goal, by=by, request=request)


@transaction.atomic
def objective_remove(*, objective: Objective, by: User, request: HttpRequest | None = None) -> dict:
    return _remove(objective, by=by, request=request)


@transaction.atomic
def intervention_remove(
    *, intervention: Intervention, by: User, request: HttpRequest | None = None
) -> dict:
    return _remove(intervention, by=by, request=request)
