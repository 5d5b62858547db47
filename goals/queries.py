"""Reads of goals, progress and check-ins, limited to what the viewer may see.

Shared goals are visible to the couple and its care team; a partner's individual
goals to that partner, their care team, and the other partner only under an
active consent (couples.queries.individual_items_access).
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import CareAssignment, Couple, Partner, User
from couples.queries import (
    NO_COVERAGE,
    CareCoverage,
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
    """goal id -> partner id -> entries since a day, oldest first, in one query."""
    result: dict[int, dict[int, list[ProgressPoint]]] = defaultdict(lambda: defaultdict(list))
    entries = (
        ProgressEntry.objects.filter(goal__in=[g.pk for g in goals], day__gte=since)
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


def needs_attention(
    *, couples: list[Couple], today: datetime.date, coverage: dict[int, CareCoverage]
) -> dict[int, list[str]]:
    """couple id -> the reasons one clinician should look, in four queries for any number,
    each rule reading only the recent or the latest rows through an index.

    `coverage` (couple id -> the clinician's CareCoverage there) keeps to the partners whose
    own items their role covers: a partner's check-ins and individual goals raise alerts
    only for that partner's own clinicians and the couples therapist; shared goals for all.
    Expects each couple's partners prefetched (with users) for the names.
    """
    # Only couples in treatment raise alerts: intake has not started, discharge has ended.
    couples = [c for c in couples if c.status in (Couple.Status.ACTIVE, Couple.Status.STEP_DOWN)]
    partners = {
        p.pk: p
        for couple in couples
        for p in couple.partners.all()
        if coverage.get(couple.pk, NO_COVERAGE).covers(p.pk)
    }
    reasons: dict[int, list[str]] = defaultdict(list)
    for rule in ATTENTION_RULES:
        for couple_id, reason in rule(couples=couples, partners=partners, today=today):
            reasons[couple_id].append(reason)
    return dict(reasons)


def silent_partners(*, couples, partners, today):
    """A partner who has not checked in for NO_CHECKIN_ALERT_DAYS (since admission if never)."""
    last_checkins = dict(
        Partner.objects.filter(pk__in=partners)
        .annotate(last=latest_checkin_day())
        .order_by()
        .values_list("pk", "last")
    )
    for couple in couples:
        for partner in couple.partners.all():
            if partner.pk not in partners:
                continue
            since = last_checkins.get(partner.pk) or couple.admitted_on
            if since is not None and (today - since).days >= NO_CHECKIN_ALERT_DAYS:
                days = (today - since).days
                yield couple.pk, f"No check-in from {partner.display_name} for {days} days"


def reported_use_or_craving(*, couples, partners, today):
    """A use, or a craving of HIGH_CRAVING or more, reported in the last RECENT_DAYS."""
    recent = today - datetime.timedelta(days=RECENT_DAYS)
    concerning = (
        # Partners as a subquery rather than a list of ids: PostgreSQL then reads each
        # partner's recent days from the (partner, day) index, not all their days.
        CheckIn.objects.filter(partner__in=Partner.objects.filter(pk__in=partners), day__gte=recent)
        .filter(Q(is_sober=False) | Q(craving__gte=HIGH_CRAVING))
        .order_by("-day")
        .values_list("partner_id", "day", "is_sober", "craving")
    )
    for partner_id, day, is_sober, craving in concerning:
        partner = partners[partner_id]
        when = f"{day:%b} {day.day}"
        if not is_sober:
            yield partner.couple_id, f"{partner.display_name} reported a use on {when}"
        else:
            yield (
                partner.couple_id,
                (f"{partner.display_name} reported craving {craving} of 10 on {when}"),
            )


def stale_goals(*, couples, partners, today):
    """An active goal (not a milestone) with no progress logged for STALE_GOAL_DAYS."""
    stale_before = today - datetime.timedelta(days=STALE_GOAL_DAYS)
    # Two lookups in the (goal, day) index rather than the maximum of all a goal's entries:
    # is there an entry since the cut-off, and for the stale ones, the latest day.
    progress = ProgressEntry.objects.filter(goal=OuterRef("pk"))
    stale = (
        # A milestone is logged once, when reached: silence is expected until then.
        Goal.objects.filter(
            couple_id__in=[couple.pk for couple in couples],
            status=Goal.Status.ACTIVE,
            start_on__lte=stale_before,
        )
        .exclude(measure=Goal.Measure.MILESTONE)
        # Shared goals, and the individual goals of the partners the clinician covers.
        .filter(Q(partner__isnull=True) | Q(partner_id__in=list(partners)))
        .filter(~Exists(progress.filter(day__gte=stale_before)))
        .annotate(last=Subquery(progress.order_by("-day").values("day")[:1]))
        .values_list("couple_id", "partner_id", "title", "start_on", "last")
    )
    for couple_id, partner_id, title, start_on, last in stale:
        # Both partners may hold an individual goal of the same title: say whose it is.
        owner = f"{partners[partner_id].display_name}’s " if partner_id in partners else ""
        days = (today - (last or start_on)).days
        yield couple_id, f"No progress on {owner}“{title}” for {days} days"


def diverging_ratings(*, couples, partners, today):
    """A shared rating goal whose two partners' latest ratings (last RECENT_DAYS) are
    RATING_GAP or more apart: they see it differently."""
    recent = today - datetime.timedelta(days=RECENT_DAYS)
    latest: dict[tuple[int, int], tuple[datetime.date, int]] = {}
    ratings = ProgressEntry.objects.filter(
        goal__couple_id__in=[couple.pk for couple in couples],
        goal__partner__isnull=True,
        goal__status=Goal.Status.ACTIVE,
        # An entry repeats its goal's measure: asking the goal too means only the rating
        # goals' recent entries are read, not those of every shared goal.
        goal__measure=Goal.Measure.RATING,
        measure=Goal.Measure.RATING,
        day__gte=recent,
    ).values_list("goal_id", "goal__couple_id", "goal__title", "partner_id", "day", "value")
    titles = {}
    for goal_id, couple_id, title, partner_id, day, value in ratings:
        titles[goal_id] = (couple_id, title)
        if (goal_id, partner_id) not in latest or day > latest[(goal_id, partner_id)][0]:
            latest[(goal_id, partner_id)] = (day, value)
    by_goal: dict[int, list[int]] = defaultdict(list)
    for (goal_id, _partner_id), (_day, value) in latest.items():
        by_goal[goal_id].append(value)
    for goal_id, values in by_goal.items():
        if len(values) == 2 and abs(values[0] - values[1]) >= RATING_GAP:
            couple_id, title = titles[goal_id]
            yield (
                couple_id,
                (f"Partners rate “{title}” {min(values)} and {max(values)}: worth talking about"),
            )


# The rules in the order their reasons are listed; each is one query for all the couples.
ATTENTION_RULES = (silent_partners, reported_use_or_craving, stale_goals, diverging_ratings)


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
