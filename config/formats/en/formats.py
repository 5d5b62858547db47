"""Dates and times as people in the United States read and type them.

Django looks here before its own English formats (for LANGUAGE_CODE "en-us" it tries
config.formats.en_US, then config.formats.en, then django.conf.locale.en_US and en), and
takes from each setting the first module that has it: anything left out below keeps
Django's English value, such as the ISO first entry of DATE_INPUT_FORMATS that date pickers
and `type="date"` inputs rely on.

Django's English reads "Dec. 7, 2026, 6 p.m."; a US clinic writes "December 7, 2026 at
6:00 PM". The *_FORMAT strings use the `date` filter's letters; backslashes keep "at" literal.
"""

DATE_FORMAT = "F j, Y"  # December 7, 2026
TIME_FORMAT = "g:i A"  # 6:00 PM
DATETIME_FORMAT = r"F j, Y \a\t g:i A"  # December 7, 2026 at 6:00 PM
MONTH_DAY_FORMAT = "F j"  # December 7
YEAR_MONTH_FORMAT = "F Y"  # December 2026
SHORT_DATE_FORMAT = "m/d/Y"  # 12/07/2026
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"  # 12/07/2026 6:00 PM
FIRST_DAY_OF_WEEK = 0  # Sunday, on calendars

# Typed times, tried in order. The first is also how a time field without its own format
# shows its value ("06:00 PM"; the admin's clock writes that too). strptime reads AM/PM in any
# case and a one-digit hour, so "6:00 pm", "6 PM" and "6pm" pass; the 24-hour forms stay for
# `type="time"` inputs, which always send "18:00".
TIME_INPUT_FORMATS = [
    "%I:%M %p",  # 6:00 PM
    "%I:%M%p",  # 6:00PM
    "%I %p",  # 6 PM
    "%I%p",  # 6PM
    "%H:%M",  # 18:00
    "%H:%M:%S",  # 18:00:59
    "%H:%M:%S.%f",  # 18:00:59.000200
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",  # 2026-12-07 18:00:59
    "%Y-%m-%d %H:%M:%S.%f",  # 2026-12-07 18:00:59.000200
    "%Y-%m-%d %H:%M",  # 2026-12-07 18:00
    "%Y-%m-%d %I:%M %p",  # 2026-12-07 6:00 PM
    "%m/%d/%Y %I:%M %p",  # 12/07/2026 6:00 PM
    "%m/%d/%Y %H:%M:%S",  # 12/07/2026 18:00:59
    "%m/%d/%Y %H:%M",  # 12/07/2026 18:00
    "%m/%d/%y %I:%M %p",  # 12/07/26 6:00 PM
    "%m/%d/%y %H:%M",  # 12/07/26 18:00
]
