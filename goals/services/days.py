"""The days a partner may still write: today and the EDIT_WINDOW_DAYS before it."""

import datetime

from django.core.exceptions import ValidationError

from goals.models import EDIT_WINDOW_DAYS


def day_check(*, day: datetime.date, today: datetime.date, what: str) -> None:
    if day > today:
        raise ValidationError({"day": f"{what} cannot be for a day that has not come yet."})
    if (today - day).days > EDIT_WINDOW_DAYS:
        raise ValidationError(
            {"day": f"{what} older than {EDIT_WINDOW_DAYS} days are locked. Ask your care team."}
        )
