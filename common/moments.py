"""Moments as people in the United States read them.

"Monday, December 7 at 6:00 PM ET" rather than "Monday 7 December at 18:00
(America/New_York)": a 12-hour clock, the month before the day, and the zone as people say
it (ET, CT, MT, PT, AKT, HT). Outside the United States a zone is named by its own short
name (GMT, BST, CET) and its city ("London"), which is how its residents know it.

Every function takes the zone to read the moment in; a moment is always aware (USE_TZ), and
the calendar day it falls on depends on that zone.
"""

import datetime
import re

from django.utils import timezone

from common.zones import zone_named

# The zones of the United States (IANA's zone.tab for US, with their old aliases): their
# short names map to the generic ones below. Elsewhere "CST" may be China's.
US_ZONE_KEYS = frozenset(
    {
        "America/New_York",
        "America/Detroit",
        "America/Kentucky/Louisville",
        "America/Kentucky/Monticello",
        "America/Louisville",
        "America/Indiana/Indianapolis",
        "America/Indiana/Vincennes",
        "America/Indiana/Winamac",
        "America/Indiana/Marengo",
        "America/Indiana/Petersburg",
        "America/Indiana/Vevay",
        "America/Indianapolis",
        "America/Fort_Wayne",
        "America/Chicago",
        "America/Indiana/Tell_City",
        "America/Indiana/Knox",
        "America/Knox_IN",
        "America/Menominee",
        "America/North_Dakota/Center",
        "America/North_Dakota/New_Salem",
        "America/North_Dakota/Beulah",
        "America/Denver",
        "America/Boise",
        "America/Phoenix",
        "America/Los_Angeles",
        "America/Anchorage",
        "America/Juneau",
        "America/Sitka",
        "America/Metlakatla",
        "America/Yakutat",
        "America/Nome",
        "America/Adak",
        "Pacific/Honolulu",
        "Navajo",
    }
)
# Standard and daylight names alike: "ET" is right all year, so nobody has to know which.
US_ABBREVIATIONS = {
    "EST": "ET",
    "EDT": "ET",
    "CST": "CT",
    "CDT": "CT",
    "MST": "MT",
    "MDT": "MT",
    "PST": "PT",
    "PDT": "PT",
    "AKST": "AKT",
    "AKDT": "AKT",
    "HST": "HT",
    "HDT": "HT",
}
# The zones most US patients live in, by the names they know them by.
ZONE_NAMES = {
    "America/New_York": "Eastern Time",
    "America/Chicago": "Central Time",
    "America/Denver": "Mountain Time",
    "America/Phoenix": "Mountain Time – Arizona",
    "America/Los_Angeles": "Pacific Time",
    "America/Anchorage": "Alaska Time",
    "Pacific/Honolulu": "Hawaii Time",
}
# tzdata names many zones only by their offset ("+03", "-0330").
OFFSET_NAME = re.compile(r"^([+-])(\d\d)(\d\d)?$")
SOON = datetime.timedelta(hours=3)


def zone_of(zone: datetime.tzinfo | str | None) -> datetime.tzinfo:
    """A zone from a zone or its name (an unknown name reads as the clinic's); none means the
    current one: a template's {% timezone %}, else settings.TIME_ZONE."""
    if zone is None or zone == "":
        return timezone.get_current_timezone()
    if isinstance(zone, str):
        return zone_named(zone)
    return zone


def _key(zone: datetime.tzinfo) -> str:
    return getattr(zone, "key", "") or str(zone)


def zone_abbreviation(moment_or_zone: datetime.datetime | datetime.tzinfo | str | None) -> str:
    """The zone's short name: "ET" for a moment in New York (or for the zone itself), "MT"
    in Phoenix, "HT" in Honolulu; elsewhere its own at that moment ("GMT" or "BST" in
    London), and "UTC+3" for a zone tzdata names only by its offset."""
    if isinstance(moment_or_zone, datetime.datetime) and moment_or_zone.tzinfo is not None:
        moment = moment_or_zone
    else:
        moment = timezone.now().astimezone(zone_of(moment_or_zone))
    name = moment.tzname() or ""
    if _key(moment.tzinfo) in US_ZONE_KEYS and name in US_ABBREVIATIONS:
        return US_ABBREVIATIONS[name]
    offset = OFFSET_NAME.match(name)
    if offset:
        sign, hours, minutes = offset.groups()
        return f"UTC{sign}{int(hours)}" + (f":{minutes}" if minutes and minutes != "00" else "")
    return name


