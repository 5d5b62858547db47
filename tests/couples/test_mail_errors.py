"""Which mail failures are tried again (issue 18: a mail outage of a few minutes must not lose
messages for good), and the SMTP timeout that keeps a silent server from holding a worker."""

import os
import smtplib
import subprocess
import sys

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from couples.notifications import is_server_down, is_temporary


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(421, b"Service not available, try later"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        SoftTimeLimitExceeded(),
        smtplib.SMTPConnectError(554, b"No service"),
        smtplib.SMTPAuthenticationError(535, b"Bad credentials"),
    ],
    ids=["421", "disconnected", "refused", "timeout", "soft-time-limit", "greeting", "login"],
)
def test_a_server_that_cannot_be_reached_or_used_is_down_and_temporary(error):
    assert is_server_down(error)
    assert is_temporary(error)


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPResponseException(451, b"Try again later"),
        smtplib.SMTPRecipientsRefused({"a@example.test": (452, b"Mailbox full")}),
    ],
    ids=["451", "mailbox-full"],
)
def test_a_4xx_about_one_message_is_temporary_for_that_message_only(error):
    assert is_temporary(error)
    assert not is_server_down(error)


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
