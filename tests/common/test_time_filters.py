"""The time filters every template has without loading them (settings.TEMPLATES builtins)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import engines

UTC = datetime.UTC
# Monday, December 7, 2026, 12:00 PM in New York.
NOON = datetime.datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
SIX_PM_NEW_YORK = datetime.datetime(2026, 12, 7, 23, 0, tzinfo=UTC)


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.mark.time_machine(NOON, tick=False)
def test_moment_reads_in_the_zone_given_or_the_current_one():
    assert render("{{ at|moment:'America/Chicago' }}", at=SIX_PM_NEW_YORK) == (
        "Monday, December 7 at 5:00 PM CT"
    )
    assert render(
        "{% load tz %}{% timezone 'Pacific/Honolulu' %}{{ at|moment }}{% endtimezone %}",
        at=SIX_PM_NEW_YORK,
    ) == ("Monday, December 7 at 1:00 PM HT")
    assert render("{{ at|moment }}", at=SIX_PM_NEW_YORK) == "Monday, December 7 at 6:00 PM ET"


@pytest.mark.time_machine(NOON, tick=False)
def test_moment_takes_a_zone_object_from_the_context():
    zone = ZoneInfo("Europe/London")

    assert render("{{ at|moment:zone }}", at=SIX_PM_NEW_YORK, zone=zone) == (
        "Monday, December 7 at 11:00 PM GMT"
    )


@pytest.mark.time_machine(NOON, tick=False)
def test_relative_reads_from_the_clock():
    assert render("{{ at|relative }}", at=SIX_PM_NEW_YORK) == "today at 6:00 PM"
    assert render("{{ at|relative:'Europe/London' }}", at=SIX_PM_NEW_YORK) == ("today at 11:00 PM")
    assert render(
        "{{ at|relative:'Europe/London' }}", at=SIX_PM_NEW_YORK + datetime.timedelta(hours=3)
    ) == ("tomorrow at 2:00 AM")


def test_zone_label_and_abbreviation():
    page = render(
        "{% load tz %}{{ zone|zone_label }} / {{ 'Europe/London'|zone_label }} / "
        "{% timezone 'America/Denver' %}{{ at|zone_abbreviation }}{% endtimezone %}",
        zone="America/Phoenix",
        at=SIX_PM_NEW_YORK,
    )

    assert page == "Mountain Time – Arizona (MT) / London / MT"


def test_an_empty_value_renders_nothing():
    assert render("[{{ at|moment }}|{{ at|relative }}|{{ at|zone_abbreviation }}]", at=None) == (
        "[||]"
    )
    assert render("[{{ zone|zone_label }}]", zone="") == "[]"