def zone_city(name: str) -> str:
    """The place a zone is named after: "Buenos Aires, Argentina" for
    America/Argentina/Buenos_Aires, "London" for Europe/London."""
    parts = name.replace("_", " ").split("/")
    if len(parts) == 1:
        return parts[0]
    return ", ".join([parts[-1], *reversed(parts[1:-1])])


def zone_label(zone: datetime.tzinfo | str | None) -> str:
    """How a zone is named to people: "Eastern Time (ET)" for the zones most US patients
    live in, "Detroit (ET)" for the other US ones, the city elsewhere ("London")."""
    key = zone if zone and isinstance(zone, str) else _key(zone_of(zone))
    if key in ZONE_NAMES:
        return f"{ZONE_NAMES[key]} ({zone_abbreviation(key)})"
    if key in US_ZONE_KEYS:
        return f"{zone_city(key)} ({zone_abbreviation(key)})"
    return zone_city(key)


def clock_text(value: datetime.time | datetime.datetime) -> str:
    """A wall-clock time on the 12-hour clock ("6:00 PM", "12:30 AM"), whatever the
    machine's locale says."""
    hour = value.hour % 12 or 12
    return f"{hour}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def _today(now: datetime.datetime | None, zone: datetime.tzinfo) -> datetime.date:
    return timezone.localtime(now or timezone.now(), zone).date()


def moment_text(
    moment: datetime.datetime,
    zone: datetime.tzinfo | str | None = None,
    *,
    now: datetime.datetime | None = None,
) -> str:
    """A moment in full: "Monday, December 7 at 6:00 PM ET", or "Monday, January 4, 2027 at
    6:00 PM ET" when it falls in another year than today (both in `zone`)."""
    zone = zone_of(zone)
    local = moment.astimezone(zone)
    year = f", {local.year}" if local.year != _today(now, zone).year else ""
    return (
        f"{local:%A}, {local:%B} {local.day}{year} at {clock_text(local)} "
        f"{zone_abbreviation(local)}"
    )


def relative_text(
    moment: datetime.datetime,
    now: datetime.datetime | None = None,
    zone: datetime.tzinfo | str | None = None,
) -> str:
    """A moment from where `now` stands, the days counted in `zone`.

    1. Within the hour: "in 5 min", "5 min ago" ("now" within the minute).
    2. Within three hours: "in 2 hours", "2 hours ago" (rounded to the nearest hour).
    3. Later or earlier the same day, the day after or before: "today at 6:00 PM",
       "tomorrow at 6:00 PM", "yesterday at 9:15 AM".
    4. Within a week either way: "Friday at 6:00 PM".
    5. Further: "Dec 15 at 6:00 PM", with the year when it is not this one.

    Minutes and hours are real elapsed time, so across a daylight saving change
    "in 1 hour" may be 1:30 AM to 3:30 AM on the clock.
    """
    zone = zone_of(zone)
    now = now or timezone.now()
    # In UTC: Python subtracts two moments of one zone by their wall clocks, an hour off
    # across a daylight saving change.
    seconds = (moment.astimezone(datetime.UTC) - now.astimezone(datetime.UTC)).total_seconds()
    ahead = seconds >= 0
    minutes = int(-(-abs(seconds) // 60)) if ahead else int(abs(seconds) // 60)
    if minutes == 0:
        return "now"
    if minutes < 60:
        return f"in {minutes} min" if ahead else f"{minutes} min ago"
    if abs(seconds) < SOON.total_seconds():
        hours = int(abs(seconds) / 3600 + 0.5)
        amount = "1 hour" if hours == 1 else f"{hours} hours"
        return f"in {amount}" if ahead else f"{amount} ago"
    local = moment.astimezone(zone)
    today = _today(now, zone)
    days = (local.date() - today).days
    clock = clock_text(local)
    if days == 0:
        return f"today at {clock}"
    if days == 1:
        return f"tomorrow at {clock}"
    if days == -1:
        return f"yesterday at {clock}"
    if -7 < days < 7:
        return f"{local:%A} at {clock}"
    year = f", {local.year}" if local.year != today.year else ""
    return f"{local:%b} {local.day}{year} at {clock}"
