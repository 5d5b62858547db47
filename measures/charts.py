"""A partner's trends on the measures, drawn on the server: geometry and words here, the
template only places them.

The chart is one SVG (no script, no library: the strict CSP allows SVG presentation
attributes, not style attributes): the instrument's severity bands as shaded horizontal
strips, one point per completed response over time, and the axes with their labels. Each
chart has a sentence that says the same in words (its accessible name) and sits beside a
table of the same numbers, its text equivalent.
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from common.dates import medium_date
from couples.models import User
from measures.instruments import BAM, CSSRS, SCHEDULED, Band, Instrument
from measures.models import MeasureResponse

WIDTH, HEIGHT = 360, 150
LEFT, RIGHT, TOP, BOTTOM = 30, 10, 8, 22
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
INSET = 6
AXIS_COLOUR = "#495057"
LINE_COLOUR = "#0a58ca"
# One shade per band level (0 none … 4 severe), light enough for the points to read on.
BAND_FILLS = {0: "#e3f1e7", 1: "#fdf5d9", 2: "#fde6cc", 3: "#f9d6d0", 4: "#f2c1c6"}
# What a badge of each band level looks like on the page.
BAND_BADGES = {
    0: "text-bg-success",
    1: "text-bg-warning",
    2: "text-bg-warning",
    3: "text-bg-danger",
    4: "text-bg-danger",
}
# Trends follow the order measures are scheduled in; the safety screen comes last.
TREND_ORDER = (*SCHEDULED, CSSRS)
FLAG_WORDS = {
    "safety": "Safety: needs a same-day follow-up",
    "use": "Use reported",
    "risk": "Risk at or above the cut-off (12)",
    "low_protection": "Protective factors at or below 12",
}


@dataclass(frozen=True)
class Point:
    day: datetime.date
    value: int
    # Entered by a clinician in session (drawn as a hollow square), else by the partner.
    in_session: bool = False


@dataclass(frozen=True)
class Change:
    """The latest score against the baseline (the first completed), in words."""

    words: str
    is_meaningful: bool = False
    is_worse: bool = False


@dataclass(frozen=True)
class TrendRow:
    response: MeasureResponse
    day: datetime.date
    subscales: list[int]
    entered: str
    flags: list[str]


@dataclass(frozen=True)
class Trend:
    """One instrument for one partner: the chart, its words, the latest and the baseline."""

    instrument: Instrument
    chart: SafeString
    label: str
    latest: MeasureResponse
    latest_badge: str
    change: Change
    subscale_names: list[str]
    rows: list[TrendRow]  # newest first: the chart's text equivalent
    legend: list[tuple[str, SafeString]]


def trends_for(*, name: str, responses: list[MeasureResponse], zone) -> list[Trend]:
    """One trend per instrument the partner called `name` completed, from their completed
    responses (oldest first, with who entered each), dated in the couple's zone."""
    trends = []
    for instrument in TREND_ORDER:
        mine = [r for r in responses if r.instrument == instrument.code]
        if mine:
            trends.append(_trend(name, instrument, mine, zone))
    return trends


def _trend(name: str, instrument: Instrument, responses: list[MeasureResponse], zone) -> Trend:
    days = [timezone.localtime(r.completed_at, zone).date() for r in responses]
    points = [
        Point(day=day, value=r.total, in_session=r.entered_by_id is not None)
        for day, r in zip(days, responses, strict=True)
    ]
    label = trend_label(instrument=instrument, name=name, points=points)
    baseline, latest = responses[0], responses[-1]
    names = list(latest.subscales) if instrument.code == BAM.code else []
    rows = [
        TrendRow(
            response=r,
            day=day,
            subscales=[r.subscales.get(subscale) for subscale in names],
            entered=entered_words(r, name=name),
            flags=[FLAG_WORDS.get(flag, flag) for flag in r.flags or []],
        )
        for day, r in zip(days, responses, strict=True)
    ]
    return Trend(
        instrument=instrument,
        chart=trend_chart(instrument=instrument, points=points, label=label),
        label=label,
        latest=latest,
        latest_badge=BAND_BADGES.get(latest.band_level, "text-bg-secondary"),
        change=change_since_baseline(
            instrument=instrument,
            baseline=baseline.total,
            latest=latest.total,
            baseline_on=days[0],
            count=len(responses),
        ),
        subscale_names=names,
        rows=rows[::-1],
        legend=[(f"{b.label} ({b.low}–{b.high})", band_swatch(b)) for b in instrument.bands],
    )


def entered_words(response: MeasureResponse, *, name: str) -> str:
    """Who entered the response: the partner (called `name`) on the portal, or the clinician
    who gave it in session (read with the response)."""
    if response.entered_by_id is not None:
        return f"{person_name(response.entered_by)}, in session"
    return f"{name}, on the portal"


def person_name(user: User) -> str:
    return user.get_full_name() or user.email


def trend_chart(*, instrument: Instrument, points: list[Point], label: str) -> SafeString:
    """Bands, axes and points, oldest left; `label` says the same in words."""
    return format_html(
        '<svg class="d-block w-100" viewBox="0 0 {} {}" role="img" aria-label="{}"'
        ' focusable="false" xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        label,
        label,
        _bands(instrument),
        _axes(instrument, points),
        _points(instrument, points),
    )


def band_swatch(band: Band) -> SafeString:
    """The small key shown next to a band's name under a chart."""
    return format_html(
        '<svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true" focusable="false">'
        '<rect x="0.5" y="0.5" width="11" height="11" fill="{}" stroke="{}"/></svg>',
        BAND_FILLS.get(band.level, "#ffffff"),
        AXIS_COLOUR,
    )


