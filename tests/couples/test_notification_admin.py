import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Notification
from insurance.permissions import insurance_staff_group
from tests.auth import sign_in_with_mfa
from tests.factories import UserFactory


@pytest.fixture
def outbox_rows(partner_a):
    now = timezone.now()
    return [
        Notification.objects.create(
            kind="session_reminder_24h",
            recipient=partner_a.user,
            object_ref=f"therapy_sessions.therapysession:{n}",
            slot=now + datetime.timedelta(days=n),
            due_at=now,
            next_attempt_at=now,
            status=status,
            last_error="SMTPServerDisconnected: gone" if status == "failed" else "",
        )
        for n, status in enumerate(["queued", "failed"])
    ]


def _signed_in(client, **flags):
    user = UserFactory(is_staff=True, **flags)
    sign_in_with_mfa(client, user)
    return user


def test_a_superuser_sees_the_outbox_with_failures_and_their_errors(client, outbox_rows):
    _signed_in(client, is_superuser=True)

    response = client.get(reverse("admin:couples_notification_changelist") + "?status=failed")

    assert response.status_code == 200
    assert b"SMTPServerDisconnected: gone" in response.content
    detail = client.get(reverse("admin:couples_notification_change", args=[outbox_rows[0].pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content  # read-only


def test_insurance_staff_cannot_open_the_outbox(client, outbox_rows):
    user = _signed_in(client)
    user.groups.add(insurance_staff_group())

    response = client.get(reverse("admin:couples_notification_changelist"))

    assert response.status_code == 403
