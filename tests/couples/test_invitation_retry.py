"""An invitation that meets a mail outage is tried again (issue 18: nothing lost to a mail
outage), and one the mail server refuses for good is not."""

import smtplib

import pytest
from celery.exceptions import Retry
from django.core import mail

from couples import tasks
from couples.services import accounts


@pytest.fixture
def invited(db, staff, monkeypatch):
    # Invite without sending: the test sends.
    monkeypatch.setattr(accounts, "_invitation_email_queue", lambda **kwargs: None)
    return accounts.user_invite(
        email="new.person@example.test", first_name="Nia", last_name="Cole", invited_by=staff
    )


def failing_then_sending(monkeypatch, errors):
    send = accounts.invitation_email_send
    calls = []

    def flaky(*, user):
        calls.append(user.pk)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return send(user=user)

    monkeypatch.setattr(accounts, "invitation_email_send", flaky)
    monkeypatch.setattr(tasks.services, "invitation_email_send", flaky)
    return calls


def test_an_invitation_that_meets_a_mail_outage_is_sent_when_the_server_answers(
    invited, monkeypatch
):
    calls = failing_then_sending(
        monkeypatch,
        [ConnectionRefusedError(111, "Connection refused"), TimeoutError("timed out")],
    )

    waits = []
    for retries in range(3):  # the worker runs the task again with request.retries counted
        try:
            tasks.invitation_email_send_task.apply(kwargs={"user_id": invited.pk}, retries=retries)
        except Retry as retry:
            waits.append(retry.when)

    assert waits == [60, 120]  # then 4, 8, 16 minutes, and every 30 for about a day
    assert len(calls) == 3
    assert [message.to for message in mail.outbox] == [["new.person@example.test"]]


def test_the_wait_between_tries_stops_growing_at_30_minutes(invited, monkeypatch):
    failing_then_sending(monkeypatch, [TimeoutError("timed out")])

    with pytest.raises(Retry) as retried:
        tasks.invitation_email_send_task.apply(kwargs={"user_id": invited.pk}, retries=10)

    assert retried.value.when == tasks.INVITATION_RETRY_MAX_SECONDS


def test_an_invitation_refused_for_good_is_not_tried_again(invited, monkeypatch):
    calls = failing_then_sending(
        monkeypatch, [smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")})] * 3
    )

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        tasks.invitation_email_send_task.apply(kwargs={"user_id": invited.pk})

    assert len(calls) == 1
    assert mail.outbox == []
