"""Progress on goals: a partner's log of a day, and a milestone reached.

A milestone goal is reached once, so reaching it ends the goal: it is **achieved** as soon as
everyone it belongs to has marked it reached, its partner for an individual goal and both
partners for a shared one. Each partner logs their own view of a shared goal and each agreed
to it, so each marks it; until both have, the other partner is asked to (an announcement).
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner
from couples.queries import couple_today
from goals import announcements
from goals.models import Goal, ProgressEntry
from goals.services.days import day_check
from goals.services.lifecycle import goal_transition


@transaction.atomic
def progress_log(
    *,
    goal: Goal,
    partner: Partner,
    day: datetime.date,
    value: int,
    note: str = "",
    request: HttpRequest | None = None,
) -> ProgressEntry:
    """Log a partner's progress for a day; logging the same day again updates it. Marking a
    milestone reached may achieve the goal (milestone_reached); the entry's `goal` then
    says so."""
    if goal.couple_id != partner.couple_id or goal.partner_id not in (None, partner.pk):
        raise ValidationError("You can log progress only on your own and your shared goals.")
    if goal.measure == Goal.Measure.MILESTONE:
        # Both partners marking it at once: one waits for the other, so the second sees the
        # first's mark and achieves the goal.
        # Only the goal's row: PostgreSQL cannot lock the nullable side of the join to partner.
        goal = (
            Goal.objects.select_for_update(of=("self",))
            .select_related("couple", "partner")
            .get(pk=goal.pk)
        )
    if goal.status != Goal.Status.ACTIVE:
        raise ValidationError("Progress is logged on active goals.")
    today = couple_today(couple=partner.couple)
    day_check(day=day, today=today, what="Entries")
    if day < goal.start_on:
        raise ValidationError({"day": "This goal had not started on that day."})
    entry = (
        ProgressEntry.objects.select_for_update()
        .filter(goal=goal, partner=partner, day=day)
        .first()
    )
    created = entry is None
    if created:
        entry = ProgressEntry(goal=goal, partner=partner, day=day, measure=goal.measure)
    entry.value, entry.note, entry.recorded_on = value, note, today
    entry.full_clean()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        # A double tap created the day's entry between our read and our insert: update it.
        entry = ProgressEntry.objects.select_for_update().get(goal=goal, partner=partner, day=day)
        entry.value, entry.note, entry.recorded_on = value, note, today
        entry.save()
        created = False
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        target=entry,
        patient=partner,
        request=request,
    )
    if goal.measure == Goal.Measure.MILESTONE and value:
        entry.goal = milestone_reached(goal=goal, entry=entry, request=request)
    return entry


def milestone_reached(
    *, goal: Goal, entry: ProgressEntry, request: HttpRequest | None = None
) -> Goal:
    """A partner marked a milestone reached (`entry`, in progress_log's transaction with the
    goal locked): achieve the goal once all its owners have, else ask the other partner to
    mark it too. Returns the goal.

    Two queries to decide: the couple's partners (shared goals only), who marked it reached.
    """
    if goal.is_shared:
        owners = set(goal.couple.partners.values_list("pk", flat=True))
    else:
        owners = {goal.partner_id}
    marked = set(
        goal.progress_entries.filter(value=1, partner_id__in=owners).values_list(
            "partner_id", flat=True
        )
    )
    if owners - marked:
        announcements.goal_reached_announce(goal=goal, entry=entry)
        return goal
    note = "Both partners marked it reached" if goal.is_shared else "Marked reached"
    return goal_transition(
        goal=goal, to_status=Goal.Status.ACHIEVED, by=entry.partner.user, note=note, request=request
    )
