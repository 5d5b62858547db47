"""When a measure is due: pure date arithmetic over a schedule, no database reads."""

import datetime
from dataclasses import dataclass

# A weekly measure not filled this many days after it fell due is overdue (a fortnightly one
# after twice this; one at intake after a week).
OVERDUE_AFTER_DAYS = 3


def occurrence_on_or_before(
    *, starts_on: datetime.date, interval_days: int | None, day: datetime.date
) -> datetime.date | None:
    """The latest scheduled day at or before `day` (None before the schedule starts)."""
    if day < starts_on:
        return None
    if interval_days is None:
        return starts_on
    return starts_on + datetime.timedelta(
        days=(day - starts_on).days // interval_days * interval_days
    )


def overdue_from(*, due_on: datetime.date, interval_days: int | None) -> datetime.date:
    """The first day on which the occurrence of `due_on` counts as overdue."""
    grace = OVERDUE_AFTER_DAYS * (2 if interval_days == 14 else 1) if interval_days else 7
    return due_on + datetime.timedelta(days=grace)


@dataclass(frozen=True)
class Due:
    """One measure a partner is asked to fill now."""

    instrument: str
    due_on: datetime.date
    overdue: bool
    # The response already started for it, to continue (None: not started).
    started_pk: int | None = None
    answered: int = 0
