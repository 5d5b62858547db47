"""The words for goals and check-ins that partners and clinicians both read: one vocabulary,
so the portal and the clinic pages say the same thing the same way.

- A check-in answers questions ("Did you stay sober today?"): "Yes" or "No".
- A goal's progress says what was done: "Done" / "Not done" on a yes-or-no goal, "Reached" /
  "Not yet" on a milestone, "3 times" on a count.
- A rating or a craving is "7 of 10"; a mood is its name ("Good").
- A day is "Dec 7".

This module imports no model: goals.models takes its words from here (CheckIn.answers), so
it names the measures by their stored values (Goal.Measure; tests/goals/test_words.py checks
that every measure has its words).
"""

import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goals.models import Goal

YES, NO = "Yes", "No"
DONE, NOT_DONE = "Done", "Not done"
REACHED, NOT_YET = "Reached", "Not yet"
NOTHING = "—"  # a day nothing was logged

# The check-in's questions as short headings, in the order both sides show them.
SOBER_TODAY = "Sober today"
CRAVING = "Craving"
MOOD = "Mood"
TRUST_DISCUSSION = "Trust discussion"
SUPPORT_MEETING = "Support meeting"
CHECKIN_QUESTIONS = (SOBER_TODAY, CRAVING, MOOD, TRUST_DISCUSSION, SUPPORT_MEETING)

# What a logged 1 and 0 say, for the measures that log one or the other.
TWO_WAY = {"yes_no": (NOT_DONE, DONE), "milestone": (NOT_YET, REACHED)}
# What the value axis of a chart counts, per measure.
AXIS_UNITS = {
    "yes_no": "Done each day",
    "count": "Times a day",
    "rating": "Rating, of 10",
    "milestone": "Reached",
}


def answer(value: bool) -> str:
    """A check-in's yes-or-no question answered."""
    return YES if value else NO


def value_label(measure: str, value: int | None) -> str:
    """One logged value in words; "—" for a day nothing was logged."""
    if value is None:
        return NOTHING
    if measure in TWO_WAY:
        return TWO_WAY[measure][1 if value else 0]
    if measure == "count":
        return times(value)
    return out_of_ten(value)


def target_label(goal: "Goal") -> str:
    if goal.measure == "yes_no":
        return f"{goal.target} days a week"
    if goal.measure == "count":
        return f"{goal.target} times a week"
    if goal.measure == "rating":
        return f"a rating of {out_of_ten(goal.target)}"
    return "reach it once"


def out_of_ten(value: int) -> str:
    """A rating or a craving: "7 of 10"."""
    return f"{value} of 10"


def times(count: int) -> str:
    return f"{count} time{'' if count == 1 else 's'}"


def days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def day_label(day: datetime.date) -> str:
    """A day as the date filter's "M j" writes it: "Dec 7"."""
    return f"{day:%b} {day.day}"
