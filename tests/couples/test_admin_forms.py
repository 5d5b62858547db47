"""The time zone list wherever a zone is chosen (intake, the couple's admin page, a person's
notification settings): the clinic's zones first by the names people know, then the rest of
the world by region, instead of some 600 raw names in one list (issue 20)."""

import zoneinfo

import pytest

from couples.admin_forms import CoupleAdmitForm, time_zone_choices


def values(groups) -> list[str]:
    return [value for _, choices in groups for value, _ in choices]


def test_the_clinics_zones_come_first_by_their_names():
    common_label, common = time_zone_choices()[0]

    assert common_label == "Common"
    assert common == [
        ("America/New_York", "Eastern Time (ET)"),
        ("America/Chicago", "Central Time (CT)"),
        ("America/Denver", "Mountain Time (MT)"),
        ("America/Phoenix", "Mountain Time – Arizona (MT)"),
        ("America/Los_Angeles", "Pacific Time (PT)"),
        ("America/Anchorage", "Alaska Time (AKT)"),
        ("Pacific/Honolulu", "Hawaii Time (HT)"),
    ]


def test_the_rest_of_the_world_follows_by_region_sorted_by_place():
    groups = dict(time_zone_choices())

    assert list(groups) == [
        "Common",
        "Africa",
        "Americas",
        "Antarctica",
        "Asia",
        "Atlantic Ocean",
        "Australia",
        "Europe",
        "Indian Ocean",
        "Pacific Ocean",
        "Other",
    ]
    assert ("Europe/London", "London") in groups["Europe"]
    assert ("America/Detroit", "Detroit (ET)") in groups["Americas"]
    assert ("America/Argentina/Buenos_Aires", "Buenos Aires, Argentina") in groups["Americas"]
    assert groups["Other"] == [("UTC", "UTC (Coordinated Universal Time)")]
    europe = [label for _, label in groups["Europe"]]
    assert europe == sorted(europe)


def test_every_choice_is_a_real_zone_offered_once_and_no_legacy_alias():
    offered = values(time_zone_choices())

    assert len(offered) == len(set(offered))
    assert set(offered) <= zoneinfo.available_timezones()
    assert not {"US/Eastern", "EST5EDT", "Etc/GMT+5"} & set(offered)
    assert "America/New_York" in offered and "Asia/Tokyo" in offered


def test_the_clinic_chooses_its_own_zones(settings):
    settings.CLINIC_TIME_ZONES = ["Europe/London", "UTC"]

    groups = time_zone_choices()

    assert groups[0] == ("Common", [("Europe/London", "London"), ("UTC", "UTC")])
    assert groups[-1][0] == "Pacific Ocean"  # UTC is already offered
    assert values(groups).count("Europe/London") == 1
    assert ("America/New_York", "Eastern Time (ET)") in dict(groups)["Americas"]


@pytest.mark.parametrize("zone", ["America/Phoenix", "Europe/London", "Pacific/Kiritimati"])
def test_intake_accepts_a_zone_from_any_group(zone):
    form = CoupleAdmitForm({"time_zone": zone})

    form.is_valid()
    assert "time_zone" not in form.errors
