"""Progress charts drawn on the server: geometry and words here, templates only draw.

A chart is one partner's entries on one goal over a window of days, one bar a day,
sized in an SVG viewBox (the page scales it to the screen). Every chart carries a
sentence that says the same thing in words, for screen readers and the text view.
"""

import datetime
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from goals.models import Goal
from goals.queries import ProgressPoint
from goals.words import day_label, out_of_ten, times

WIDTH = 300
HEIGHT = 60
# Bars of days logged as "no" (0) still show, as a short stub, so "not today" differs from
# "nothing logged".
ZERO_HEIGHT = 3
MIN_HEIGHT = 4
# One colour per person on a shared goal (me first); both pass 4.5:1 on white.
COLOURS = ("#0a58ca", "#6f42c1")
ZERO_COLOUR = "#6c757d"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Chart:
    label: str  # what the chart says, in words: the SVG's accessible name
    bars: list[Bar]
    target_y: float | None  # a rating goal's target, drawn as a line
    first_day: datetime.date
    last_day: datetime.date
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def bars_svg(self) -> SafeString:
        """The bars as SVG, drawn here rather than by a template loop (five variables a bar,
        thirty bars a chart). Numbers and the fixed colours only: nothing to escape."""
        return mark_safe(
            "".join(
                f'<rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}"'
                f' fill="{bar.fill}"/>'
                for bar in self.bars
            )
        )


@dataclass(frozen=True)
class ProgressLine:
    """One person's progress on a goal: the chart and its text equivalent."""

    name: str
    chart: Chart
    summary: str


def window(*, today: datetime.date, days: int) -> list[datetime.date]:
    """The last `days` days, oldest first, ending today."""
    return [today - datetime.timedelta(days=back) for back in range(days - 1, -1, -1)]


def progress_chart(
    *, goal: Goal, entries: list[ProgressPoint], days: list[datetime.date], colour: str, label: str
) -> Chart:
    by_day = {entry.day: entry.value for entry in entries}
    top = _scale_top(goal, by_day.values())
    step = WIDTH / len(days)
    bar_width = max(step * 0.8, 1)
    bars = []
    for index, day in enumerate(days):
        value = by_day.get(day)
        if value is None:
            continue
        if value == 0:
            height, fill = ZERO_HEIGHT, ZERO_COLOUR
        else:
            height, fill = max(HEIGHT * value / top, MIN_HEIGHT), colour
        bars.append(
            Bar(
                x=round(index * step + (step - bar_width) / 2, 2),
                y=round(HEIGHT - height, 2),
                width=round(bar_width, 2),
                height=round(height, 2),
                fill=fill,
            )
        )
    target_y = None
    if goal.measure == Goal.Measure.RATING and goal.target:
        target_y = round(HEIGHT - HEIGHT * goal.target / top, 2)
    return Chart(label=label, bars=bars, target_y=target_y, first_day=days[0], last_day=days[-1])


def progress_line(
    *, goal: Goal, entries: list[ProgressPoint], days: list[datetime.date], index: int, name: str
) -> ProgressLine:
    summary = progress_summary(goal=goal, entries=entries, days=days)
    label = f"{name}, last {len(days)} days: {summary}"
    colour = COLOURS[index % len(COLOURS)]
    chart = progress_chart(goal=goal, entries=entries, days=days, colour=colour, label=label)
    return ProgressLine(name=name, chart=chart, summary=summary)


def progress_summary(*, goal: Goal, entries: list[ProgressPoint], days: list[datetime.date]) -> str:
    """What the chart shows, in one sentence."""
    in_window = [entry for entry in entries if days[0] <= entry.day <= days[-1]]
    last_week = [entry for entry in in_window if (days[-1] - entry.day).days < 7]
    span = f"the last {len(days)} days"
    if goal.measure == Goal.Measure.MILESTONE:
        reached = [entry.day for entry in in_window if entry.value]
        return f"Reached on {day_label(reached[0])}." if reached else "Not reached yet."
    if not in_window:
        return f"Nothing logged in {span}."
    if goal.measure == Goal.Measure.YES_NO:
        done = sum(1 for entry in in_window if entry.value)
        week = sum(1 for entry in last_week if entry.value)
        return (
            f"Done on {done} of {span}; {week} in the last 7 days "
            f"(target {goal.target} days a week)."
        )
    if goal.measure == Goal.Measure.COUNT:
        total = sum(entry.value for entry in in_window)
        week = sum(entry.value for entry in last_week)
        return (
            f"{times(week)} in the last 7 days (target {goal.target} a week); "
            f"{times(total)} in {span}."
        )
    latest = max(in_window, key=lambda entry: entry.day)
    average = sum(entry.value for entry in in_window) / len(in_window)
    return (
        f"Latest rating {out_of_ten(latest.value)} on {day_label(latest.day)}; "
        f"average {average:.1f} over {len(in_window)} ratings (target {goal.target})."
    )


def _scale_top(goal: Goal, values) -> int:
    """The value a full-height bar stands for."""
    if goal.measure == Goal.Measure.RATING:
        return 10
    if goal.measure == Goal.Measure.COUNT:
        # Daily counts: the busiest day in the window fills the chart.
        return max([*values, 1])
    return 1
