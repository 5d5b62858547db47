"""Goal and check-in messages: the daily check-in prompt, the weekly goal review, and the
care team's alert when a partner has stopped checking in.

A partner's day is the day where they are: their own zone (notification preferences), else
their couple's. Each plan reads everyone it concerns in one or two queries; the rows it yields
for people already planned are dropped by the outbox's unique key.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from common.zones import zone_named
from couples.models import CareAssignment, Couple, Notification, NotificationPreference, Partner
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    local_moment,
    next_midnight,
    object_pk,
    object_ref_of,
)
from couples.queries import care_coverage_for, partners_in_treatment

# The goal's two-party steps (proposed, agreed, a change asked for) are kinds of their own,
# queued by the goal services; importing the module registers them with the others.
from goals import announcements  # noqa: F401
from goals.models import CheckIn, Goal
from goals.queries import NO_CHECKIN_ALERT_DAYS, latest_checkin_day

CHECKIN_PROMPT = "checkin_prompt"
GOAL_REVIEW = "goal_review_weekly"
CHECKINS_MISSED = "checkins_missed"
REVIEW_WEEKDAY = 6  # Sunday
DEFAULT_PROMPT_TIME = NotificationPreference._meta.get_field("checkin_prompt_time").default
PREFERENCE = "user__notification_preference__"


def partner_ref(partner_id: int) -> str:
    return object_ref_of(Partner, partner_id)


def end_of_slot_day(notification: Notification, recipient: Recipient) -> datetime.datetime:
    """The end of the recipient's day the message belongs to: after it a prompt means nothing."""
    return next_midnight(recipient.local(notification.slot).date(), recipient.zone)


def _opted_in(flag: str) -> Q:
    # No preference row means the defaults, and every prompt is on by default.
    return Q(**{f"{PREFERENCE}isnull": True}) | Q(**{f"{PREFERENCE}{flag}": True})


def _partner(notification: Notification) -> Partner | None:
    return (
        Partner.objects.select_related("couple", "user__notification_preference")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )


def _prompt_reason(partner: Partner | None, recipient: Recipient, *, wanted: bool) -> str:
    """Why a prompt to a partner no longer applies ("" when it does)."""
    if partner is None or partner.user_id != recipient.user.pk:
        return "No longer a partner"
    if partner.couple.status not in Couple.IN_TREATMENT:
        return "The couple is not in treatment"
    if not wanted:
        return "Turned off by the recipient"
    return ""


def _partner_zone(partner: Partner) -> ZoneInfo:
    preference = getattr(partner.user, "notification_preference", None)
    return zone_named(preference and preference.time_zone, partner.couple.time_zone)


def _already_sent_that_day(notification: Notification, zone: ZoneInfo) -> bool:
    """A prompt already went out on this local day (the prompt time was moved later after it:
    the new time is a new slot, but one prompt a day is enough)."""
    day = notification.slot.astimezone(zone).date()
    return (
        Notification.objects.filter(
            kind=notification.kind,
            recipient_id=notification.recipient_id,
            object_ref=notification.object_ref,
            status=Notification.Status.SENT,
            slot__gte=local_moment(day, datetime.time(), zone),
            slot__lt=next_midnight(day, zone),
        )
        .exclude(pk=notification.pk)
        .exists()
    )


def _prompt_moments(
    rows, now: datetime.datetime
) -> Iterator[tuple[tuple, datetime.date, datetime.datetime]]:
    """(row, local day, the day's prompt moment) for each row whose prompt moment has come.
    Each row ends with the couple's zone, the partner's own zone and prompt time."""
    for row in rows:
        *_, couple_zone, own_zone, prompt_time = row
        zone = zone_named(own_zone, couple_zone)
        day = now.astimezone(zone).date()
        moment = local_moment(day, prompt_time or DEFAULT_PROMPT_TIME, zone)
        if moment <= now:
            yield row, day, moment


# --- The daily check-in prompt ------------------------------------------------------------------


def checkin_prompts_plan(now: datetime.datetime) -> Iterator[Draft]:
    """Every partner in treatment, prompts on, whose prompt time has come today (their day)
    and who has not checked in for it. One query."""
    rows = (
        partners_in_treatment()
        .filter(_opted_in("checkin_prompts"))
        .annotate(last_checkin=latest_checkin_day())
        .values_list(
            "pk",
            "user_id",
            "last_checkin",
            "couple__time_zone",
            f"{PREFERENCE}time_zone",
            f"{PREFERENCE}checkin_prompt_time",
        )
    )
    for (partner_id, user_id, last_checkin, *_), day, moment in _prompt_moments(rows, now):
        if last_checkin is not None and last_checkin >= day:
            continue
        yield Draft(
            kind=CHECKIN_PROMPT,
            recipient_id=user_id,
            object_ref=partner_ref(partner_id),
            slot=moment,
            due_at=moment,
        )


