"""Who receives a message: their preferences, their time zone and their quiet hours."""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from common.zones import zone_named
from couples.models import NotificationPreference, Partner, User

# A couple's zone or a partner's chosen name the caller did not read (a partner's are read
# here); None or "" when it read them and there are none (a clinician's).
UNREAD = object()


@dataclass
class Recipient:
    user: User
    preference: NotificationPreference
    zone: ZoneInfo
    # The name a partner chose in their welcome ("discreet display name"), empty if none.
    preferred_name: str = ""

    @property
    def first_name(self) -> str:
        """How an email greets them: the name they chose, else their first name."""
        return self.preferred_name or self.user.first_name or "there"

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(self.zone)


def preference_for(user: User) -> NotificationPreference:
    """The person's preferences, or the defaults (unsaved) when they never changed them."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def zone_for(
    user: User, preference: NotificationPreference, *, couple_zone: str | None | object = UNREAD
) -> ZoneInfo:
    """Their own zone, else their couple's (read here unless the caller read it with the
    user: None then means they have no couple), else the clinic's."""
    if not preference.time_zone and couple_zone is UNREAD:
        couple_zone = (
            Partner.objects.filter(user=user).values_list("couple__time_zone", flat=True).first()
        )
    return zone_named(preference.time_zone, None if couple_zone is UNREAD else couple_zone)


def recipient_for(
    user: User,
    *,
    couple_zone: str | None | object = UNREAD,
    preferred_name: str | None | object = UNREAD,
) -> Recipient:
    """Who a message goes to. The outbox reads the couple's zone and the chosen name with its
    rows; anyone else calling gets them read here (one query each, partners only)."""
    preference = preference_for(user)
    if preferred_name is UNREAD:
        preferred_name = (
            Partner.objects.filter(user=user).values_list("preferred_name", flat=True).first()
        )
    return Recipient(
        user=user,
        preference=preference,
        zone=zone_for(user, preference, couple_zone=couple_zone),
        preferred_name=preferred_name or "",
    )


def is_quiet_at(
    *, start: datetime.time | None, end: datetime.time | None, clock: datetime.time
) -> bool:
    """Whether a wall-clock time falls in quiet hours [start, end), which may span midnight."""
    if start is None or end is None or start == end:
        return False
    return start <= clock < end if start < end else (clock >= start or clock < end)


def quiet_until(recipient: Recipient, now: datetime.datetime) -> datetime.datetime | None:
    """When the recipient's quiet hours end, if `now` falls inside them."""
    start, end = recipient.preference.quiet_hours_start, recipient.preference.quiet_hours_end
    local = now.astimezone(recipient.zone)
    clock = local.time().replace(tzinfo=None)
    if not is_quiet_at(start=start, end=end, clock=clock):
        return None
    day = local.date() if clock < end else local.date() + datetime.timedelta(days=1)
    return local_moment(day, end, recipient.zone)


def local_moment(day: datetime.date, clock: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """A wall-clock time on a local day, in UTC (a time that a DST change skips moves later)."""
    moment = datetime.datetime.combine(day, clock, tzinfo=zone)
    # Round-trip through UTC: a non-existent local time comes back as the real one after it.
    return moment.astimezone(datetime.UTC)


def next_midnight(day: datetime.date, zone: ZoneInfo) -> datetime.datetime:
    """The end of a local day, in UTC: after it a prompt for that day means nothing."""
    return local_moment(day + datetime.timedelta(days=1), datetime.time(), zone)
