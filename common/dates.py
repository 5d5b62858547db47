"""The ranges a typed date may fall in, and the plain-words refusal when it does not.

A date typed as 1900 or 2200 is a slip of the keyboard, not a plan: it would stretch a
chart over centuries, schedule reminders nobody lives to see, or hide a record from every
"this week". Each kind of date has a window around a day that makes sense for it (today,
or the date it follows); services refuse anything outside with a message the form shows.
The database holds the main dates to a fixed span as the backstop (EARLIEST, LATEST),
since a constraint cannot know what today is.
"""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q

# The span every main date of a record is held to by a database constraint.
EARLIEST = datetime.date(2000, 1, 1)
LATEST = datetime.date(2100, 12, 31)
# Constraints that compare two dates count whole days: a year is at most this many.
DAYS_IN_A_YEAR_AT_MOST = 366


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (or earlier, if negative); 29 February becomes the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class Window:
    """How far before and after a reference day (today, or the date this one follows) a
    date may fall."""

    years_back: int = 0
    days_back: int = 0
    years_ahead: int = 0
    days_ahead: int = 0

    def around(self, day: datetime.date) -> tuple[datetime.date, datetime.date]:
        earliest = years_after(day, -self.years_back) - datetime.timedelta(days=self.days_back)
        latest = years_after(day, self.years_ahead) + datetime.timedelta(days=self.days_ahead)
        return earliest, latest


# Around today (in the zone of the people concerned):
GOAL_START = Window(years_back=1, years_ahead=1)
ADMISSION = Window(years_back=3, days_ahead=90)
SOBRIETY = Window(years_back=80)  # and never in the future
BIRTH = Window(years_back=110)  # and never in the future
SESSION_START = Window(years_back=1, years_ahead=2)
COVERAGE_START = Window(years_back=20, years_ahead=1)
# After the date they follow:
GOAL_DUE = Window(years_ahead=3)  # from the goal's start
SERIES_LENGTH = Window(years_ahead=1)  # from the series' first day
COVERAGE_LENGTH = Window(years_ahead=20)  # the plan's end and its next check, from its start
AUTHORIZATION_LENGTH = Window(years_ahead=2)  # from the authorization's first day


def long_date(day: datetime.date) -> str:
    """December 7, 2025: the month spelled out, in the order US readers write it."""
    return f"{day:%B} {day.day}, {day.year}"


def medium_date(day: datetime.date) -> str:
    """Dec 7, 2025: the month shortened, where a list or a label is tight."""
    return f"{day:%b} {day.day}, {day.year}"


def date_within(
    value: datetime.date | None,
    *,
    earliest: datetime.date,
    latest: datetime.date,
    field: str,
    label: str,
) -> None:
    """Refuse a date outside [earliest, latest], on `field`, naming the range in plain words
    ("Choose a start date between December 7, 2025 and December 7, 2027."). None passes:
    whether a date is required is the form's and the model's business."""
    if value is not None and not earliest <= value <= latest:
        raise ValidationError(
            {field: f"Choose {label} between {long_date(earliest)} and {long_date(latest)}."}
        )


def in_span(field: str, *, nullable: bool = False, moment: bool = False) -> Q:
    """A constraint's condition: `field` within EARLIEST–LATEST (empty allowed if nullable).
    `moment` for a DateTimeField, compared from the first instant of EARLIEST (UTC) up to,
    not including, the first instant after LATEST."""
    if moment:
        low = datetime.datetime.combine(EARLIEST, datetime.time(), tzinfo=datetime.UTC)
        high = datetime.datetime.combine(
            LATEST + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC
        )
        condition = Q(**{f"{field}__gte": low, f"{field}__lt": high})
    else:
        condition = Q(**{f"{field}__gte": EARLIEST, f"{field}__lte": LATEST})
    return Q(**{f"{field}__isnull": True}) | condition if nullable else condition


# The constraints' messages (their migrations hold the words). Only a date that already got
# past the narrower windows above ever shows it.
SPAN_WORDS = f"between {long_date(EARLIEST)} and {long_date(LATEST)}"
