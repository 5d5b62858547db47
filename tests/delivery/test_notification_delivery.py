"""The notification outbox against real processes: Celery workers (prefork, concurrency 2) on a
private Redis, beat ticks, PostgreSQL, and a mail sink that keeps one file per email sent.

Exactly once is checked two ways: each row's Message-ID is in the sink once, and every row
ends `sent` (or `withdrawn` when it should not go).
"""

import datetime
import re
import time

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from couples import notifications
from couples.models import Notification
from couples.tasks import notification_batch_send_task
from sessions import services as session_services
from sessions.notifications import MOVED, REMINDER_24H

pytestmark = pytest.mark.delivery

Status = Notification.Status


def assert_each_sent_once(delivery, total: int) -> None:
    counts = delivery.sent_counts()
    twice = {pk: count for pk, count in counts.items() if count != 1}
    assert twice == {}
    assert len(counts) == total
    sent = set(Notification.objects.filter(status=Status.SENT).values_list("pk", flat=True))
    assert set(counts) == sent


def dispatched_in(output: str) -> int:
    match = re.search(r"(\d+) notifications dispatched", output)
    assert match, output
    return int(match.group(1))


def test_every_due_reminder_is_emailed_once_and_another_tick_sends_nothing_more(
    delivery, due_sessions
):
    due_sessions(40)  # two partners each: 80 reminders
    delivery.start_worker()

    dispatched = delivery.tick()
    delivery.wait_until_final(80)
    again = delivery.tick()
    time.sleep(1)  # anything the second tick had set off would be in the sink by now

    assert (dispatched, again) == (80, 0)
    assert_each_sent_once(delivery, 80)
    assert Notification.objects.filter(kind=REMINDER_24H, status=Status.SENT).count() == 80


def test_a_worker_killed_in_the_middle_of_a_batch_and_restarted_sends_every_message_once(
    delivery, due_sessions
):
    due_sessions(150)  # 300 reminders
    first = delivery.start_worker("first")
    delivery.tick()
    delivery.wait_for(lambda: delivery.messages_written() >= 20, timeout=30, what="a first few")

    # Both pool processes stop inside their next send, rows claimed and nothing written yet.
    delivery.hold_sends()
    delivery.wait_for(lambda: len(delivery.held()) == 2, timeout=30, what="two held sends")
    first.kill()
    sent_before = delivery.messages_written()
    claimed = list(Notification.objects.filter(status=Status.SENDING).values_list("pk", flat=True))
    assert len(claimed) == 2
    assert 20 <= sent_before < 300

    # A tick after both leases have run out finds what the dead worker left: rows claimed
    # past their lease, rows dispatched that nobody finished. Every unsent row is dispatched
    # again, including those whose first task still waits in Redis.
    later = timezone.now() + notifications.DISPATCH_LEASE + datetime.timedelta(seconds=1)
    redispatched = delivery.tick(now=later)
    delivery.release_sends()
    delivery.start_worker("second")
    delivery.wait_until_final(300)

    assert redispatched == 300 - sent_before
    assert_each_sent_once(delivery, 300)
    attempts = Notification.objects.filter(pk__in=claimed).values_list("attempts", flat=True)
    assert list(attempts) == [2, 2]  # claimed by the dead worker, then by the new one


def test_two_workers_at_once_never_send_a_message_twice(delivery, due_sessions):
    due_sessions(100)  # 200 reminders
    workers = [delivery.start_worker(name, wait=False) for name in ("one", "two")]
    for worker in workers:
        worker.wait_ready()

    # Every task published twice in a row, as a redelivery would: four pool processes race
    # for each row.
    now = timezone.now()
    notifications.notifications_plan(now=now)
    dispatched = notifications.notifications_dispatch(
        now=now,
        send=lambda ids: [
            notification_batch_send_task.delay(notification_ids=ids) for _ in range(2)
        ],
    )
    delivery.wait_until_final(200)

    assert dispatched == 200
    assert_each_sent_once(delivery, 200)
    assert all(worker.tasks_received() > 0 for worker in workers)


def test_a_session_moved_after_its_reminder_was_queued_sends_the_new_reminder_not_the_old(
    delivery, due_sessions
):
    [session] = due_sessions(1)
    assert delivery.tick() == 2
    assert delivery.redis.waiting_tasks(delivery.queue) == 1  # one chunk; no worker took it yet
    old = list(Notification.objects.filter(kind=REMINDER_24H).values_list("pk", flat=True))
    old_start = session.starts_at
    new_start = old_start - datetime.timedelta(minutes=30)

    session_services.session_reschedule(  # by its clinician: only the partners hear of it
        session=session,
        starts_at=new_start,
        reason="The clinician is unwell",
        by=session.created_by,
    )
    delivery.start_worker()
    delivery.tick()
    delivery.wait_until_final(6)  # two old reminders, two new ones, two notices of the move

    rows = Notification.objects.order_by("pk")
    assert [(row.kind, row.slot, row.status) for row in rows] == [
        (REMINDER_24H, old_start, Status.WITHDRAWN),
        (REMINDER_24H, old_start, Status.WITHDRAWN),
        (MOVED, new_start, Status.SENT),
        (MOVED, new_start, Status.SENT),
        (REMINDER_24H, new_start, Status.SENT),
        (REMINDER_24H, new_start, Status.SENT),
    ]
    assert_each_sent_once(delivery, 4)
    assert not set(old) & set(delivery.sent_counts())


def test_redis_stopped_for_30_seconds_while_reminders_fall_due_sends_all_once_it_returns(
    delivery, due_sessions
):
    due_sessions(10)  # 20 reminders due now, sent before the outage
    delivery.start_worker()
    delivery.tick()
    delivery.wait_until_final(20)
    for seconds in (5, 15, 25):  # 20 more fall due every 10 s while Redis is down
        due_sessions(10, starts_at=timezone.now() + datetime.timedelta(hours=24, seconds=seconds))

    delivery.redis.stop()
    outage_ends = time.monotonic() + 30
    ticks = []
    while time.monotonic() < outage_ends:
        # Planning needs only the database; publishing fails and rolls the claim back.
        try:
            ticks.append(delivery.tick())
        except OperationalError:
            ticks.append("failed")
        assert not Notification.objects.filter(
            status=Status.QUEUED, dispatched_at__isnull=False
        ).exists()
        time.sleep(min(5, max(0, outage_ends - time.monotonic())))
    queued_in_outage = Notification.objects.filter(status=Status.QUEUED).count()
    delivery.redis.start()
    delivery.tick()
    delivery.wait_until_final(80)

    assert ticks.count("failed") >= 4 and set(ticks) <= {0, "failed"}
    assert queued_in_outage == 60
    assert_each_sent_once(delivery, 80)


def test_two_beats_at_once_dispatch_each_message_once(delivery, due_sessions):
    due_sessions(300, couples=20)  # 600 reminders: more than one dispatch batch
    delivery.start_worker()

    with delivery.start_line(runners=2):
        beats = [delivery.start_beat(name) for name in ("beat-one", "beat-two")]
    assert [beat.wait(timeout=60) for beat in beats] == [0, 0], delivery.logs()
    delivery.wait_until_final(600)

    assert sum(dispatched_in(beat.output()) for beat in beats) == 600
    assert_each_sent_once(delivery, 600)
