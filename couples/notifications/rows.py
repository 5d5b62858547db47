"""Writing outbox rows: creating, withdrawing and reviving them, and marking them read."""

import datetime
from collections.abc import Iterable

from django.db.models import F
from django.utils import timezone

from couples.models import Notification, User
from couples.notifications.registry import Draft


def notifications_create(drafts: Iterable[Draft]) -> int:
    """Insert the rows for these drafts; keys that exist already are left alone. Returns the
    number of drafts offered (the database does not report how many were new)."""
    # In key order, so two ticks inserting the same keys lock them in the same order and
    # cannot deadlock each other.
    drafts = sorted(drafts, key=lambda d: (d.kind, d.recipient_id, d.object_ref, d.slot))
    rows = [
        Notification(
            kind=draft.kind,
            recipient_id=draft.recipient_id,
            object_ref=draft.object_ref,
            slot=draft.slot,
            due_at=draft.due_at,
            next_attempt_at=draft.due_at,
        )
        for draft in drafts
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return len(rows)


def notifications_withdraw(*, object_ref: str, kinds: Iterable[str], reason: str) -> int:
    """Withdraw the unsent messages about something that changed. A message already claimed
    by a worker is stopped by that worker's own re-check."""
    return Notification.objects.filter(
        object_ref=object_ref, kind__in=list(kinds), status=Notification.Status.QUEUED
    ).update(status=Notification.Status.WITHDRAWN, status_note=reason[:200])


def notifications_revive(*, object_ref: str, kinds: Iterable[str], slot: datetime.datetime) -> int:
    """Queue again withdrawn messages whose key is true again (a session moved back)."""
    return Notification.objects.filter(
        object_ref=object_ref,
        kind__in=list(kinds),
        slot=slot,
        status=Notification.Status.WITHDRAWN,
        sent_at__isnull=True,
    ).update(
        status=Notification.Status.QUEUED,
        next_attempt_at=F("due_at"),
        dispatched_at=None,
        status_note="",
    )


def notification_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark one (or, without pk, every) delivered notification of this user read."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True, in_app=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=timezone.now())
