import datetime

from common.dates import long_date


def test_a_long_date_puts_the_month_first():
    assert long_date(datetime.date(2025, 12, 7)) == "December 7, 2025"
    assert long_date(datetime.date(2026, 3, 1)) == "March 1, 2026"