def checkin_prompt_check(notification: Notification, recipient: Recipient) -> str:
    """Three queries: the partner, a check-in that day, a prompt already sent that day."""
    partner = _partner(notification)
    reason = _prompt_reason(partner, recipient, wanted=recipient.preference.checkin_prompts)
    if reason:
        return reason
    day = recipient.local(notification.slot).date()
    if timezone.now() >= next_midnight(day, recipient.zone):
        return "The day is over"
    if CheckIn.objects.filter(partner=partner, day=day).exists():
        return "Already checked in"
    if _already_sent_that_day(notification, recipient.zone):
        return "Already prompted that day"
    return ""


def checkin_prompt_message(notification: Notification, recipient: Recipient) -> Message:
    return Message(
        subject="Your daily check-in",
        lines=["It is time for today's check-in. It takes about a minute."],
        link=reverse("goals:checkin"),
        action="Check in now",
    )


kind_register(
    Kind(
        name=CHECKIN_PROMPT,
        label="Daily check-in prompt",
        message=checkin_prompt_message,
        check=checkin_prompt_check,
        plan=checkin_prompts_plan,
        expires=lambda notification, recipient: end_of_slot_day(notification, recipient),
        expires_note="the day ended",
    )
)


# --- The weekly goal review ---------------------------------------------------------------------


def active_goals_of(*, couple_id, partner_id) -> QuerySet[Goal]:
    """The couple's active shared goals and the partner's own active ones."""
    return Goal.objects.filter(couple_id=couple_id, status=Goal.Status.ACTIVE).filter(
        Q(partner__isnull=True) | Q(partner_id=partner_id)
    )


def goal_reviews_plan(now: datetime.datetime) -> Iterator[Draft]:
    """On Sunday (their day), at their check-in prompt time: every partner in treatment with
    an active goal and goal reviews on. One query."""
    rows = (
        partners_in_treatment()
        .filter(_opted_in("goal_review_prompts"))
        .filter(Exists(active_goals_of(couple_id=OuterRef("couple_id"), partner_id=OuterRef("pk"))))
        .values_list(
            "pk",
            "user_id",
            "couple__time_zone",
            f"{PREFERENCE}time_zone",
            f"{PREFERENCE}checkin_prompt_time",
        )
    )
    for (partner_id, user_id, *_), day, moment in _prompt_moments(rows, now):
        if day.weekday() != REVIEW_WEEKDAY:
            continue
        yield Draft(
            kind=GOAL_REVIEW,
            recipient_id=user_id,
            object_ref=partner_ref(partner_id),
            slot=moment,
            due_at=moment,
        )


def goal_review_check(notification: Notification, recipient: Recipient) -> str:
    """Three queries: the partner, an active goal, a review already sent that day."""
    partner = _partner(notification)
    reason = _prompt_reason(partner, recipient, wanted=recipient.preference.goal_review_prompts)
    if reason:
        return reason
    if not active_goals_of(couple_id=partner.couple_id, partner_id=partner.pk).exists():
        return "No active goal"
    if _already_sent_that_day(notification, recipient.zone):
        return "Already sent that day"
    return ""


def goal_review_message(notification: Notification, recipient: Recipient) -> Message:
    return Message(
        subject="Your weekly goal review",
        lines=[
            "It is the end of the week: a good moment to look back at your goals together "
            "and log any progress you have not logged yet."
        ],
        link=reverse("pages:portal_home") + "#shared-goals-heading",
        action="Review your goals",
    )


kind_register(
    Kind(
        name=GOAL_REVIEW,
        label="Weekly goal review",
        message=goal_review_message,
        check=goal_review_check,
        plan=goal_reviews_plan,
        expires=lambda notification, recipient: end_of_slot_day(notification, recipient),
        expires_note="the day ended",
    )
)


# --- The care team's alert: check-ins missed ----------------------------------------------------


def first_missed_day(
    *, last_checkin: datetime.date | None, admitted_on: datetime.date | None
) -> datetime.date | None:
    """The first day without a check-in since the last one (or since admission)."""
    if last_checkin is None:
        return admitted_on
    after = last_checkin + datetime.timedelta(days=1)
    return max(after, admitted_on) if admitted_on else after


