"""Time zones by name, forgiving of names this machine does not know."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings


def zone_named(*names: str | None) -> ZoneInfo:
    """The first of these zones this machine knows, else the clinic's: an unknown stored
    name must not stop a message or a page."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(settings.TIME_ZONE)