def trend_label(*, instrument: Instrument, name: str, points: list[Point]) -> str:
    """What the chart shows, in one sentence."""
    if not points:
        return f"{name}'s {instrument.name}: none completed yet."
    first, last = points[0], points[-1]
    band = instrument.band_of(last.value)
    said = f" ({band.label.lower()})" if band else ""
    count = f"{len(points)} completed" if len(points) > 1 else "1 completed"
    return (
        f"{name}'s {instrument.name} {instrument.headline.lower()}, {count} from "
        f"{medium_date(first.day)} to {medium_date(last.day)}: "
        f"first {first.value}, latest {last.value}{said}, "
        f"on a scale of 0 to {instrument.max_total}."
    )


def change_since_baseline(
    *, instrument: Instrument, baseline: int, latest: int, baseline_on: datetime.date, count: int
) -> Change:
    """How the latest score compares with the baseline, and whether that is clinically
    meaningful (Instrument.meaningful_change, where published)."""
    if count < 2:
        return Change(f"Baseline only: {baseline} on {medium_date(baseline_on)}.")
    delta = latest - baseline
    since = f"the baseline of {baseline} on {medium_date(baseline_on)}"
    if delta == 0:
        words = f"No change from {since}."
    else:
        points = "point" if abs(delta) == 1 else "points"
        direction = "Up" if delta > 0 else "Down"
        better = "worse" if (delta > 0) == instrument.higher_is_worse else "better"
        words = f"{direction} {abs(delta)} {points} from {since} ({better})."
    threshold = instrument.meaningful_change
    if threshold is None:
        return Change(f"{words} No published threshold for a meaningful change.")
    if instrument.change_is_worse(baseline, latest):
        return Change(
            f"{words} A clinically meaningful worsening ({threshold} points or more).",
            is_meaningful=True,
            is_worse=True,
        )
    if instrument.change_is_worse(latest, baseline):
        return Change(
            f"{words} A clinically meaningful improvement ({threshold} points or more).",
            is_meaningful=True,
        )
    if delta == 0:
        return Change(words)
    return Change(f"{words} Less than the {threshold} points that is clinically meaningful.")


def _y(instrument: Instrument, value: float) -> float:
    top = max(instrument.max_total, 1)
    return TOP + PLOT_HEIGHT - max(0.0, min(value, top)) / top * PLOT_HEIGHT


def _x(points: list[Point], day: datetime.date) -> float:
    """Oldest at the left, newest at the right, kept clear of the edges by a point's width."""
    span = (points[-1].day - points[0].day).days
    if span == 0:
        return LEFT + PLOT_WIDTH / 2
    return LEFT + INSET + (day - points[0].day).days / span * (PLOT_WIDTH - 2 * INSET)


def _bands(instrument: Instrument) -> SafeString:
    """Each band as a strip from half a point below its lowest score to half a point above
    its highest, so every whole score sits inside its own band."""
    return format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
        (
            (
                LEFT,
                _n(_y(instrument, band.high + 0.5)),
                PLOT_WIDTH,
                _n(_y(instrument, band.low - 0.5) - _y(instrument, band.high + 0.5)),
                BAND_FILLS.get(band.level, "#ffffff"),
            )
            for band in instrument.bands
        ),
    )


def _ticks(instrument: Instrument) -> list[int]:
    """The scores labelled on the vertical axis: where each band starts, and the top."""
    return sorted({0, instrument.max_total, *(band.low for band in instrument.bands)})


def _axes(instrument: Instrument, points: list[Point]) -> SafeString:
    base = TOP + PLOT_HEIGHT
    ticks = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
        '<text x="{}" y="{}" text-anchor="end" dominant-baseline="middle">{}</text>',
        (
            (LEFT - 3, y, LEFT, y, AXIS_COLOUR, LEFT - 5, y, value)
            for value in _ticks(instrument)
            for y in [_n(_y(instrument, value))]
        ),
    )
    first, last = (points[0].day, points[-1].day) if points else (None, None)
    if first is None:
        dates = ""
    elif first == last:
        dates = format_html(
            '<text x="{}" y="{}" text-anchor="middle">{}</text>',
            LEFT + PLOT_WIDTH / 2,
            HEIGHT - 5,
            medium_date(first),
        )
    else:
        dates = format_html(
            '<text x="{}" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text>',
            LEFT,
            HEIGHT - 5,
            medium_date(first),
            WIDTH - RIGHT,
            HEIGHT - 5,
            medium_date(last),
        )
    return format_html(
        '<g fill="{c}" font-size="11" font-family="system-ui, sans-serif">'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}" stroke="{c}"/>'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{c}"/>{ticks}{dates}</g>',
        c=AXIS_COLOUR,
        l=LEFT,
        t=TOP,
        b=base,
        r=WIDTH - RIGHT,
        ticks=ticks,
        dates=dates,
    )


def _points(instrument: Instrument, points: list[Point]) -> SafeString:
    if not points:
        return mark_safe("")
    places = [(_x(points, p.day), _y(instrument, p.value), p.in_session) for p in points]
    line = " ".join(f"{_n(x)},{_n(y)}" for x, y, _ in places)
    marks = [f'<polyline points="{line}" fill="none" stroke="{LINE_COLOUR}" stroke-width="1.5"/>']
    for x, y, in_session in places:
        if in_session:
            marks.append(
                f'<rect x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="#ffffff"'
                f' stroke="{LINE_COLOUR}" stroke-width="1.5"/>'
            )
        else:
            marks.append(f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{LINE_COLOUR}"/>')
    # Numbers and the fixed colours only: nothing a person typed, so nothing to escape.
    return mark_safe("".join(marks))


def _n(number: float) -> str:
    """Coordinates with two decimals."""
    return f"{number:.2f}"
