"""The sign-in notice names the moment of the change as the person reads times (issue 20)."""

import datetime

import pytest
from django.core import mail

from couples import services
from couples.models import Notification, NotificationPreference
from couples.notifications import notification_send

pytestmark = pytest.mark.timeshift


def notice_body(user) -> str:
    notice = Notification.objects.get(recipient=user)
    notification_send(notification_id=notice.pk)
    (email,) = mail.outbox
    return email.body


@pytest.mark.time_machine(datetime.datetime(2026, 12, 7, 23, 0, tzinfo=datetime.UTC), tick=False)
def test_the_notice_says_when_in_the_couples_zone(partner_a):
    services.second_factor_changed(request=None, user=partner_a.user, change="added")

    assert "set up for two-factor sign-in on Monday, December 7 at 6:00 PM ET." in (
        notice_body(partner_a.user)
    )


@pytest.mark.time_machine(datetime.datetime(2026, 7, 6, 23, 0, tzinfo=datetime.UTC), tick=False)
def test_the_notice_says_when_in_the_persons_own_zone(partner_a):
    NotificationPreference.objects.create(user=partner_a.user, time_zone="Europe/London")

    services.second_factor_changed(request=None, user=partner_a.user, change="removed")

    assert "removed from two-factor sign-in on Tuesday, July 7 at 12:00 AM BST." in (
        notice_body(partner_a.user)
    )
