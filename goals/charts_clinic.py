"""Small server-rendered SVG charts of the partners' progress, for the clinic pages.

Plain markup, no script and no library: the strict CSP allows SVG presentation
attributes (style attributes it would block). The value axis says its unit ("Times a day")
and its top and base values in the portal's words ("Done", "Not done"), the day axis its
first and last days ("Nov 8", "Dec 7"); a legend names the partners of a shared goal and a
rating's target. Every chart sits beside a table with the same values, so it is one
labelled image and the table is its text equivalent.
"""

import datetime
from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from goals import words
from goals.models import Goal

WIDTH, HEIGHT = 420, 160
# Room for the unit above the plot and for "Not done" left of its base.
LEFT, RIGHT, TOP, BOTTOM = 60, 6, 20, 22
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
AXIS_COLOR = "#495057"
# The first partner is drawn filled and solid, the second outlined and dashed, so the
# two are told apart without relying on colour.
STYLES = (
    {"stroke": "#0e6b64", "fill": "#0e6b64", "dash": "none", "marker": "circle"},
    {"stroke": "#a64b00", "fill": "#ffffff", "dash": "4 3", "marker": "square"},
)
# A logged zero ("no" on a yes/no goal) gets a stub, so it differs from a day not logged.
ZERO_STUB = 1.5


@dataclass(frozen=True)
class Series:
    label: str
    values: dict[datetime.date, int]  # day -> value


def progress_chart(
    *,
    title: str,
    measure: str,
    target: int | None,
    start: datetime.date,
    end: datetime.date,
    series: list[Series],
) -> SafeString:
    """Bars per day (a line for ratings), one bar or line per partner, oldest day left."""
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    top = _top_value(measure, series)
    if measure == Goal.Measure.RATING:
        marks = _lines(days, series, top)
        if target:
            marks = _target_line(target, top) + marks
    else:
        marks = _bars(days, series, top)
    axes = _axes(days, top, measure)
    return format_html(
        '<svg class="d-block w-100" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' focusable="false" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        title,
        axes,
        marks,
    )


def target_swatch() -> SafeString:
    """The key of a rating's target line, drawn as the chart draws it."""
    return format_html(
        '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">'
        '<line x1="0" y1="7" x2="14" y2="7" stroke="{}" stroke-width="2"'
        ' stroke-dasharray="2 2"/></svg>',
        AXIS_COLOR,
    )


def legend_swatch(index: int) -> SafeString:
    """The small key shown next to a partner's name under a chart."""
    style = STYLES[index % len(STYLES)]
    return format_html(
        '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" focusable="false">'
        '<rect x="1.5" y="1.5" width="11" height="11" fill="{}" stroke="{}"'
        ' stroke-width="2" stroke-dasharray="{}"/></svg>',
        style["fill"],
        style["stroke"],
        "3 2" if style["dash"] != "none" else "none",
    )


def _top_value(measure: str, series: list[Series]) -> int:
    if measure == Goal.Measure.RATING:
        return 10
    if measure == Goal.Measure.COUNT:
        return max([1, *(v for s in series for v in s.values.values())])
    return 1


def _x(index: int, slot: float) -> float:
    return LEFT + index * slot


def _y(value: float, top: int) -> float:
    return TOP + PLOT_HEIGHT - value / top * PLOT_HEIGHT


def _axes(days: list[datetime.date], top: int, measure: str) -> SafeString:
    """The unit over the value axis, its top and base values, the first and last days."""
    if measure in words.TWO_WAY:
        bottom_label, top_label = words.TWO_WAY[measure]
    else:
        bottom_label, top_label = "0", str(top)
    first, last = days[0], days[-1]
    return format_html(
        '<g fill="{color}" font-size="12" font-family="system-ui, sans-serif">'
        '<line x1="{left}" y1="{top_y}" x2="{left}" y2="{base}" stroke="{color}"/>'
        '<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" stroke="{color}"/>'
        '<text x="0" y="{unit_y}">{unit}</text>'
        '<text x="{label_x}" y="{top_y}" text-anchor="end" dominant-baseline="hanging">{top}</text>'
        '<text x="{label_x}" y="{base}" text-anchor="end">{bottom}</text>'
        '<text x="{left}" y="{date_y}">{first}</text>'
        '<text x="{right}" y="{date_y}" text-anchor="end">{last}</text></g>',
        color=AXIS_COLOR,
        left=LEFT,
        right=WIDTH - RIGHT,
        top_y=TOP,
        base=TOP + PLOT_HEIGHT,
        unit_y=TOP - 7,
        unit=words.AXIS_UNITS[measure],
        label_x=LEFT - 4,
        top=top_label,
        bottom=bottom_label,
        date_y=HEIGHT - 4,
        first=words.day_label(first),
        last=words.day_label(last),
    )


def _bars(days: list[datetime.date], series: list[Series], top: int) -> SafeString:
    slot = PLOT_WIDTH / len(days)
    bar = slot * 0.8 / max(len(series), 1)
    rects = []
    for index, day in enumerate(days):
        for number, one in enumerate(series):
            if day not in one.values:
                continue
            style = STYLES[number % len(STYLES)]
            height = max(one.values[day] / top * PLOT_HEIGHT, ZERO_STUB)
            x = _x(index, slot) + slot * 0.1 + number * bar
            rects.append(
                f'<rect x="{_n(x)}" y="{_n(TOP + PLOT_HEIGHT - height)}" width="{_n(bar)}"'
                f' height="{_n(height)}" fill="{style["fill"]}" stroke="{style["stroke"]}"'
                ' stroke-width="1"/>'
            )
    # Numbers and the fixed styles only: nothing a person typed, so nothing to escape.
    return mark_safe("".join(rects))


def _lines(days: list[datetime.date], series: list[Series], top: int) -> SafeString:
    slot = PLOT_WIDTH / len(days)
    size = max(min(slot / 2.5, 3.0), 1.2)
    parts = []
    for number, one in enumerate(series):
        style = STYLES[number % len(STYLES)]
        points = [
            (_x(index, slot) + slot / 2, _y(one.values[day], top))
            for index, day in enumerate(days)
            if day in one.values
        ]
        if not points:
            continue
        line = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="{style["stroke"]}"'
            f' stroke-width="1.5" stroke-dasharray="{style["dash"]}"/>'
        )
        parts.extend(_marker(style, x, y, size) for x, y in points)
    # Every part is built from numbers and the fixed styles, so joining them keeps them safe.
    return mark_safe("".join(parts))


def _marker(style: dict, x: float, y: float, size: float) -> str:
    """A point's mark: numbers and the fixed styles only, so plain text needs no escaping."""
    if style["marker"] == "circle":
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(size)}" fill="{style["fill"]}"/>'
    return (
        f'<rect x="{_n(x - size)}" y="{_n(y - size)}" width="{_n(size * 2)}"'
        f' height="{_n(size * 2)}" fill="{style["fill"]}" stroke="{style["stroke"]}"/>'
    )


def _target_line(target: int, top: int) -> SafeString:
    y = _n(_y(target, top))
    return format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-dasharray="1 3"/>',
        LEFT,
        y,
        WIDTH - RIGHT,
        y,
        AXIS_COLOR,
    )


def _n(number: float) -> str:
    """Coordinates with two decimals."""
    return f"{number:.2f}"
