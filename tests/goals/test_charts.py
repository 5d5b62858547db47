"""Progress charts on the portal and the clinic pages (issue 20): labelled axes (the unit and
its values; the days as "Nov 8"), a legend when there is more than one kind of mark, and the
same values in words beside every chart."""

import datetime

import pytest
from django.template.loader import render_to_string

from couples.queries import couple_today
from goals import charts, charts_clinic
from goals.cards_clinic import progress_view
from goals.models import Goal, ProgressEntry
from goals.queries import ProgressPoint
from tests.auth import sign_in_with_mfa
from tests.factories import GoalFactory


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """The fixed dates below are read as of this moment, whatever day the suite runs."""
    time_machine.move_to(datetime.datetime.fromisoformat("2026-12-07 12:00+00:00"), tick=False)


pytestmark = pytest.mark.timeshift

DEC_7 = datetime.date(2026, 12, 7)
DAYS = charts.window(today=DEC_7, days=30)  # Nov 8 to Dec 7


def points(*values_back, partner_id=1) -> list[ProgressPoint]:
    """(value, days before Dec 7) pairs as the query reads them."""
    return [
        ProgressPoint(1, partner_id, DEC_7 - datetime.timedelta(days=back), value, "")
        for value, back in values_back
    ]


def chart_for(goal: Goal, entries: list[ProgressPoint]) -> charts.Chart:
    return charts.progress_line(goal=goal, entries=entries, days=DAYS, index=0, name="Me").chart


# The portal's chart


def test_a_yes_no_chart_labels_its_axes_and_names_done_and_not_done():
    chart = chart_for(Goal(measure="yes_no", target=5), points((1, 0), (0, 2)))

    assert (chart.unit, chart.y_top, chart.y_bottom) == ("Done each day", "Done", "")
    assert (chart.first_day, chart.last_day) == (datetime.date(2026, 11, 8), DEC_7)
    assert [item.label for item in chart.legend] == ["Done", "Not done"]
    assert chart.rows == [(DEC_7, "Done"), (datetime.date(2026, 12, 5), "Not done")]


def test_a_rating_chart_names_its_target_line():
    chart = chart_for(Goal(measure="rating", target=7), points((8, 0)))

    assert (chart.unit, chart.y_top, chart.y_bottom) == ("Rating, of 10", "10", "0")
    assert [item.label for item in chart.legend] == ["Rating that day", "Target: 7 of 10"]
    assert chart.target_y == 18.0
    assert chart.rows == [(DEC_7, "8 of 10")]


def test_a_count_chart_needs_a_legend_only_for_its_zero_days():
    goal = Goal(measure="count", target=3)

    plain = chart_for(goal, points((2, 0), (4, 1)))
    with_zero = chart_for(goal, points((2, 0), (0, 1)))

    assert (plain.unit, plain.y_top, plain.y_bottom, plain.legend) == ("Times a day", "4", "0", [])
    assert [item.label for item in with_zero.legend] == ["Times that day", "0 times"]


def test_a_milestone_is_said_not_drawn():
    line = charts.progress_line(
        goal=Goal(measure="milestone"), entries=points((1, 45)), days=DAYS, index=0, name="Me"
    )

    assert not line.chart.is_drawn
    # A mark older than the chart's days still says when it was reached.
    assert line.summary == "Reached on Oct 23."


def test_the_chart_draws_its_axes_legend_and_table():
    chart = chart_for(Goal(measure="rating", target=7), points((8, 0), (5, 3)))

    html = render_to_string("components/_chart.html", {"chart": chart})

    assert '<p class="small text-body-secondary mb-1" aria-hidden="true">Rating, of 10</p>' in html
    assert "<span>10</span><span>0</span>" in html
    assert "<span>Nov 8</span><span>Dec 7</span>" in html
    assert "Target: 7 of 10" in html and 'stroke-dasharray="4 2"' in html
    assert "<summary>Day by day</summary>" in html
    assert '<th scope="row" class="fw-normal">Dec 7</th><td>8 of 10</td>' in html
    assert '<th scope="row" class="fw-normal">Dec 4</th><td>5 of 10</td>' in html
    assert 'role="img" aria-label="Me, last 30 days: Latest rating 8 of 10 on Dec 7;' in html
    assert "style=" not in html


