"""The outbox's side of the minute tick: plan what has fallen due, rescue, dispatch."""

import datetime
from collections.abc import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from couples.models import Notification
from couples.notifications import registry
from couples.notifications.rows import notifications_create

# The send task's time limits (couples/tasks.py): the soft one interrupts a send, the hard
# one kills the worker process. No live worker holds a row longer than SEND_TIME_LIMIT.
SEND_SOFT_TIME_LIMIT = 40
SEND_TIME_LIMIT = 50
# A claimed row whose worker has not finished within this time is handed out again: its
# worker is dead, since the hard time limit would have ended it by now. So a live worker is
# never overtaken, and a killed one's rows are back in work within about a minute.
SEND_LEASE = datetime.timedelta(seconds=SEND_TIME_LIMIT + 10)
# A dispatched row no worker has claimed within this time is dispatched again: its task was
# lost with a worker (a killed worker's reserved tasks come back only after the broker's
# visibility timeout) or with the broker. When the broker's queue is empty nothing can still
# be waiting there, so the short lease applies; while tasks wait in it (a backlog), the long
# one, so a slow drain is not dispatched twice over. A second dispatch sends nothing twice
# (the claim decides), it only costs a task.
DISPATCH_LEASE_IDLE = datetime.timedelta(seconds=60)
DISPATCH_LEASE = datetime.timedelta(minutes=10)
# Rows claimed and dispatched per transaction of the tick.
DISPATCH_BATCH = 500
# Rows per send task: one task per row spent ~2.5 ms of broker and worker overhead per email.
SEND_CHUNK = 20


def notifications_plan(*, now: datetime.datetime) -> int:
    """Ask every kind what has fallen due and write the rows that do not exist yet."""
    planned = 0
    minute = timezone.localtime(now).minute
    for kind in registry.KINDS.values():
        if kind.plan is not None and minute % kind.plan_every_minutes == 0:
            planned += notifications_create(kind.plan(now))
    return planned


def notifications_rescue(*, now: datetime.datetime) -> int:
    """Rows claimed by a worker that never finished go back to the queue, due as they were
    when claimed (they are sent again with the same Message-ID)."""
    return Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - SEND_LEASE
    ).update(status=Notification.Status.QUEUED, dispatched_at=None)


def notifications_dispatch(
    *,
    now: datetime.datetime,
    send: Callable[[list[int]], None],
    lease: datetime.timedelta = DISPATCH_LEASE,
) -> int:
    """Hand every due row to workers (`send` gets up to SEND_CHUNK ids at a time), in batches
    claimed with SKIP LOCKED; a row dispatched more than `lease` ago and still queued is
    dispatched again.

    Two ticks at once (two beats) take different rows. The tasks are published inside the
    transaction: if the broker is down the claim rolls back and the next tick tries again.
    """
    dispatched = 0
    while True:
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=Notification.Status.QUEUED, next_attempt_at__lte=now)
                .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - lease))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:DISPATCH_BATCH]
            )
            if not ids:
                return dispatched
            Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
            for start in range(0, len(ids), SEND_CHUNK):
                send(ids[start : start + SEND_CHUNK])
        dispatched += len(ids)
