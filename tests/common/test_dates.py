import datetime

import pytest

from common.dates import long_date


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """The fixed dates below are read as of this moment, whatever day the suite runs."""
    time_machine.move_to(datetime.datetime.fromisoformat("2026-12-07 12:00+00:00"), tick=False)


def test_a_long_date_puts_the_month_first():
    assert long_date(datetime.date(2025, 12, 7)) == "December 7, 2025"
    assert long_date(datetime.date(2026, 3, 1)) == "March 1, 2026"
