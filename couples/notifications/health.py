"""How the outbox is doing, for `/healthz` and the admin: how long the oldest message that
should have gone out has been waiting, and how many messages were never delivered lately."""

import dataclasses
import datetime

from django.conf import settings
from django.db.models import Case, Count, F, Min, Q, When

from couples.models import Notification

# The span over which failed and expired messages are counted for staff.
TROUBLE_WINDOW = datetime.timedelta(hours=24)


def outbox_stall_seconds() -> int:
    """How long a due message may wait unsent before the outbox counts as stalled."""
    return getattr(settings, "OUTBOX_STALL_SECONDS", 300)


def outbox_stalled(oldest_due_seconds: int | None) -> bool:
    """Whether a message has waited longer than OUTBOX_STALL_SECONDS since it fell due."""
    return oldest_due_seconds is not None and oldest_due_seconds > outbox_stall_seconds()


def outbox_oldest_due(now: datetime.datetime) -> datetime.datetime | None:
    """The moment since which the oldest message that is due and not sent has been waiting,
    or None when nothing is waiting.

    Only queued and sending rows wait. A row that has failed and is being retried
    (`last_error` set) has been waiting since it fell due (`due_at`), however far its next
    attempt has been moved; any other row waits from its `next_attempt_at` once that has
    passed, so a row held for quiet hours (next attempt in the future, no error) is not
    waiting at all.

    One aggregate. Its filter is written as an OR of the two statuses, not as IN, so that
    PostgreSQL reads each status's rows through its partial index (`notification_due` for
    queued, `notification_claimed` for sending) in a BitmapOr rather than scanning the whole
    table of sent messages.
    """
    return Notification.objects.filter(
        Q(status=Notification.Status.QUEUED) | Q(status=Notification.Status.SENDING)
    ).aggregate(
        at=Min(
            Case(
                When(~Q(last_error=""), then=F("due_at")),
                When(next_attempt_at__lte=now, then=F("next_attempt_at")),
            )
        )
    )["at"]


def seconds_since(moment: datetime.datetime | None, now: datetime.datetime) -> int | None:
    """Whole seconds from `moment` to `now` (never negative), or None without a moment."""
    if moment is None:
        return None
    return max(0, int((now - moment).total_seconds()))


@dataclasses.dataclass(frozen=True)
class OutboxTrouble:
    """What staff should hear about the outbox: messages never delivered in the last
    TROUBLE_WINDOW, and how long the oldest due message has been waiting."""

    failed: int
    expired: int
    oldest_due_at: datetime.datetime | None
    oldest_due_seconds: int | None

    @property
    def undelivered(self) -> int:
        return self.failed + self.expired

    @property
    def stalled(self) -> bool:
        return outbox_stalled(self.oldest_due_seconds)

    def __bool__(self) -> bool:
        return self.undelivered > 0 or self.stalled


def outbox_trouble(now: datetime.datetime) -> OutboxTrouble:
    """Failed and expired messages of the last 24 hours, and the oldest due message's wait.

    A row has no time of its last change, so "in the last 24 hours" means rows that fell due
    (`due_at`) in that span: a message that fell due earlier and failed only now is not
    counted, which for reminders a day or two long at most is close enough. Two queries:
    the counts, then `outbox_oldest_due`. The counts read failed and expired rows
    without an index on them, which is a scan of the table.
    """
    counts = Notification.objects.filter(
        status__in=[Notification.Status.FAILED, Notification.Status.EXPIRED],
        due_at__gte=now - TROUBLE_WINDOW,
    ).aggregate(
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        expired=Count("pk", filter=Q(status=Notification.Status.EXPIRED)),
    )
    oldest = outbox_oldest_due(now)
    return OutboxTrouble(
        failed=counts["failed"],
        expired=counts["expired"],
        oldest_due_at=oldest,
        oldest_due_seconds=seconds_since(oldest, now),
    )


def wait_phrase(seconds: int) -> str:
    """A wait in words, rounded down: "less than a minute", "7 minutes", "3 hours", "2 days"."""
    minutes = seconds // 60
    if minutes < 1:
        return "less than a minute"
    if minutes < 120:
        return _plural(minutes, "minute")
    if minutes < 48 * 60:
        return _plural(minutes // 60, "hour")
    return _plural(minutes // (24 * 60), "day")


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
