"""Django's own date and time output and input in US English (config/formats/en)."""

import datetime

import pytest
from django import forms
from django.template import engines
from django.utils import formats


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """The fixed dates below are read as of this moment, whatever day the suite runs."""
    time_machine.move_to(datetime.datetime.fromisoformat("2026-12-07 12:00+00:00"), tick=False)


# 6:00 PM in New York on Monday, December 7, 2026.
SIX_PM = datetime.datetime(2026, 12, 7, 23, 0, tzinfo=datetime.UTC)


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_dates_and_times_read_month_first_on_a_twelve_hour_clock():
    page = render(
        "{{ at|date }} | {{ at|time }} | {{ at }} | {{ at|date:'SHORT_DATETIME_FORMAT' }} | "
        "{{ day|date:'MONTH_DAY_FORMAT' }} | {{ morning|time }}",
        at=SIX_PM,
        day=datetime.date(2026, 3, 1),
        morning=datetime.time(9, 5),
    )

    assert page == (
        "December 7, 2026 | 6:00 PM | December 7, 2026 at 6:00 PM | 12/07/2026 6:00 PM | "
        "March 1 | 9:05 AM"
    )


@pytest.mark.parametrize(
    ("typed", "clock"),
    [
        ("6:00 PM", datetime.time(18, 0)),
        ("6:30 pm", datetime.time(18, 30)),
        ("6 PM", datetime.time(18, 0)),
        ("6pm", datetime.time(18, 0)),
        ("06:15AM", datetime.time(6, 15)),
        ("12:00 AM", datetime.time(0, 0)),
        ("12 PM", datetime.time(12, 0)),
        ("18:00", datetime.time(18, 0)),
        ("18:00:30", datetime.time(18, 0, 30)),
    ],
)
def test_a_time_may_be_typed_on_either_clock(typed, clock):
    assert forms.TimeField().clean(typed) == clock


@pytest.mark.parametrize("typed", ["8 in the evening", "13 PM", "25:00"])
def test_a_time_that_is_not_one_is_refused(typed):
    with pytest.raises(forms.ValidationError):
        forms.TimeField().clean(typed)


def test_dates_still_accept_iso_first_for_date_inputs():
    assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%Y-%m-%d"
    assert forms.DateField().clean("12/07/2026") == datetime.date(2026, 12, 7)
