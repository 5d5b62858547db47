"""Moments as US patients read them (issue 20): a 12-hour clock, month before day, and the
zone as people say it. Every clock is pinned; the zones include both daylight saving changes
of 2026 (March 8, November 1 in the US) and zones far from the clinic."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from common.moments import (
    clock_text,
    moment_text,
    relative_text,
    zone_abbreviation,
    zone_city,
    zone_label,
)

UTC = datetime.UTC
NEW_YORK = ZoneInfo("America/New_York")
# Monday, December 7, 2026, 12:00 PM in New York.
NOON = datetime.datetime(2026, 12, 7, 17, 0, tzinfo=UTC)


def at(*args, zone=NEW_YORK) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=zone)


# zone_abbreviation


@pytest.mark.parametrize(
    ("zone", "winter", "summer"),
    [
        ("America/New_York", "ET", "ET"),
        ("America/Chicago", "CT", "CT"),
        ("America/Denver", "MT", "MT"),
        ("America/Phoenix", "MT", "MT"),  # MST all year: still Mountain Time
        ("America/Los_Angeles", "PT", "PT"),
        ("America/Anchorage", "AKT", "AKT"),
        ("Pacific/Honolulu", "HT", "HT"),
        ("America/Indiana/Knox", "CT", "CT"),
        ("Europe/London", "GMT", "BST"),
        ("Europe/Berlin", "CET", "CEST"),
        ("Asia/Shanghai", "CST", "CST"),  # China's CST, not Central Time
        ("Asia/Dubai", "UTC+4", "UTC+4"),  # tzdata names it "+04"
        ("Asia/Kathmandu", "UTC+5:45", "UTC+5:45"),
        ("America/Sao_Paulo", "UTC-3", "UTC-3"),
        ("UTC", "UTC", "UTC"),
    ],
)
def test_a_moment_is_named_by_the_zone_people_say(zone, winter, summer):
    january = datetime.datetime(2026, 1, 15, 12, tzinfo=UTC).astimezone(ZoneInfo(zone))
    july = datetime.datetime(2026, 7, 15, 12, tzinfo=UTC).astimezone(ZoneInfo(zone))

    assert (zone_abbreviation(january), zone_abbreviation(july)) == (winter, summer)


def test_a_zone_alone_is_named_as_it_is_now(time_machine):
    time_machine.move_to(datetime.datetime(2026, 7, 15, 12, tzinfo=UTC), tick=False)

    assert zone_abbreviation("Europe/London") == "BST"
    assert zone_abbreviation(ZoneInfo("Europe/London")) == "BST"
    assert zone_abbreviation(NEW_YORK) == "ET"


def test_without_a_zone_the_current_one_is_named(time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 15, 12, tzinfo=UTC), tick=False)

    with timezone.override("America/Los_Angeles"):
        assert zone_abbreviation(None) == "PT"


# zone_label


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/New_York", "Eastern Time (ET)"),
        ("America/Chicago", "Central Time (CT)"),
        ("America/Denver", "Mountain Time (MT)"),
        ("America/Phoenix", "Mountain Time – Arizona (MT)"),
        ("America/Los_Angeles", "Pacific Time (PT)"),
        ("America/Anchorage", "Alaska Time (AKT)"),
        ("Pacific/Honolulu", "Hawaii Time (HT)"),
        ("America/Detroit", "Detroit (ET)"),
        ("America/Indiana/Indianapolis", "Indianapolis, Indiana (ET)"),
        ("Europe/London", "London"),
        ("America/Argentina/Buenos_Aires", "Buenos Aires, Argentina"),
        ("Pacific/Kiritimati", "Kiritimati"),
        ("UTC", "UTC"),
    ],
)
def test_a_zone_is_labelled_by_the_name_people_know(zone, label):
    assert zone_label(zone) == label


def test_a_zone_object_is_labelled_like_its_name():
    assert zone_label(ZoneInfo("America/Chicago")) == "Central Time (CT)"


def test_the_label_of_no_zone_is_the_current_zones():
    with timezone.override("Pacific/Honolulu"):
        assert zone_label(None) == "Hawaii Time (HT)"


def test_a_city_reads_as_a_place():
    assert zone_city("America/North_Dakota/New_Salem") == "New Salem, North Dakota"
    assert zone_city("Etc") == "Etc"


# clock_text


@pytest.mark.parametrize(
    ("clock", "text"),
    [
        (datetime.time(0, 0), "12:00 AM"),
        (datetime.time(0, 30), "12:30 AM"),
        (datetime.time(9, 5), "9:05 AM"),
        (datetime.time(12, 0), "12:00 PM"),
        (datetime.time(18, 0), "6:00 PM"),
        (datetime.time(23, 59), "11:59 PM"),
    ],
)
def test_the_clock_has_twelve_hours(clock, text):
    assert clock_text(clock) == text


# moment_text


@pytest.mark.time_machine(NOON, tick=False)
def test_a_moment_this_year_reads_without_the_year():
    assert moment_text(at(2026, 12, 7, 18), NEW_YORK) == "Monday, December 7 at 6:00 PM ET"


@pytest.mark.time_machine(NOON, tick=False)
def test_a_moment_in_another_year_says_which():
    assert (
        moment_text(at(2027, 1, 4, 18), "America/New_York")
        == "Monday, January 4, 2027 at 6:00 PM ET"
    )
    assert (
        moment_text(at(2025, 12, 29, 9, 15), "America/New_York")
        == "Monday, December 29, 2025 at 9:15 AM ET"
    )


def test_the_year_is_this_year_where_the_reader_lives():
    # 11:30 PM on New Year's Eve in Honolulu is already 2027 in New York.
    now = datetime.datetime(2027, 1, 1, 9, 30, tzinfo=UTC)
    moment = datetime.datetime(2027, 1, 2, 4, 0, tzinfo=UTC)

    assert moment_text(moment, "Pacific/Honolulu", now=now) == (
        "Friday, January 1, 2027 at 6:00 PM HT"
    )
    assert moment_text(moment, "America/New_York", now=now) == "Friday, January 1 at 11:00 PM ET"


@pytest.mark.time_machine(NOON, tick=False)
@pytest.mark.parametrize(
    ("zone", "text"),
    [
        ("America/Chicago", "Monday, December 7 at 5:00 PM CT"),
        ("America/Phoenix", "Monday, December 7 at 4:00 PM MT"),
        ("Pacific/Honolulu", "Monday, December 7 at 1:00 PM HT"),
        ("Europe/London", "Monday, December 7 at 11:00 PM GMT"),
        ("Asia/Tokyo", "Tuesday, December 8 at 8:00 AM JST"),
    ],
)
def test_one_moment_reads_in_each_zone_on_its_own_day(zone, text):
    assert moment_text(at(2026, 12, 7, 18), zone) == text


@pytest.mark.time_machine(NOON, tick=False)
def test_without_a_zone_a_moment_reads_in_the_current_one():
    with timezone.override("America/Los_Angeles"):
        assert moment_text(at(2026, 12, 7, 18)) == "Monday, December 7 at 3:00 PM PT"


@pytest.mark.time_machine(NOON, tick=False)
def test_the_first_hour_of_daylight_saving_time():
    # Sunday, March 8, 2026: at 2:00 AM the clocks in New York skip to 3:00 AM.
    before = datetime.datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    after = datetime.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)

    assert moment_text(before, NEW_YORK) == "Sunday, March 8 at 1:59 AM ET"
    assert moment_text(after, NEW_YORK) == "Sunday, March 8 at 3:00 AM ET"


@pytest.mark.time_machine(NOON, tick=False)
def test_the_hour_that_happens_twice_when_daylight_saving_ends():
    # Sunday, November 1, 2026: 1:30 AM comes once in EDT and again, an hour later, in EST.
    first = datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    second = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)

    assert moment_text(first, NEW_YORK) == moment_text(second, NEW_YORK)
    assert moment_text(second, NEW_YORK) == "Sunday, November 1 at 1:30 AM ET"
    assert moment_text(second, "Europe/London") == "Sunday, November 1 at 6:30 AM GMT"


# relative_text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (NOON, "now"),
        (NOON + datetime.timedelta(seconds=30), "in 1 min"),
        (NOON - datetime.timedelta(seconds=30), "now"),
        (NOON + datetime.timedelta(minutes=5), "in 5 min"),
        (NOON + datetime.timedelta(minutes=4, seconds=1), "in 5 min"),  # never late
        (NOON - datetime.timedelta(minutes=5), "5 min ago"),
        (NOON + datetime.timedelta(minutes=59), "in 59 min"),
        (NOON + datetime.timedelta(hours=1), "in 1 hour"),
        (NOON + datetime.timedelta(hours=1, minutes=29), "in 1 hour"),
        (NOON + datetime.timedelta(hours=1, minutes=30), "in 2 hours"),
        (NOON + datetime.timedelta(hours=2), "in 2 hours"),
        (NOON - datetime.timedelta(hours=2), "2 hours ago"),
        (at(2026, 12, 7, 18), "today at 6:00 PM"),
        (at(2026, 12, 7, 8), "today at 8:00 AM"),
        (at(2026, 12, 8, 18), "tomorrow at 6:00 PM"),
        (at(2026, 12, 6, 9, 15), "yesterday at 9:15 AM"),
        (at(2026, 12, 11, 18), "Friday at 6:00 PM"),
        (at(2026, 12, 13, 10), "Sunday at 10:00 AM"),
        (at(2026, 12, 3, 18), "Thursday at 6:00 PM"),
        (at(2026, 12, 14, 18), "Dec 14 at 6:00 PM"),  # a week on: not "Monday"
        (at(2026, 12, 15, 18), "Dec 15 at 6:00 PM"),
        (at(2026, 11, 30, 18), "Nov 30 at 6:00 PM"),
        (at(2027, 1, 4, 18), "Jan 4, 2027 at 6:00 PM"),
    ],
)
def test_a_moment_reads_from_now(moment, text):
    assert relative_text(moment, NOON, NEW_YORK) == text


def test_days_are_counted_where_the_reader_lives():
    late = at(2026, 12, 7, 23)  # 11:00 PM in New York, 4:00 AM on the 8th in London
    breakfast = at(2026, 12, 8, 9)

    assert relative_text(breakfast, late, NEW_YORK) == "tomorrow at 9:00 AM"
    assert relative_text(breakfast, late, "Europe/London") == "today at 2:00 PM"
    assert relative_text(breakfast, late, "Pacific/Honolulu") == "tomorrow at 4:00 AM"


def test_across_the_start_of_daylight_saving_hours_are_real_hours():
    night = at(2026, 3, 8, 1, 30)  # EST; at 2:00 AM the clocks jump to 3:00 AM
    half_past_three = datetime.datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 3:30 AM EDT

    assert relative_text(half_past_three, night, NEW_YORK) == "in 1 hour"
    assert relative_text(at(2026, 3, 8, 3, 30), night, NEW_YORK) == "in 1 hour"
    # Saturday 6:00 PM to Sunday 6:00 PM is 23 hours, and still tomorrow.
    assert relative_text(at(2026, 3, 8, 18), at(2026, 3, 7, 18), NEW_YORK) == (
        "tomorrow at 6:00 PM"
    )
    # London moves its clocks three weeks later: on March 8 it is an ordinary day there.
    assert relative_text(half_past_three, night, "Europe/London") == "in 1 hour"


def test_across_the_end_of_daylight_saving_hours_are_real_hours():
    half_past_midnight = at(2026, 11, 1, 0, 30)  # EDT
    second_half_past_one = datetime.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 1:30 AM EST

    assert relative_text(second_half_past_one, half_past_midnight, NEW_YORK) == "in 2 hours"
    # Saturday 6:00 PM to Sunday 6:00 PM is 25 hours, and still tomorrow.
    assert relative_text(at(2026, 11, 1, 18), at(2026, 10, 31, 18), NEW_YORK) == (
        "tomorrow at 6:00 PM"
    )
    assert relative_text(at(2026, 10, 31, 18), at(2026, 11, 1, 18), NEW_YORK) == (
        "yesterday at 6:00 PM"
    )


def test_the_london_change_is_its_own():
    # Sunday, March 29, 2026: London's clocks jump from 1:00 AM to 2:00 AM (New York's did
    # three weeks before).
    london = ZoneInfo("Europe/London")
    before = datetime.datetime(2026, 3, 29, 0, 30, tzinfo=london)
    after = datetime.datetime(2026, 3, 29, 2, 30, tzinfo=london)

    # One zone on both sides: Python alone would subtract the wall clocks (2 hours).
    assert relative_text(after, before, london) == "in 1 hour"
    assert relative_text(before, after, london) == "1 hour ago"
    assert moment_text(after, london, now=before) == "Sunday, March 29 at 2:30 AM BST"


@pytest.mark.time_machine(NOON, tick=False)
def test_without_now_and_zone_the_clock_and_the_current_zone_are_used():
    with timezone.override("Pacific/Honolulu"):
        # 6:00 PM in New York is 1:00 PM in Honolulu, where it is 7:00 AM now.
        assert relative_text(at(2026, 12, 7, 18)) == "today at 1:00 PM"
