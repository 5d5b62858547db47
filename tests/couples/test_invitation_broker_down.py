"""An invitation while the broker is down: sent from the web process, the page unharmed.

tests/delivery/test_redis_down.py stops a real Redis; here `.delay` raises what Celery raises
when it cannot publish (kombu's OperationalError), on any database.
"""

import logging
import smtplib
from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse
from kombu.exceptions import OperationalError

from couples.models import User
from couples.services import accounts
from tests.auth import sign_in_with_mfa


@pytest.fixture
def broker_down(monkeypatch):
    def delay(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    task = SimpleNamespace(delay=delay)
    monkeypatch.setattr(accounts, "tasks", SimpleNamespace(invitation_email_send_task=task))


def test_an_invitation_is_emailed_from_the_web_process_while_the_broker_is_down(
    db, staff, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        user = accounts.user_invite(
            email="new.person@example.test", first_name="Nia", last_name="Cole", invited_by=staff
        )

    assert [message.to for message in mail.outbox] == [["new.person@example.test"]]
    assert "/accounts/invitation/" in mail.outbox[0].body
    warning = next(r for r in caplog.records if r.name == accounts.logger.name)
    assert warning.levelno == logging.WARNING
    assert f"user {user.pk} from this process" in warning.getMessage()


def test_an_invitation_that_cannot_be_sent_at_all_is_logged_and_the_account_kept(
    db, staff, broker_down, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def send(*, user):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(accounts, "invitation_email_send", send)

    with django_capture_on_commit_callbacks(execute=True):
        user = accounts.user_invite(
            email="p@example.test", first_name="P", last_name="Q", invited_by=staff
        )

    assert User.objects.filter(pk=user.pk, invited_at__isnull=False).exists()
    assert mail.outbox == []
    error = [r for r in caplog.records if r.levelno == logging.ERROR][-1]
    assert "Send the invitation email again" in error.getMessage()
    assert error.exc_info[0] is smtplib.SMTPServerDisconnected


def test_adding_a_user_in_admin_while_the_broker_is_down_answers_normally(
    client, staff, broker_down, django_capture_on_commit_callbacks
):
    sign_in_with_mfa(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:couples_user_add"),
            {"email": "lee@example.test", "first_name": "Lee", "last_name": "Wu"},
        )

    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["lee@example.test"]]
