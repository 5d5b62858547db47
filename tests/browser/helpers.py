"""Page steps shared by the browser journeys and their fixtures."""

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

LOGIN_PATH = "/accounts/login/"
TOTP_PATH = "/accounts/2fa/authenticate/"


def submit(page, field_name: str) -> None:
    """Click the submit button of the form holding `field_name` and wait for the next page.

    Buttons with a `form` attribute belong to another form (allauth's "Cancel" on the code
    page signs out), so they are left alone.
    """
    form = page.locator("form").filter(has=page.locator(f"[name='{field_name}']"))
    button = form.locator("button[type=submit]:not([form]), input[type=submit]:not([form])")
    with page.expect_navigation():
        button.first.click()


def totp_code(secret: str, *, not_counter: int | None = None, margin: float = 2.0):
    """A real TOTP code for `secret`, and its time-step counter.

    allauth accepts only the current 30 s window (no tolerance) and refuses a code it has
    seen, so this waits for the next window when fewer than `margin` seconds are left, or
    when the current window is `not_counter` (the window of a code already spent).
    """
    period = mfa_settings.TOTP_PERIOD
    deadline = time.time() + 2 * period + margin
    while True:
        now = time.time()
        counter = int(now) // period
        left = period - (now % period)
        if counter != not_counter and left > margin:
            return format_hotp_value(hotp_value(secret, counter)), counter
        assert now < deadline, "no usable TOTP window came up"
        time.sleep(left + 0.05)
