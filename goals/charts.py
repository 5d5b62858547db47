"""Progress charts drawn on the server: geometry and words here, templates only draw.

A chart is one partner's entries on one goal over a window of days, one bar a day, sized in
an SVG viewBox the page stretches to its width (templates/components/_chart.html). Its axes
are labelled in HTML beside it, so the words keep their size however wide the chart is: the
value axis with its unit ("Times a day", "Rating, of 10") and its top and bottom values, the
day axis with the first and last days ("Nov 8", "Dec 7"). A legend names what the bars and
lines are when there is more than one kind (done and not done, a target), and every chart
carries the same in words: a sentence (its accessible name) and a table of the days logged.
"""

import datetime
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from goals import words
from goals.models import Goal
from goals.queries import ProgressPoint

WIDTH = 300
HEIGHT = 60
# Bars of days logged as "no" (0) still show, as a short stub, so "not today" differs from
# "nothing logged".
ZERO_HEIGHT = 3
MIN_HEIGHT = 4
# One colour per person on a shared goal (me first: the app's primary teal); both pass 4.5:1
# on white.
COLOURS = ("#0e6b64", "#6f42c1")
ZERO_COLOUR = "#6c757d"
TARGET_COLOUR = "#198754"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class LegendItem:
    label: str
    swatch: SafeString  # a small drawing of the mark, hidden from screen readers


@dataclass(frozen=True)
class Chart:
    label: str  # what the chart says, in words: the SVG's accessible name
    bars: list[Bar]
    target_y: float | None  # a rating goal's target, drawn as a line
    first_day: datetime.date
    last_day: datetime.date
    unit: str  # what the value axis counts: "Times a day"
    y_top: str  # the value at the top of the chart ("3", "Done")
    y_bottom: str  # and at its base ("0"; "" where a legend names the stubs)
    legend: list[LegendItem]  # empty when there is only one kind of mark
    rows: list[tuple[datetime.date, str]]  # the days logged, newest first, in words
    is_drawn: bool = True  # a milestone is one mark: its sentence says it better
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
    by_day = {entry.day: entry.value for entry in entries if days[0] <= entry.day <= days[-1]}
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
    y_top, y_bottom = _ticks(goal, top)
    return Chart(
        label=label,
        bars=bars,
        target_y=target_y,
        first_day=days[0],
        last_day=days[-1],
        unit=words.AXIS_UNITS[goal.measure],
        y_top=y_top,
        y_bottom=y_bottom,
        legend=_legend(goal, colour=colour, has_zero=0 in by_day.values()),
        rows=[
            (day, words.value_label(goal.measure, by_day[day]))
            for day in reversed(days)
            if day in by_day
        ],
        is_drawn=goal.measure != Goal.Measure.MILESTONE,
    )


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
        # Whenever it was marked: goals.queries reads a milestone's marks whatever their day.
        reached = sorted(entry.day for entry in entries if entry.value)
        return f"Reached on {words.day_label(reached[0])}." if reached else "Not reached yet."
    if not in_window:
        return f"Nothing logged in {span}."
    if goal.measure == Goal.Measure.YES_NO:
        done = sum(1 for entry in in_window if entry.value)
        week = sum(1 for entry in last_week if entry.value)
        return (
            f"Done on {done} of {span}; {week} in the last 7 days "
            f"(target {words.target_label(goal)})."
        )
    if goal.measure == Goal.Measure.COUNT:
        total = sum(entry.value for entry in in_window)
        week = sum(entry.value for entry in last_week)
        return (
            f"{words.times(week)} in the last 7 days (target {words.target_label(goal)}); "
            f"{words.times(total)} in {span}."
        )
    latest = max(in_window, key=lambda entry: entry.day)
    average = sum(entry.value for entry in in_window) / len(in_window)
    return (
        f"Latest rating {words.out_of_ten(latest.value)} on {words.day_label(latest.day)}; "
        f"average {average:.1f} over {len(in_window)} ratings "
        f"(target {words.out_of_ten(goal.target)})."
    )


def swatch(colour: str, *, line: bool = False) -> SafeString:
    """A legend's key: a filled square for bars, a dashed stroke for a line."""
    if line:
        mark = format_html(
            '<line x1="0" y1="7" x2="14" y2="7" stroke="{}" stroke-width="2"'
            ' stroke-dasharray="4 2"/>',
            colour,
        )
    else:
        mark = format_html('<rect x="1" y="1" width="12" height="12" fill="{}"/>', colour)
    return format_html(
        '<svg class="align-baseline" width="14" height="14" viewBox="0 0 14 14"'
        ' aria-hidden="true" focusable="false">{}</svg>',
        mark,
    )


def _legend(goal: Goal, *, colour: str, has_zero: bool) -> list[LegendItem]:
    """The marks named when there is more than one kind: done and not done on a yes-or-no
    goal, a count's zero days, a rating's target."""
    if goal.measure == Goal.Measure.YES_NO:
        return [
            LegendItem(words.DONE, swatch(colour)),
            LegendItem(words.NOT_DONE, swatch(ZERO_COLOUR)),
        ]
    if goal.measure == Goal.Measure.COUNT and has_zero:
        return [
            LegendItem("Times that day", swatch(colour)),
            LegendItem(words.times(0), swatch(ZERO_COLOUR)),
        ]
    if goal.measure == Goal.Measure.RATING and goal.target:
        return [
            LegendItem("Rating that day", swatch(colour)),
            LegendItem(
                f"Target: {words.out_of_ten(goal.target)}", swatch(TARGET_COLOUR, line=True)
            ),
        ]
    return []


def _ticks(goal: Goal, top: int) -> tuple[str, str]:
    """The value axis's top and bottom labels."""
    if goal.measure == Goal.Measure.YES_NO:
        return words.DONE, ""  # the stubs at the base are named by the legend
    return str(top), "0"


def _scale_top(goal: Goal, values) -> int:
    """The value a full-height bar stands for."""
    if goal.measure == Goal.Measure.RATING:
        return 10
    if goal.measure == Goal.Measure.COUNT:
        # Daily counts: the busiest day in the window fills the chart.
        return max([*values, 1])
    return 1
