"""The clinician's morning digest: how many couples need attention and today's sessions.

Like the caseload page (pages/views.py) it composes the triage and sessions apps, so it lives
with the pages, not in the couples core; the core's autodiscovery registers it after the
apps' own kinds (pages is the last app).
Counts only: the names are on the caseload page, behind the sign-in.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from common.zones import zone_named
from couples.models import Clinician, Notification, NotificationPreference, User
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    local_moment,
    object_ref_of,
)
from sessions.models import TherapySession
from sessions.queries import day_bounds
from triage.queries import couples_with_open_items_count

CLINICIAN_DIGEST = "clinician_digest"
DEFAULT_DIGEST_TIME = NotificationPreference._meta.get_field("digest_time").default
# A digest not planned within this time of its moment (the beat was down) is skipped:
# a morning summary in the afternoon is no longer one.
DIGEST_LATEST = datetime.timedelta(hours=4)
PREFERENCE = "user__notification_preference__"


def digests_plan(now: datetime.datetime) -> Iterator[Draft]:
    """Every active clinician with the digest on whose digest time has come today (their
    day), within DIGEST_LATEST. One query; what it says is read when it is sent."""
    rows = (
        Clinician.objects.filter(user__is_active=True)
        .filter(Q(**{f"{PREFERENCE}isnull": True}) | Q(**{f"{PREFERENCE}morning_digest": True}))
        .order_by()
        .values_list("user_id", f"{PREFERENCE}time_zone", f"{PREFERENCE}digest_time")
    )
    for user_id, zone_name, digest_time in rows:
        zone = zone_named(zone_name)  # their own zone, else the clinic's (no couple)
        moment = local_moment(now.astimezone(zone).date(), digest_time or DEFAULT_DIGEST_TIME, zone)
        if moment <= now < moment + DIGEST_LATEST:
            yield Draft(
                kind=CLINICIAN_DIGEST,
                recipient_id=user_id,
                object_ref=object_ref_of(User, user_id),
                slot=moment,
                due_at=moment,
            )


@dataclass(frozen=True)
class DigestSummary:
    couples_needing_attention: int
    sessions_today: int
    first_session_at: datetime.datetime | None

    @property
    def is_empty(self) -> bool:
        return not self.couples_needing_attention and not self.sessions_today


def digest_summary(*, user: User, day: datetime.date, zone: ZoneInfo) -> DigestSummary:
    """Two queries whatever the caseload: the couples with open items in the triage queue
    (as far as the clinician's roles cover them), today's sessions."""
    start, end = day_bounds(day=day, time_zone=zone.key)
    sessions = TherapySession.objects.filter(
        clinician__user=user,
        status=TherapySession.Status.SCHEDULED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).aggregate(count=Count("pk"), first=Min("starts_at"))
    return DigestSummary(
        couples_needing_attention=couples_with_open_items_count(user=user),
        sessions_today=sessions["count"],
        first_session_at=sessions["first"],
    )


def _summary(notification: Notification, recipient: Recipient) -> DigestSummary:
    # check and message run one after the other on the same row: read the counts once.
    if not hasattr(notification, "_digest_summary"):
        day = recipient.local(notification.slot).date()
        notification._digest_summary = digest_summary(
            user=recipient.user, day=day, zone=recipient.zone
        )
    return notification._digest_summary


def digest_check(notification: Notification, recipient: Recipient) -> str:
    if not recipient.preference.morning_digest:
        return "Turned off by the recipient"
    day = recipient.local(notification.slot).date()
    if timezone.now() >= local_moment(
        day + datetime.timedelta(days=1), datetime.time(), recipient.zone
    ):
        return "The day is over"
    if _summary(notification, recipient).is_empty:
        return "Nothing to report"
    return ""


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def digest_text(summary: DigestSummary, *, zone: ZoneInfo) -> str:
    """ "3 couples need attention; 4 sessions today, the first at 09:00"."""
    if summary.couples_needing_attention:
        count = summary.couples_needing_attention
        attention = f"{_plural(count, 'couple needs', 'couples need')} attention"
    else:
        attention = "No couple needs attention"
    if summary.sessions_today:
        first = summary.first_session_at.astimezone(zone)
        sessions = (
            f"{_plural(summary.sessions_today, 'session', 'sessions')} today, "
            f"the first at {first:%H:%M}"
        )
    else:
        sessions = "no sessions today"
    return f"{attention}; {sessions}."


def digest_message(notification: Notification, recipient: Recipient) -> Message:
    summary = _summary(notification, recipient)
    day = recipient.local(notification.slot).date()
    return Message(
        subject=f"Your day, {day:%A} {day.day} {day:%B}",
        lines=[digest_text(summary, zone=recipient.zone)],
        link=reverse("pages:clinic_home"),
        action="Open your caseload",
        more_links=[("Today's sessions", reverse("sessions:clinic_agenda"))]
        if summary.sessions_today
        else [],
    )


kind_register(
    Kind(
        name=CLINICIAN_DIGEST,
        label="Clinician morning digest",
        message=digest_message,
        check=digest_check,
        plan=digests_plan,
        # The morning's digest is stale by the afternoon; tomorrow's replaces it.
        lifetime=datetime.timedelta(hours=8),
        expires_note="the working day was half over",
    )
)