def checkins_missed_plan(now: datetime.datetime) -> Iterator[Draft]:
    """An alert to each clinician whose role covers the partner (the couples therapist, the
    partner's own individual therapist, counselor or medical provider: never the other
    partner's) when the partner has not checked in on the two days before today (their day).
    The slot is the first missed day, so a gap raises one alert however long it lasts. Two
    queries: the partners who have not checked in since yesterday (UTC), then the care teams
    of their couples."""
    # No zone is more than a day behind UTC: a check-in dated from yesterday (UTC) on is one
    # of the last two days everywhere, so only partners without one can be two days behind.
    recent = now.astimezone(datetime.UTC).date() - datetime.timedelta(days=1)
    rows = list(
        partners_in_treatment()
        .filter(~Exists(CheckIn.objects.filter(partner=OuterRef("pk"), day__gte=recent)))
        .annotate(last_checkin=latest_checkin_day())
        .values_list(
            "pk",
            "couple_id",
            "couple__admitted_on",
            "last_checkin",
            "couple__time_zone",
            f"{PREFERENCE}time_zone",
        )
    )
    gaps = []
    for partner_id, couple_id, admitted_on, last_checkin, couple_zone, own_zone in rows:
        zone = zone_named(own_zone, couple_zone)
        today = now.astimezone(zone).date()
        first = first_missed_day(last_checkin=last_checkin, admitted_on=admitted_on)
        if first is None or (today - first).days < NO_CHECKIN_ALERT_DAYS:
            continue
        gaps.append((partner_id, couple_id, first, zone))
    if not gaps:
        return
    # couple id -> (clinician's user, the partner their role is for, or None for both)
    team: dict[int, set[tuple[int, int | None]]] = defaultdict(set)
    for couple_id, user_id, covers in CareAssignment.objects.filter(
        couple_id__in={couple_id for _, couple_id, _, _ in gaps},
        ended_at__isnull=True,
        clinician__user__is_active=True,
    ).values_list("couple_id", "clinician__user_id", "partner_id"):
        team[couple_id].add((user_id, covers))
    for partner_id, couple_id, first, zone in gaps:
        recipients = {
            user_id for user_id, covers in team[couple_id] if covers in (None, partner_id)
        }
        for user_id in sorted(recipients):
            yield Draft(
                kind=CHECKINS_MISSED,
                recipient_id=user_id,
                object_ref=partner_ref(partner_id),
                slot=local_moment(first, datetime.time(), zone),
                # The moment the second missed day ended.
                due_at=local_moment(
                    first + datetime.timedelta(days=NO_CHECKIN_ALERT_DAYS), datetime.time(), zone
                ),
            )


def checkins_missed_check(notification: Notification, recipient: Recipient) -> str:
    """Three queries: the partner, the recipient on the care team, a check-in since."""
    partner = _partner(notification)
    if partner is None or partner.couple.status not in Couple.IN_TREATMENT:
        return "The couple is not in treatment"
    if not care_coverage_for(user=recipient.user, couple_id=partner.couple_id).covers(partner.pk):
        return "No longer caring for this partner"
    first = notification.slot.astimezone(_partner_zone(partner)).date()
    # A check-in made for one of the missed days (they may be filled in later) counts too.
    if CheckIn.objects.filter(partner=partner, day__gte=first).exists():
        return "The partner has checked in since"
    return ""


def checkins_missed_message(notification: Notification, recipient: Recipient) -> Message:
    """The email names no patient; the in-app notice, behind the sign-in, says who (two
    partners silent at once used to leave two identical notices)."""
    partner = _partner(notification)
    zone = _partner_zone(partner)
    first = notification.slot.astimezone(zone).date()
    days = (timezone.now().astimezone(zone).date() - first).days
    return Message(
        subject="A partner has missed check-ins",
        lines=[f"A partner on your caseload has not checked in for {days} days."],
        in_app_subject=f"{partner.display_name} has not checked in for {days} days",
        link=reverse("pages:couple_detail", args=[partner.couple_id]),
        action="Open the couple's page",
    )


kind_register(
    Kind(
        name=CHECKINS_MISSED,
        label="Check-ins missed (care team)",
        message=checkins_missed_message,
        check=checkins_missed_check,
        plan=checkins_missed_plan,
        # An alert about a partner stays worth sending for days; its check withdraws it once
        # the partner checks in again.
        lifetime=datetime.timedelta(days=3),
        expires_note="it was three days old",
    )
)
