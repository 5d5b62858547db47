"""Which mail failures are tried again (issue 18: a mail outage of a few minutes must not lose
messages for good), and the SMTP timeout that keeps a silent server from holding a worker."""

import os
import smtplib
import subprocess
import sys

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from couples.notifications import is_temporary


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(421, b"Service not available, try later"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        SoftTimeLimitExceeded(),
    ],
    ids=["4xx", "disconnected", "refused", "timeout", "soft-time-limit"],
)
def test_outages_and_timeouts_are_temporary(error):
    assert is_temporary(error)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(550, b"No such user"),
        smtplib.SMTPRecipientsRefused({"a@example.test": (550, b"No such user")}),
        smtplib.SMTPSenderRefused(553, b"Sender refused", "no-reply@example.test"),
        ValueError("a bug"),
    ],
    ids=["5xx", "recipient-refused", "sender-refused", "bug"],
)
def test_a_refusal_for_good_is_final(error):
    assert not is_temporary(error)


@pytest.mark.parametrize(("value", "expected"), [(None, 10), ("7", 7)])
def test_every_smtp_operation_has_a_timeout(value, expected):
    """The settings give the SMTP mailer EMAIL_TIMEOUT (10 s unless set)."""
    env = {
        key: val
        for key, val in os.environ.items()
        if key not in ("MAIL_BACKEND", "EMAIL_TIMEOUT", "DJANGO_SETTINGS_MODULE")
    }
    env.update(DEBUG="true", EMAIL_HOST="smtp.example.test")
    if value is not None:
        env["EMAIL_TIMEOUT"] = value
    read = "import config.settings as s; print(s.MAILERS['default']['OPTIONS']['timeout'])"

    result = subprocess.run(
        [sys.executable, "-c", read], env=env, capture_output=True, text=True, check=True
    )

    assert int(result.stdout.strip()) == expected
