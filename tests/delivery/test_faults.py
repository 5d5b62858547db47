"""The outbox under faults, against real processes: a Celery worker (prefork, concurrency 2) on
a private Redis, PostgreSQL, and a real SMTP server (tests/delivery/smtpserver.py) that can
refuse connections or hang, or the file sink where a send can be held.

Each test counts every email by Message-ID (lost: a row never sent; doubled: a Message-ID
twice) and times the drain from the end of the fault. This process ticks every second where
beat dispatches every 15 s, so the drains here are shorter than in production; `make
bench-faults` runs the same faults with the real beat and writes bench/results/faults.md.
"""

import datetime
import time

import pytest
from django.utils import timezone

from couples import notifications
from couples.models import Notification
from sessions.notifications import REMINDER_1H, REMINDER_24H
from tests.delivery import harness
from tests.delivery.conftest import FINAL, statuses

pytestmark = pytest.mark.delivery

Status = Notification.Status


def tick_until_final(delivery, total: int, *, timeout: float) -> float:
    """Tick every second until `total` rows are final; the seconds it took."""
    start = time.monotonic()

    def final() -> bool:
        delivery.tick()
        return Notification.objects.filter(status__in=FINAL).count() == total

    delivery.wait_for(final, timeout=timeout, what=f"{total} notifications to be final")
    return time.monotonic() - start


def tick_for(delivery, seconds: float) -> None:
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        delivery.tick()
        time.sleep(1)


def sent_once(delivery, rows) -> dict[int, int]:
    """How often each of these rows reached the mail server, for those not sent exactly once."""
    counts = delivery.sent_counts()
    return {row.pk: counts.get(row.pk, 0) for row in rows if counts.get(row.pk, 0) != 1}


def test_a_mail_server_refusing_for_a_while_delivers_what_still_matters_once_and_expires_the_rest(
    delivery, due_sessions
):
    smtp = delivery.smtp_server()
    smtp.refuse()
    due_sessions(20)  # 40 24-hour reminders: their sessions are a day away
    soon = due_sessions(5, starts_at=timezone.now() + datetime.timedelta(seconds=10))
    notifications.notifications_create(
        harness.one_hour_reminders(soon, due_at=timezone.now())
    )  # 10 that will outlive them
    delivery.start_worker()

    tick_for(delivery, 14)  # the soon sessions start during the outage
    during = statuses()
    smtp.accept()
    drain = tick_until_final(delivery, 50, timeout=90)

    assert Status.SENT not in during and Status.FAILED not in during
    reminders = Notification.objects.filter(kind=REMINDER_24H)
    assert set(reminders.values_list("status", flat=True)) == {Status.SENT}
    assert sent_once(delivery, reminders) == {}
    expired = Notification.objects.filter(kind=REMINDER_1H)
    assert [(row.status, row.status_note) for row in expired] == [
        (Status.EXPIRED, "Not delivered before the session started")
    ] * 10
    assert not set(delivery.sent_counts()) & {row.pk for row in expired}
    assert max(row.attempts for row in reminders) >= 1
    assert drain < 45


def test_a_mail_server_that_hangs_holds_no_worker_and_loses_nothing(delivery, due_sessions):
    smtp = delivery.smtp_server()
    smtp.hang()
    due_sessions(20)  # 40 reminders
    delivery.start_worker()

    tick_for(delivery, 6)
    during = statuses()
    smtp.accept()
    drain = tick_until_final(delivery, 40, timeout=90)

    assert Status.SENT not in during and Status.FAILED not in during
    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert sent_once(delivery, rows) == {}
    assert drain < 45


def test_database_connections_dropped_while_emails_are_in_flight_double_none(
    delivery, due_sessions
):
    due_sessions(50)  # 100 reminders
    delivery.start_worker()
    delivery.tick()
    delivery.wait_for(lambda: delivery.messages_written() >= 10, timeout=30, what="a first few")

    # Both pool processes stop inside a send (rows claimed, nothing written), their database
    # connections are ended, and the sends go on: the "sent" marks meet dead connections.
    delivery.hold_sends()
    delivery.wait_for(lambda: len(delivery.held()) == 2, timeout=30, what="two held sends")
    assert delivery.terminate_connections() >= 2
    delivery.release_sends()
    drain = tick_until_final(delivery, 100, timeout=60)

    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert sent_once(delivery, rows) == {}
    assert set(rows.values_list("attempts", flat=True)) == {1}  # nothing was sent again
    assert drain < 30


def test_tasks_lost_with_the_broker_are_dispatched_again_after_the_short_lease(
    delivery, due_sessions
):
    due_sessions(10)  # 20 reminders
    assert delivery.tick() == 20  # one chunk waits in Redis; no worker yet
    delivery.redis.stop()  # a restart without persistence: the chunk is gone
    delivery.redis.start()
    delivery.start_worker()

    assert delivery.tick() == 0  # dispatched a moment ago: left alone
    # The broker's queue is empty, so nothing dispatched can still be waiting there.
    later = timezone.now() + notifications.DISPATCH_LEASE_IDLE + datetime.timedelta(seconds=1)
    assert delivery.tick(now=later) == 20
    delivery.wait_until_final(20)

    rows = Notification.objects.all()
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert sent_once(delivery, rows) == {}


def test_tasks_waiting_in_the_queue_are_not_dispatched_twice_before_the_long_lease(
    delivery, due_sessions
):
    due_sessions(10)  # 20 reminders
    assert delivery.tick() == 20  # one chunk waits in Redis; no worker yet
    now = timezone.now()

    assert delivery.tick(now=now + notifications.DISPATCH_LEASE_IDLE * 2) == 0
    assert (
        delivery.tick(now=now + notifications.DISPATCH_LEASE + datetime.timedelta(seconds=1)) == 20
    )
    assert delivery.redis.waiting_tasks(delivery.queue) == 2
