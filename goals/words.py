"""The words for goals and check-ins that partners and clinicians both read: one vocabulary,
so the portal and the clinic pages say the same thing the same way ("Done", "7 of 10")."""

import datetime

from goals.models import Goal


def value_label(measure: str, value: int | None) -> str:
    """One logged value in words; "—" for a day nothing was logged."""
    if value is None:
        return "—"
    if measure == Goal.Measure.YES_NO:
        return "Done" if value else "Not done"
    if measure == Goal.Measure.MILESTONE:
        return "Reached" if value else "Not yet"
    if measure == Goal.Measure.COUNT:
        return times(value)
    return out_of_ten(value)


def target_label(goal: Goal) -> str:
    if goal.measure == Goal.Measure.YES_NO:
        return f"{goal.target} days a week"
    if goal.measure == Goal.Measure.COUNT:
        return f"{goal.target} times a week"
    if goal.measure == Goal.Measure.RATING:
        return f"a rating of {goal.target} out of 10"
    return "reach it once"


def out_of_ten(value: int) -> str:
    """A rating or a craving: "7 of 10"."""
    return f"{value} of 10"


def times(count: int) -> str:
    return f"{count} time{'' if count == 1 else 's'}"


def day_label(day: datetime.date) -> str:
    return f"{day:%b} {day.day}"
