import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import Notification
from couples.notifications import health
from insurance.permissions import insurance_staff_group
from tests.auth import sign_in_with_mfa
from tests.factories import UserFactory, outbox_row

# The admin index's queries for a signed-in superuser (session, user, recent actions), before
# the outbox notice adds its two (the counts, the oldest due message).
INDEX_QUERIES = 3


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


def _outbox(recipient, statuses, *, due_at=None):
    due_at = due_at or timezone.now() - datetime.timedelta(hours=2)
    return {
        status: outbox_row(
            recipient,
            due_at=due_at,
            status=status,
            last_error="" if status in ("queued", "sent", "withdrawn") else "SMTPDataError: 451",
            object_ref=f"couples.partner:{n}",
            dispatched_at=due_at,
            claimed_at=due_at,
            attempts=5,
        )
        for n, status in enumerate(statuses)
    }


def _send_again(client, rows):
    return client.post(
        reverse("admin:couples_notification_changelist"),
        {"action": "send_again", "_selected_action": [row.pk for row in rows]},
        follow=True,
    )


def test_send_again_queues_failed_and_expired_messages_and_skips_the_rest(client, partner_a):
    staff = _signed_in(client, is_superuser=True)
    rows = _outbox(partner_a.user, ["failed", "expired", "queued", "sent", "withdrawn"])
    before = timezone.now()

    response = _send_again(client, rows.values())

    assert response.status_code == 200
    content = response.content.decode()
    assert "Queued 2 message(s) to be sent again; skipped 3" in content
    assert "checked again before it is sent" in content
    for status in ("failed", "expired"):
        row = Notification.objects.get(pk=rows[status].pk)
        assert row.status == "queued"
        assert row.next_attempt_at >= before
        assert (row.dispatched_at, row.claimed_at, row.attempts) == (None, None, 0)
        assert row.status_note == f"Sent again by {staff.email}"
        assert row.last_error == ""  # a fresh start: /healthz counts its wait from now
    for status in ("queued", "sent", "withdrawn"):
        row = Notification.objects.get(pk=rows[status].pk)
        assert (row.status, row.attempts, row.status_note) == (status, 5, "")


def test_send_again_is_audited_once_per_message_against_its_patient(client, partner_a):
    staff = _signed_in(client, is_superuser=True)
    rows = _outbox(partner_a.user, ["failed", "expired", "sent"])

    _send_again(client, rows.values())

    events = AuditEvent.objects.filter(detail__change="sent again").order_by("target_id")
    assert [
        (event.target_id, event.detail["was"], event.detail["last_error"]) for event in events
    ] == [
        (str(rows["failed"].pk), "failed", "SMTPDataError: 451"),
        (str(rows["expired"].pk), "expired", "SMTPDataError: 451"),
    ]
    for event in events:
        assert event.action == AuditEvent.Action.UPDATE
        assert event.actor == staff
        assert event.target_type == "couples.Notification"
        assert event.patient == partner_a


def test_send_again_with_nothing_to_send_says_so(client, partner_a):
    _signed_in(client, is_superuser=True)
    rows = _outbox(partner_a.user, ["sent"])

    response = _send_again(client, rows.values())

    assert "Queued 0 message(s) to be sent again; skipped 1" in response.content.decode()
    assert not AuditEvent.objects.filter(detail__change="sent again").exists()


def test_staff_who_cannot_open_the_outbox_cannot_send_again(client, partner_a):
    user = _signed_in(client)
    user.groups.add(insurance_staff_group())
    user.user_permissions.add(Permission.objects.get(codename="change_notification"))
    rows = _outbox(partner_a.user, ["failed"])

    response = _send_again(client, rows.values())

    assert response.status_code == 403
    assert Notification.objects.get(pk=rows["failed"].pk).status == "failed"


def test_a_partner_cannot_send_again(client, partner_a):
    client.force_login(partner_a.user)
    rows = _outbox(partner_a.user, ["failed"])

    response = client.post(
        reverse("admin:couples_notification_changelist"),
        {"action": "send_again", "_selected_action": [rows["failed"].pk]},
    )

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert Notification.objects.get(pk=rows["failed"].pk).status == "failed"


def test_the_outbox_list_filters_by_status(client, partner_a):
    _signed_in(client, is_superuser=True)
    _outbox(partner_a.user, ["failed", "expired", "sent"])

    response = client.get(
        reverse("admin:couples_notification_changelist") + "?status__in=failed,expired"
    )

    assert response.status_code == 200
    assert list(
        response.context["cl"].result_list.values_list("status", flat=True).order_by("status")
    ) == [
        "expired",
        "failed",
    ]
    assert b"?status__exact=expired" in response.content  # the filter in the sidebar


NOTICE = b'id="outbox-notice"'


def test_the_admin_index_warns_of_undelivered_and_stalled_messages(
    client, partner_a, django_assert_max_num_queries
):
    _signed_in(client, is_superuser=True)
    _outbox(partner_a.user, ["failed", "expired", "expired", "sent"])
    _outbox(
        partner_a.user, ["queued"], due_at=timezone.now() - datetime.timedelta(minutes=7, seconds=5)
    )

    client.get(reverse("admin:index"))  # the session's first page reads a little more

    with django_assert_max_num_queries(INDEX_QUERIES + 2):
        response = client.get(reverse("admin:index"))

    content = response.content.decode()
    assert NOTICE.decode() in content
    assert "3 messages could not be delivered in the last 24 hours." in content
    assert "The oldest message waiting has been due for 7 minutes." in content
    assert 'href="/admin/couples/notification/?status__in=failed%2Cexpired"' in content


def test_the_admin_index_warns_of_one_undelivered_message_alone(client, partner_a):
    _signed_in(client, is_superuser=True)
    _outbox(partner_a.user, ["failed"])

    content = client.get(reverse("admin:index")).content.decode()

    assert "1 message could not be delivered in the last 24 hours." in content
    assert "The oldest message waiting" not in content


def test_the_admin_index_has_no_notice_when_messages_get_through(
    client, partner_a, django_assert_max_num_queries
):
    _signed_in(client, is_superuser=True)
    _outbox(partner_a.user, ["sent", "withdrawn"])
    _outbox(partner_a.user, ["queued"], due_at=timezone.now() - datetime.timedelta(minutes=1))
    # Undelivered more than a day ago is old news.
    _outbox(partner_a.user, ["failed"], due_at=timezone.now() - datetime.timedelta(hours=30))

    client.get(reverse("admin:index"))  # the session's first page reads a little more

    with django_assert_max_num_queries(INDEX_QUERIES + 2):
        response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert NOTICE not in response.content


def test_staff_who_cannot_open_the_outbox_get_no_notice(client, partner_a, monkeypatch):
    user = _signed_in(client)
    user.groups.add(insurance_staff_group())
    _outbox(partner_a.user, ["failed"])
    monkeypatch.setattr(health, "outbox_trouble", _not_called)

    response = client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert NOTICE not in response.content


def test_only_the_admin_index_reads_the_outbox(client, partner_a, monkeypatch):
    _signed_in(client, is_superuser=True)
    _outbox(partner_a.user, ["failed"])
    monkeypatch.setattr(health, "outbox_trouble", _not_called)

    response = client.get(reverse("admin:couples_user_changelist"))

    assert response.status_code == 200
    assert NOTICE not in response.content


def _not_called(now):
    raise AssertionError("the outbox was read")
