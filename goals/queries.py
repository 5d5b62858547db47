"""Reads of goals, progress and check-ins, limited to what the viewer may see.

Shared goals are visible to the couple and its care team; a partner's individual
goals to that partner, their care team, and the other partner only under an
active consent (couples.queries.individual_items_access).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import OuterRef, Q, Subquery
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import CareAssignment, Couple, Partner, User
from couples.queries import (
    IndividualItemsAccess,
    care_team_for_partner,
    consent_active_for,
    couple_list_for_user,
    individual_items_access,
    individual_items_access_for_partners,
)
from goals.models import (
    EDIT_WINDOW_DAYS,
    CheckIn,
    Goal,
    GoalChangeRequest,
    GoalTransition,
    ProgressEntry,
)

NO_CHECKIN_ALERT_DAYS = 2
HIGH_CRAVING = 8
STALE_GOAL_DAYS = 7
RATING_GAP = 3
RECENT_DAYS = 7


@dataclass
class VisibleGoals:
    """Goals one viewer may see in a couple, and whose consent made any of them visible."""

    shared: list[Goal] = field(default_factory=list)
    individual: dict[int, list[Goal]] = field(default_factory=dict)  # partner id -> goals
    readable: dict[int, bool] = field(default_factory=dict)  # partner id -> their goals shown
    disclosed_by: list[tuple[Partner, IndividualItemsAccess]] = field(default_factory=list)


def goal_list_for_user(
    *, user: User, couple: Couple, partners: list[Partner] | None = None
) -> VisibleGoals:
    """The couple's goals this viewer may see (the couple must already be access-checked);
    a page that has read the couple's partners passes them."""
    partners = list(couple.partners.all()) if partners is None else partners
    visible = VisibleGoals()
    readable = visible.readable
    accesses = individual_items_access_for_partners(viewer=user, partners=partners)
    for partner in partners:
        access = accesses[partner.pk]
        readable[partner.pk] = access.goals
        if access.goals and access.is_disclosure:
            visible.disclosed_by.append((partner, access))
    goals = couple.goals.exclude(status=Goal.Status.CANCELLED).filter(
        Q(partner__isnull=True) | Q(partner_id__in=[pk for pk, ok in readable.items() if ok])
    )
    for goal in goals.select_related("partner__user").prefetch_related("acceptances"):
        if goal.partner_id is None:
            visible.shared.append(goal)
        else:
            visible.individual.setdefault(goal.partner_id, []).append(goal)
    return visible


def goal_get_for_user(*, user: User, pk: int, request: HttpRequest | None = None) -> Goal:
    """A goal the user may see, or 404 (audited) as if it did not exist."""
    goal = (
        Goal.objects.select_related("couple", "partner__user")
        .filter(pk=pk, couple__in=couple_list_for_user(user=user))
        .first()
    )
    if goal is not None and goal.partner is not None:
        if not individual_items_access(viewer=user, owner=goal.partner).goals:
            goal = None
    if goal is None:
        access_denied_record(user=user, request=request, target_type="goals.Goal", target_id=pk)
        raise Http404
    return goal


class ProgressPoint(NamedTuple):
    """One logged day of a goal, as pages show it: read as plain values, not models."""

    goal_id: int
    partner_id: int
    day: datetime.date
    value: int
    note: str


def progress_for_goals(
    *, goals: list[Goal], since: datetime.date
) -> dict[int, dict[int, list[ProgressPoint]]]:
    """goal id -> partner id -> entries since a day, oldest first, in one query.

    A milestone's "reached" comes along whenever it was logged: who has reached it is part of
    the goal's state (a shared one is achieved once both have), not of a window of days.
    """
    result: dict[int, dict[int, list[ProgressPoint]]] = defaultdict(lambda: defaultdict(list))
    reached = Q(measure=Goal.Measure.MILESTONE, value=1)
    entries = (
        ProgressEntry.objects.filter(Q(day__gte=since) | reached, goal__in=[g.pk for g in goals])
        .order_by("day")
        .values_list(*ProgressPoint._fields)
    )
    for row in entries:
        point = ProgressPoint(*row)
        result[point.goal_id][point.partner_id].append(point)
    return result


def checkin_list_for_partner(*, partner: Partner, since: datetime.date) -> list[CheckIn]:
    return list(CheckIn.objects.filter(partner=partner, day__gte=since).order_by("-day"))


