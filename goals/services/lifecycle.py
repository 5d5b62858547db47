"""A goal's terms and status: proposed, agreed by both, changed, moved along its lifecycle."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import GOAL_DUE, GOAL_START, date_within
from couples.models import Couple, Partner, User
from couples.queries import couple_today
from goals import announcements
from goals.models import (
    CHANGE_ALREADY_ASKED,
    CHANGE_ALREADY_ASKED_CODE,
    CHANGE_NOTE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    Goal,
    GoalAcceptance,
    GoalChangeRequest,
    GoalTransition,
)

# Which status may follow which; anything else is refused.
TRANSITIONS = {
    Goal.Status.PROPOSED: {Goal.Status.ACTIVE, Goal.Status.CANCELLED},
    Goal.Status.ACTIVE: {Goal.Status.ACHIEVED, Goal.Status.ON_HOLD, Goal.Status.CANCELLED},
    Goal.Status.ON_HOLD: {Goal.Status.ACTIVE, Goal.Status.CANCELLED},
    Goal.Status.ACHIEVED: set(),
    Goal.Status.CANCELLED: set(),
}
# The terms both partners agree to: changing one of them asks for agreement again.
AGREED_TERMS = ("title", "description", "category", "measure", "target", "start_on", "due_on")


def _target_for(measure: str, target: int | None) -> int | None:
    if measure == Goal.Measure.MILESTONE:
        return None
    if target is None:
        raise ValidationError({"target": "Set a target for this measure."})
    return target


def _check_terms(
    *,
    couple: Couple,
    start_on: datetime.date,
    due_on: datetime.date | None,
    description: str,
    changed: frozenset[str] = frozenset({"start_on", "due_on"}),
) -> None:
    """A goal's dates and details within sensible bounds, each refused on its own field.

    Dates are checked only when they are set or moved (`changed`): a goal that started long
    ago keeps its dates through later edits of its other terms.
    """
    description = description or ""
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {
                "description": f"Keep the details to {DESCRIPTION_MAX_LENGTH:,} characters "
                f"or fewer (this has {len(description):,})."
            }
        )
    if "start_on" in changed:
        earliest, latest = GOAL_START.around(couple_today(couple=couple))
        date_within(
            start_on, earliest=earliest, latest=latest, field="start_on", label="a start date"
        )
    if due_on is not None and changed & {"start_on", "due_on"}:
        if due_on < start_on:
            raise ValidationError({"due_on": "The due date cannot be before the start date."})
        date_within(
            due_on,
            earliest=start_on,
            latest=GOAL_DUE.around(start_on)[1],
            field="due_on",
            label="a due date",
        )


def _partner_of(couple: Couple, user: User) -> Partner | None:
    return next((p for p in couple.partners.all() if p.user_id == user.pk), None)


def _record_transition(goal: Goal, *, from_status: str, by: User | None, note: str = "") -> None:
    GoalTransition.objects.create(
        goal=goal, from_status=from_status, to_status=goal.status, by=by, note=note
    )


@transaction.atomic
def goal_create(
    *,
    couple: Couple,
    partner: Partner | None,
    category: str,
    title: str,
    measure: str,
    target: int | None,
    start_on: datetime.date,
    due_on: datetime.date | None = None,
    description: str = "",
    by: User,
    request: HttpRequest | None = None,
) -> Goal:
    """Create a goal. A shared goal starts as proposed and is accepted by whoever of the
    partners proposed it; an individual goal is set with the care team and starts active."""
    if partner is not None and partner.couple_id != couple.pk:
        raise ValidationError("This partner belongs to another couple.")
    _check_terms(couple=couple, start_on=start_on, due_on=due_on, description=description)
    goal = Goal(
        couple=couple,
        partner=partner,
        category=category,
        title=title,
        description=description,
        measure=measure,
        target=_target_for(measure, target),
        start_on=start_on,
        due_on=due_on,
        status=Goal.Status.PROPOSED if partner is None else Goal.Status.ACTIVE,
        created_by=by,
    )
    goal.full_clean()
    goal.save()
    _record_transition(goal, from_status="", by=by)
    audit_record(
        actor=by, action=AuditEvent.Action.CREATE, target=goal, patient=partner, request=request
    )
    if goal.is_shared:
        proposer = _partner_of(couple, by)
        if proposer is not None:
            goal_accept(goal=goal, partner=proposer, request=request)
        announcements.goal_proposed_announce(goal=goal)
    return goal


@transaction.atomic
def goal_accept(*, goal: Goal, partner: Partner, request: HttpRequest | None = None) -> Goal:
    """Record one partner's agreement; the second agreement makes the goal active."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if not goal.is_shared or partner.couple_id != goal.couple_id:
        raise ValidationError("Only the couple's partners accept a shared goal.")
    if goal.status != Goal.Status.PROPOSED:
        raise ValidationError("This goal is no longer waiting for agreement.")
    GoalAcceptance.objects.get_or_create(goal=goal, partner=partner)
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        request=request,
        detail={"accepted": True},
    )
    accepted = set(goal.acceptances.values_list("partner_id", flat=True))
    partners = set(goal.couple.partners.values_list("pk", flat=True))
    if len(partners) == 2 and partners <= accepted:
        goal.status = Goal.Status.ACTIVE
        goal.save(update_fields=["status", "updated_at"])
        _record_transition(
            goal, from_status=Goal.Status.PROPOSED, by=partner.user, note="Both partners agreed"
        )
        announcements.goal_agreed_announce(goal=goal, at=goal.updated_at)
    return goal


