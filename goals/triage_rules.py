"""What check-ins and goals say that the care team should act on, as triage rules
(triage.sweeps): high craving or a very low mood on 2 of the last 3 days, a partner who has
stopped checking in, and a partner's request to change a goal."""

import datetime
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from common.zones import zone_named
from couples.models import Couple, Partner
from couples.queries import partners_in_treatment
from goals.models import CheckIn, Goal, GoalChangeRequest, ProgressEntry
from goals.queries import (
    HIGH_CRAVING,
    NO_CHECKIN_ALERT_DAYS,
    RATING_GAP,
    RECENT_DAYS,
    STALE_GOAL_DAYS,
    latest_checkin_day,
)
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register

WINDOW_DAYS = 3  # "2 of the last 3 days"
HARD_DAYS = 2


def _partners_in_treatment():
    return (
        partners_in_treatment()
        .select_related("user", "couple")
        .only(
            "pk",
            "preferred_name",
            "user__first_name",
            "user__email",
            "couple__id",
            "couple__time_zone",
            "couple__admitted_on",
        )
        .order_by()
    )


def _today(partner: Partner, now: datetime.datetime) -> datetime.date:
    return timezone.localtime(now, zone_named(partner.couple.time_zone)).date()


def _day(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"


def hard_days(now: datetime.datetime):
    """Craving of HIGH_CRAVING or more, or a very low mood, on 2 of the partner's last 3
    days. The item names the latest such check-in: a new hard day after an acknowledgement
    is a new event, so it raises a new item. Two queries."""
    partners = {p.pk: p for p in _partners_in_treatment()}
    earliest = timezone.localdate(now) - datetime.timedelta(days=WINDOW_DAYS + 1)
    rows = (
        CheckIn.objects.filter(partner_id__in=list(partners), day__gte=earliest)
        .filter(Q(craving__gte=HIGH_CRAVING) | Q(mood=CheckIn.Mood.VERY_LOW))
        .order_by("partner_id", "day")
        .values_list("pk", "partner_id", "day", "note")
    )
    hard: dict[int, list[tuple[datetime.date, int, str]]] = defaultdict(list)
    for pk, partner_id, day, note in rows:
        partner = partners[partner_id]
        today = _today(partner, now)
        if today - datetime.timedelta(days=WINDOW_DAYS - 1) <= day <= today:
            hard[partner_id].append((day, pk, note))
    for partner_id, days in hard.items():
        if len(days) >= HARD_DAYS:
            partner = partners[partner_id]
            yield Finding(
                couple_id=partner.couple_id,
                partner_id=partner_id,
                source_ref=f"goals.checkin:{days[-1][1]}",
                summary=f"{partner.display_name}: high craving or a very low mood on "
                f"{len(days)} of the last {WINDOW_DAYS} days ("
                + ", ".join(_day(day) for day, _, _ in days)
                + ")",
                detail=days[-1][2],
            )


def silent_partners(now: datetime.datetime):
    """No check-in for NO_CHECKIN_ALERT_DAYS or more (since admission if never). The item
    names the day the silence began, so it ends when they check in and a later silence is
    a new item. One query."""
    partners = _partners_in_treatment().annotate(last=latest_checkin_day())
    for partner in partners:
        since = partner.last or partner.couple.admitted_on
        if since is None:
            continue
        days = (_today(partner, now) - since).days
        if days >= NO_CHECKIN_ALERT_DAYS:
            yield Finding(
                couple_id=partner.couple_id,
                partner_id=partner.pk,
                source_ref=f"goals.silent:{partner.pk}:{since.isoformat()}",
                summary=f"No check-in from {partner.display_name} since {_day(since)} "
                f"({days} days)",
            )


def goal_change_requests(now: datetime.datetime):
    """A partner asked to change a goal and no one has answered yet. One query."""
    requests = (
        GoalChangeRequest.objects.filter(
            resolved_at__isnull=True, goal__couple__status__in=Couple.IN_TREATMENT
        )
        .select_related("goal", "partner__user")
        .order_by()
    )
    for request in requests:
        yield Finding(
            couple_id=request.goal.couple_id,
            # A shared goal's request is for the whole care team; an individual goal's for
            # the clinicians who cover its partner.
            partner_id=request.goal.partner_id,
            source_ref=f"goals.goalchangerequest:{request.pk}",
            summary=f"{request.partner.display_name} asked to change “{request.goal.title}”",
        )


def stalled_goals(now: datetime.datetime):
    """An active goal (not a milestone, which is logged once when reached) with no progress
    for STALE_GOAL_DAYS. The item names the last day logged, so logging ends it and a later
    stall is a new item. One query."""
    today = timezone.localdate(now)
    stale_before = today - datetime.timedelta(days=STALE_GOAL_DAYS)
    progress = ProgressEntry.objects.filter(goal=OuterRef("pk"))
    stale = (
        Goal.objects.filter(
            couple__status__in=Couple.IN_TREATMENT,
            status=Goal.Status.ACTIVE,
            start_on__lte=stale_before,
        )
        .exclude(measure=Goal.Measure.MILESTONE)
        .filter(~Exists(progress.filter(day__gte=stale_before)))
        .annotate(last=Subquery(progress.order_by("-day").values("day")[:1]))
        .select_related("partner__user")
        .order_by()
    )
    for goal in stale:
        since = goal.last or goal.start_on
        # Both partners may keep an individual goal of the same title: say whose it is.
        owner = f"{goal.partner.display_name}’s " if goal.partner_id else ""
        yield Finding(
            couple_id=goal.couple_id,
            partner_id=goal.partner_id,
            source_ref=f"goals.goal:{goal.pk}:stalled:{since.isoformat()}",
            summary=f"No progress on {owner}“{goal.title}” since {_day(since)}",
        )


def ratings_apart(now: datetime.datetime):
    """A shared rating goal whose partners' latest ratings (the last RECENT_DAYS) are
    RATING_GAP or more apart: they see it differently. One query."""
    recent = timezone.localdate(now) - datetime.timedelta(days=RECENT_DAYS)
    latest: dict[tuple[int, int], tuple[datetime.date, int]] = {}
    goals = {}
    ratings = (
        ProgressEntry.objects.filter(
            goal__couple__status__in=Couple.IN_TREATMENT,
            goal__partner__isnull=True,
            goal__status=Goal.Status.ACTIVE,
            goal__measure=Goal.Measure.RATING,
            measure=Goal.Measure.RATING,
            day__gte=recent,
        )
        .order_by()
        .values_list("goal_id", "goal__couple_id", "goal__title", "partner_id", "day", "value")
    )
    for goal_id, couple_id, title, partner_id, day, value in ratings:
        goals[goal_id] = (couple_id, title)
        if (goal_id, partner_id) not in latest or day > latest[(goal_id, partner_id)][0]:
            latest[(goal_id, partner_id)] = (day, value)
    by_goal: dict[int, list[tuple[datetime.date, int]]] = defaultdict(list)
    for (goal_id, _partner_id), day_value in latest.items():
        by_goal[goal_id].append(day_value)
    for goal_id, pairs in by_goal.items():
        values = [value for _, value in pairs]
        if len(values) == 2 and abs(values[0] - values[1]) >= RATING_GAP:
            couple_id, title = goals[goal_id]
            newest = max(day for day, _ in pairs)
            yield Finding(
                couple_id=couple_id,
                partner_id=None,
                source_ref=f"goals.goal:{goal_id}:apart:{newest.isoformat()}",
                summary=f"Partners rate “{title}” {min(values)} and {max(values)}: worth "
                "talking about",
            )


rule_register(
    Rule(
        kind=TriageItem.Kind.HARD_DAYS,
        severity=TriageItem.Severity.HIGH,
        find=hard_days,
        ended="Fewer hard days in the last three now, or a newer item took its place",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.CHECKINS_MISSED,
        severity=TriageItem.Severity.ROUTINE,
        find=silent_partners,
        ended="Checked in again",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.GOAL_CHANGE_REQUEST,
        severity=TriageItem.Severity.ROUTINE,
        find=goal_change_requests,
        ended="The request was answered",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.GOAL_STALLED,
        severity=TriageItem.Severity.ROUTINE,
        find=stalled_goals,
        ended="Progress was logged, or the goal changed",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.RATINGS_APART,
        severity=TriageItem.Severity.ROUTINE,
        find=ratings_apart,
        ended="Their latest ratings are closer, or a newer item took its place",
    )
)