def checkin_of_partner_on(*, partner: Partner, day: datetime.date) -> CheckIn | None:
    """The partner's own check-in of a day, or None."""
    return CheckIn.objects.filter(partner=partner, day=day).first()


def is_editable_day(*, day: datetime.date, today: datetime.date) -> bool:
    return 0 <= (today - day).days <= EDIT_WINDOW_DAYS


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int


def sober_streak(*, partner: Partner, today: datetime.date) -> Streak:
    """Sober days from the recovery date, restarting the day after each reported use.

    One query: only the days with a reported use are read.
    """
    start = partner.sobriety_date
    if start is None or start > today:
        return Streak(current=0, longest=0)
    uses = CheckIn.objects.filter(partner=partner, is_sober=False, day__gte=start, day__lte=today)
    return _streak(start, today, uses.values_list("day", flat=True).distinct())


def checkin_today_and_streak(
    *, partner: Partner, today: datetime.date
) -> tuple[CheckIn | None, Streak]:
    """Today's check-in and the sober streak (sober_streak), read together in one query:
    today's row and the days of reported use since the recovery date."""
    start = partner.sobriety_date
    counts = start is not None and start <= today
    wanted = Q(day=today)
    if counts:
        wanted |= Q(is_sober=False, day__gte=start, day__lte=today)
    rows = list(CheckIn.objects.filter(partner=partner).filter(wanted))
    today_checkin = next((row for row in rows if row.day == today), None)
    if not counts:
        return today_checkin, Streak(current=0, longest=0)
    uses = {row.day for row in rows if not row.is_sober}
    return today_checkin, _streak(start, today, uses)


def _streak(start: datetime.date, today: datetime.date, uses) -> Streak:
    longest, run_start = 0, start
    for use in sorted(uses):
        longest = max(longest, (use - run_start).days)
        run_start = use + datetime.timedelta(days=1)
    current = (today - run_start).days + 1 if run_start <= today else 0
    return Streak(current=current, longest=max(longest, current))


def latest_checkin_day() -> Subquery:
    """Annotates partners with their latest check-in's day: one lookup per partner in the
    unique (partner, day) index rather than all their days."""
    return Subquery(
        CheckIn.objects.filter(partner=OuterRef("pk")).order_by("-day").values("day")[:1]
    )


# Reads for the clinic pages (goals/views/clinic.py).


def checkin_list_for_partners(
    *, partners: list[Partner], since: datetime.date
) -> dict[int, list[CheckIn]]:
    """partner id -> check-ins since a day, newest first, in one query for both partners."""
    result: dict[int, list[CheckIn]] = defaultdict(list)
    checkins = CheckIn.objects.filter(partner__in=[p.pk for p in partners], day__gte=since)
    for checkin in checkins.order_by("-day"):
        result[checkin.partner_id].append(checkin)
    return result


def change_request_list_for_goals(*, goals: list[Goal]) -> dict[int, list[GoalChangeRequest]]:
    """goal id -> its change requests, newest first, in one query."""
    result: dict[int, list[GoalChangeRequest]] = defaultdict(list)
    changes = GoalChangeRequest.objects.filter(goal__in=[g.pk for g in goals])
    for change in changes.select_related("partner__user").order_by("-created_at", "-pk"):
        result[change.goal_id].append(change)
    return result


def transition_list_for_goal(*, goal: Goal) -> list[GoalTransition]:
    """The goal's status history, oldest first, with who made each change."""
    return list(goal.transitions.select_related("by").order_by("at", "pk"))


@dataclass(frozen=True)
class CheckinReaders:
    """Who reads a partner's check-ins, notes included: the clinicians whose role covers them
    (the couples therapist and their own individual clinicians, never the other partner's),
    and the other partner only while a consent shares check-ins with them."""

    clinicians: list[CareAssignment]
    other_partner: Partner | None
    other_partner_reads: bool


def checkin_readers(*, partner: Partner) -> CheckinReaders:
    """Three queries: the partner's care team, the couple's partners, the partner's consent."""
    clinicians = list(care_team_for_partner(partner=partner))
    other = next(
        (p for p in Partner.objects.filter(couple_id=partner.couple_id).exclude(pk=partner.pk)),
        None,
    )
    consent = consent_active_for(partner=partner) if other is not None else None
    return CheckinReaders(
        clinicians=clinicians,
        other_partner=other,
        other_partner_reads=bool(
            consent and consent.shares_checkins and consent.recipient_id == other.pk
        ),
    )