@transaction.atomic
def goal_request_change(
    *, goal: Goal, partner: Partner, note: str, request: HttpRequest | None = None
) -> GoalChangeRequest:
    """Either partner may ask for a change; a proposed goal then waits for both again."""
    if not goal.is_shared or partner.couple_id != goal.couple_id:
        raise ValidationError("Only the couple's partners ask for changes to a shared goal.")
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say what you would like to change."})
    if len(note) > CHANGE_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "note": f"Keep the request to {CHANGE_NOTE_MAX_LENGTH:,} characters or fewer "
                f"(this has {len(note):,})."
            }
        )
    try:
        with transaction.atomic():
            change = GoalChangeRequest.objects.create(goal=goal, partner=partner, note=note)
    except IntegrityError:
        # The same words still open from this partner (a double tap, a form sent again): the
        # database decides, so two at once cannot both pass.
        raise ValidationError(CHANGE_ALREADY_ASKED, code=CHANGE_ALREADY_ASKED_CODE) from None
    announcements.goal_change_requested_announce(change=change)
    if goal.status == Goal.Status.PROPOSED:
        goal.acceptances.all().delete()
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        request=request,
        detail={"change_requested": True},
    )
    return change


@transaction.atomic
def goal_update(*, goal: Goal, by: User, request: HttpRequest | None = None, **changes) -> Goal:
    """Edit a goal's terms. Changing the terms of a proposed shared goal asks both partners
    to agree again (the editor, if a partner, agrees by editing)."""
    unknown = set(changes) - set(AGREED_TERMS)
    if unknown:
        raise ValidationError(f"These fields cannot be changed here: {', '.join(sorted(unknown))}.")
    # Work on a fresh, locked copy: a refused edit leaves the caller's object as it was.
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if goal.status in (Goal.Status.ACHIEVED, Goal.Status.CANCELLED):
        raise ValidationError("A finished goal cannot be edited.")
    if (
        "measure" in changes
        and changes["measure"] != goal.measure
        and goal.progress_entries.exists()
    ):
        raise ValidationError({"measure": "The measure cannot change once progress is logged."})
    first_entry = goal.progress_entries.order_by("day").values_list("day", flat=True).first()
    new_start = changes.get("start_on", goal.start_on)
    if first_entry is not None and new_start > first_entry:
        raise ValidationError(
            {
                "start_on": f"Progress is logged from {first_entry:%B} {first_entry.day}: "
                "the goal cannot start later than that."
            }
        )
    before = {name: getattr(goal, name) for name in AGREED_TERMS}
    for name, value in changes.items():
        setattr(goal, name, value)
    goal.target = _target_for(goal.measure, goal.target)
    changed = [name for name in AGREED_TERMS if getattr(goal, name) != before[name]]
    if {"start_on", "due_on", "description"} & set(changed):
        _check_terms(
            couple=goal.couple,
            start_on=goal.start_on,
            due_on=goal.due_on,
            description=goal.description,
            changed=frozenset(changed),
        )
    goal.full_clean()
    goal.save()
    if changed and goal.is_shared and goal.status == Goal.Status.PROPOSED:
        goal.acceptances.all().delete()
        goal.change_requests.filter(resolved_at__isnull=True).update(resolved_at=goal.updated_at)
        editor = _partner_of(goal.couple, by)
        if editor is not None:
            GoalAcceptance.objects.create(goal=goal, partner=editor)
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        patient=goal.partner,
        request=request,
        detail={"changed": changed},
    )
    return goal


@transaction.atomic
def goal_transition(
    *, goal: Goal, to_status: str, by: User, note: str = "", request: HttpRequest | None = None
) -> Goal:
    """Move a goal along its lifecycle; a shared goal becomes active only by agreement. An
    achieved goal is announced to the others it concerns (a clinician marking it, or a
    milestone reached: goals.services.progress)."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if to_status not in Goal.Status.values:
        raise ValidationError(f"“{to_status}” is not a goal status.")
    if to_status not in TRANSITIONS[goal.status]:
        raise ValidationError(
            f"This goal is {goal.get_status_display().lower()}, so it cannot become "
            f"{Goal.Status(to_status).label.lower()}."
        )
    if goal.is_shared and goal.status == Goal.Status.PROPOSED and to_status == Goal.Status.ACTIVE:
        raise ValidationError("A shared goal becomes active when both partners accept it.")
    from_status = goal.status
    goal.status = to_status
    goal.save(update_fields=["status", "updated_at"])
    _record_transition(goal, from_status=from_status, by=by, note=note)
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        patient=goal.partner,
        request=request,
        detail={"status": to_status},
    )
    if to_status == Goal.Status.ACHIEVED:
        announcements.goal_achieved_announce(goal=goal, by=by, at=goal.updated_at)
    return goal


@transaction.atomic
def goal_withdraw(*, goal: Goal, by: User, request: HttpRequest | None = None) -> Goal:
    """The partner who proposed a shared goal takes it back while it still waits for
    agreement: it becomes cancelled (kept, with its history), so nobody is left being asked
    to agree to something its author no longer wants. The other partner declines by asking
    for a change, not by cancelling their partner's proposal."""
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    if not goal.is_shared:
        raise ValidationError("Only a shared goal that waits for agreement can be withdrawn.")
    if goal.created_by_id != by.pk or _partner_of(goal.couple, by) is None:
        raise ValidationError(
            "Only the partner who proposed this goal can withdraw it. "
            "You can ask for a change instead."
        )
    if goal.status != Goal.Status.PROPOSED:
        raise ValidationError("This goal is no longer waiting for agreement.")
    goal.status = Goal.Status.CANCELLED
    goal.save(update_fields=["status", "updated_at"])
    _record_transition(
        goal,
        from_status=Goal.Status.PROPOSED,
        by=by,
        note="Withdrawn by the partner who proposed it",
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=goal,
        request=request,
        detail={"status": Goal.Status.CANCELLED, "withdrawn": True},
    )
    return goal