def test_a_page_with_its_own_table_or_a_row_of_words_draws_less():
    chart = chart_for(Goal(measure="yes_no", target=5), points((1, 0)))

    without_table = render_to_string("components/_chart.html", {"chart": chart, "no_table": True})
    compact = render_to_string("components/_chart.html", {"chart": chart, "compact": True})

    assert "<details" not in without_table and "Nov 8" in without_table
    assert 'role="img"' in compact
    assert "Nov 8" not in compact and "<details" not in compact and "Not done" not in compact


def test_a_milestone_draws_nothing():
    chart = chart_for(Goal(measure="milestone"), points((1, 0)))

    assert render_to_string("components/_chart.html", {"chart": chart}).strip() == ""


# The clinic's chart


def test_the_clinic_chart_labels_its_axes_in_the_portals_words():
    svg = charts_clinic.progress_chart(
        title="Talk",
        measure="yes_no",
        target=5,
        start=datetime.date(2026, 11, 8),
        end=DEC_7,
        series=[charts_clinic.Series(label="Jordan", values={DEC_7: 1})],
    )

    assert ">Done each day</text>" in svg
    assert ">Done</text>" in svg and ">Not done</text>" in svg
    assert ">Nov 8</text>" in svg and ">Dec 7</text>" in svg
    assert "<title>Talk</title>" in svg


def test_the_clinic_chart_has_a_legend_for_two_partners_or_a_target(couple, partner_a, partner_b):
    today = DEC_7
    since = today - datetime.timedelta(days=29)
    entries = {partner_a.pk: points((8, 0), partner_id=partner_a.pk)}
    shared = Goal(couple=couple, title="Heard", measure="rating", target=7, start_on=since)
    own = Goal(couple=couple, partner=partner_a, title="Walk", measure="count", target=3)
    own.start_on = since

    both = progress_view(shared, [partner_a, partner_b], entries, since=since, today=today)
    alone = progress_view(own, [partner_a], entries, since=since, today=today)

    assert [name for name, _ in both.legend] == ["Jordan", "Alex", "Target: 7 of 10"]
    assert alone.legend == []
    assert both.summary_span == "last 30 days"
    assert both.caption == "Heard: each day logged, newest first"


def test_the_couple_page_keeps_each_charts_values_in_words_for_screen_readers(
    client, couple, partner_a, partner_b, couples_therapist
):
    goal = GoalFactory(couple=couple, measure="count", target=3, title="Walks")
    today = couple_today(couple=couple)
    ProgressEntry.objects.create(
        goal=goal, partner=partner_a, day=today, measure="count", value=2, recorded_on=today
    )
    sign_in_with_mfa(client, couples_therapist.user)

    page = client.get(f"/clinic/couples/{couple.pk}/goals/").text

    card = page.split(f'id="goal-{goal.pk}-title"')[1].split("</article>")[0]
    hidden = card.split('<div class="visually-hidden">')[1]
    assert '<caption class="visually-hidden">Walks: each day logged, newest first</caption>' in (
        hidden
    )
    assert "<td>2 times</td><td>—</td>" in hidden
    assert f'href="/clinic/goals/{goal.pk}/">Day by day: 1 day logged</a>' in card


@pytest.mark.parametrize("days", ["30", "90"])
def test_the_period_shown_is_a_filled_button_on_both_sides(
    client, couple, partner_a, partner_b, couples_therapist, days
):
    """The same switch on the portal and the clinic: the active period is white on the
    primary colour (6.4:1), the other the primary on white; the page shown is aria-current."""
    goal = GoalFactory(couple=couple)
    sign_in_with_mfa(client, couples_therapist.user)
    clinic = client.get(f"/clinic/goals/{goal.pk}/", {"days": days}).text
    client.force_login(partner_a.user)
    portal = client.get(f"/portal/goals/{goal.pk}/", {"days": days}).text

    for page in (clinic, portal):
        assert f'class="btn btn-primary" href="?days={days}" aria-current="page">{days} days' in (
            page
        )
        other = "90" if days == "30" else "30"
        assert f'class="btn btn-outline-primary" href="?days={other}">{other} days' in page
