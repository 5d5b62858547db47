import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from audit.models import AuditEvent
from couples import queries
from couples.models import NotificationPreference
from tests.factories import NotificationFactory


def test_my_notification_list_holds_only_what_reached_me_in_the_app_newest_first(
    partner_a, partner_b
):
    now = timezone.now()
    older = NotificationFactory(recipient=partner_a.user, sent_at=now - datetime.timedelta(hours=1))
    newer = NotificationFactory(recipient=partner_a.user, sent_at=now)
    NotificationFactory(recipient=partner_a.user, in_app=False)
    NotificationFactory(recipient=partner_a.user, status="failed", sent_at=None, in_app=False)
    NotificationFactory(recipient=partner_b.user)

    assert list(queries.notification_list_for_user(user=partner_a.user)) == [newer, older]


def test_the_unread_count_leaves_out_read_and_email_only_notifications(partner_a):
    NotificationFactory(recipient=partner_a.user)
    NotificationFactory(recipient=partner_a.user, read_at=timezone.now())
    NotificationFactory(recipient=partner_a.user, in_app=False)

    assert queries.notification_unread_count_for_user(user=partner_a.user) == 1


def test_someone_elses_notification_is_an_audited_404(partner_a, partner_b):
    theirs = NotificationFactory(recipient=partner_b.user)

    with pytest.raises(Http404):
        queries.notification_get_for_user(user=partner_a.user, pk=theirs.pk)

    assert AuditEvent.objects.get(allowed=False).actor == partner_a.user


def test_without_saved_preferences_the_defaults_are_returned_unsaved(partner_a):
    preference = queries.notification_preference_for_user(user=partner_a.user)

    assert preference.pk is None
    assert preference.email_enabled and preference.checkin_prompt_time == datetime.time(20)
    assert not NotificationPreference.objects.exists()
