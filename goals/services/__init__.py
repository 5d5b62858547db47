"""Every write to goals, progress and check-ins: `from goals import services`, then
`services.goal_create(...)`. Each change is audited in the same transaction.

By subject: `lifecycle` (a goal's terms and status), `progress` (a day logged, a milestone
reached, which may achieve its goal), `checkins` (the daily check-in), `days` (which days
may still be written).
"""

from goals.services.checkins import checkin_record
from goals.services.lifecycle import (
    AGREED_TERMS,
    TRANSITIONS,
    goal_accept,
    goal_create,
    goal_request_change,
    goal_transition,
    goal_update,
    goal_withdraw,
)
from goals.services.progress import milestone_reached, progress_log

__all__ = [
    "AGREED_TERMS",
    "TRANSITIONS",
    "checkin_record",
    "goal_accept",
    "goal_create",
    "goal_request_change",
    "goal_transition",
    "goal_update",
    "goal_withdraw",
    "milestone_reached",
    "progress_log",
]
