"""Scheduling and changing therapy sessions, attendance, and calendar feeds.

The parts: `checks` (who takes part, duration, clashes), `scheduling` (one session or a
series), `changes` (move or cancel), `attendance` (marking it, answering a reminder) and
`calendar_feeds`. Other code imports the names below from this package.
"""

from sessions.services.attendance import attendance_mark, attendance_respond
from sessions.services.calendar_feeds import (
    calendar_feed_create,
    calendar_feed_fetched,
    calendar_feed_revoke,
)
from sessions.services.changes import session_cancel, session_reschedule
from sessions.services.checks import (
    MAX_MINUTES,
    MIN_MINUTES,
    PARTNER_KIND_ROLE,
    conflicts_for,
    participants_for,
)
from sessions.services.scheduling import series_occurrences, series_schedule, session_schedule

__all__ = [
    "MAX_MINUTES",
    "MIN_MINUTES",
    "PARTNER_KIND_ROLE",
    "attendance_mark",
    "attendance_respond",
    "calendar_feed_create",
    "calendar_feed_fetched",
    "calendar_feed_revoke",
    "conflicts_for",
    "participants_for",
    "series_occurrences",
    "series_schedule",
    "session_cancel",
    "session_reschedule",
    "session_schedule",
]
