import time

import pytest
from django.core import mail

from couples import services

pytestmark = pytest.mark.delivery


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_an_invitation_travels_through_redis_to_a_worker_and_is_emailed(
    redis_worker, django_user_model
):
    staff = django_user_model.objects.create_user(
        "boss@example.test", "a long admin passphrase", is_staff=True
    )

    services.user_invite(
        email="invitee@example.test", first_name="In", last_name="Vitee", invited_by=staff
    )

    assert _wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["invitee@example.test"]
