"""Sending outbox rows: claim, re-check, quiet hours, the email, and retries with backoff."""

import datetime
import logging
import random
import smtplib

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, OuterRef, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from common.sites import site_host
from couples.models import Notification, Partner
from couples.notifications import registry
from couples.notifications.recipients import Recipient, quiet_until, recipient_for
from couples.notifications.registry import Kind, Message

# The outbox's logger keeps the name it had as one module.
logger = logging.getLogger("couples.notifications")

MAX_ATTEMPTS = 5
# Backoff before retry n (1-based), before jitter; the longest stays below DISPATCH_LEASE.
RETRY_DELAYS = (30, 60, 120, 240, 480)


class TemporaryError(Exception):
    """A failure worth trying again (the mail server is unreachable or busy)."""


def is_temporary(error: Exception) -> bool:
    """Worth trying again later: a 4xx reply, a refused or dropped connection, a timeout (the
    mail server's, EMAIL_TIMEOUT, or the task's soft time limit). A 5xx reply, or a refused
    sender or recipient, is final."""
    if isinstance(error, TemporaryError | SoftTimeLimitExceeded):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPSenderRefused):
        return False
    return isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError | TimeoutError)


def retry_delay(attempt: int) -> int:
    """Seconds before the next try: exponential backoff with full jitter on the upper half."""
    base = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1]
    return base // 2 + random.randint(0, base // 2)


def notification_email(*, notification: Notification, recipient: Recipient, message: Message):
    context = {
        "clinic_name": settings.CLINIC_DISCREET_NAME,
        "site_url": settings.SITE_URL,
        "first_name": recipient.first_name,
        "lines": message.lines,
        "link": settings.SITE_URL + message.link,
        "action": message.action,
        "more_links": [(label, settings.SITE_URL + path) for label, path in message.more_links],
        "preferences_link": settings.SITE_URL + "/notifications/preferences/",
    }
    host = site_host(settings.SITE_URL)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=render_to_string("emails/notification_body.txt", context),
        to=[recipient.user.email],
        # Stable per row: a duplicate after a crash is recognisable as the same message.
        headers={"Message-ID": f"<notification-{notification.pk}@{host}>"},
    )
    email.attach_alternative(
        render_to_string("emails/notification_body.html", context), "text/html"
    )
    for filename, content, mimetype in message.attachments:
        email.attach(filename, content, mimetype)
    return email


# A partner's couple's zone, read with the row to send (a recipient's own zone comes first).
_COUPLE_ZONE_OF_RECIPIENT = Partner.objects.filter(user=OuterRef("recipient_id")).values(
    "couple__time_zone"
)[:1]


def notification_send(*, notification_id: int, now: datetime.datetime | None = None) -> int | None:
    """Send one row if it is still due and still true. Returns seconds until a retry, if one
    is wanted; the caller (the task) schedules it."""
    return notifications_send(notification_ids=[notification_id], now=now).get(notification_id)


def notifications_send(
    *, notification_ids: list[int], now: datetime.datetime | None = None
) -> dict[int, int]:
    """Send these rows one after another, each as notification_send would, with the rows and
    what their kinds need (`Kind.load`) read once for all. Returns the seconds until a retry
    of each row that wants one.

    A row withdrawn or claimed elsewhere after it was read is still skipped: its claim
    re-reads its status."""
    rows = {
        row.pk: row
        for row in Notification.objects.select_related(
            "recipient", "recipient__notification_preference"
        )
        .annotate(recipient_couple_zone=Subquery(_COUPLE_ZONE_OF_RECIPIENT))
        .filter(pk__in=notification_ids, status=Notification.Status.QUEUED)
    }
    by_kind: dict[str, list[Notification]] = {}
    for row in rows.values():
        by_kind.setdefault(row.kind, []).append(row)
    for name, group in by_kind.items():
        kind = registry.KINDS.get(name)
        if kind is not None and kind.load is not None:
            try:
                kind.load(group)
            except Exception:
                # Each row then reads its own, and a row its check cannot read fails alone.
                logger.exception("loading %s notifications failed", name)
    retries = {}
    for pk in notification_ids:
        if pk in rows:
            retry_in = _send(rows[pk], now=now or timezone.now())
            if retry_in is not None:
                retries[pk] = retry_in
    return retries


def _send(notification: Notification, *, now: datetime.datetime) -> int | None:
    if notification.next_attempt_at > now + datetime.timedelta(seconds=5):
        return None  # not due yet
    kind = registry.KINDS.get(notification.kind)
    recipient = recipient_for(
        notification.recipient, couple_zone=notification.recipient_couple_zone
    )
    if kind is not None and kind.respects_quiet_hours:
        until = quiet_until(recipient, now)
        if until is not None:
            Notification.objects.filter(
                pk=notification.pk, status=Notification.Status.QUEUED
            ).update(next_attempt_at=until, dispatched_at=None, status_note="Held for quiet hours")
            return None
    claimed = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.QUEUED
    ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return None  # another worker has it
    attempt = notification.attempts + 1
    try:
        reason = _withdraw_reason(notification, recipient, kind)
        if reason:
            _finish(notification, status=Notification.Status.WITHDRAWN, status_note=reason)
            return None
        message = kind.message(notification, recipient)
        emailed = kind.always_emailed or recipient.preference.email_enabled
        if emailed:
            notification_email(
                notification=notification, recipient=recipient, message=message
            ).send()
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"[:500]
        if is_temporary(error) and attempt < MAX_ATTEMPTS:
            delay = retry_delay(attempt)
            _finish(
                notification,
                status=Notification.Status.QUEUED,
                last_error=detail,
                next_attempt_at=now + datetime.timedelta(seconds=delay),
                dispatched_at=now,
            )
            return delay
        logger.warning("notification %s failed: %s", notification.pk, detail)
        _finish(notification, status=Notification.Status.FAILED, last_error=detail)
        return None
    _finish(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        emailed=emailed,
        in_app=recipient.preference.in_app_enabled,
        subject=message.subject[:200],
        link=message.link[:300],
    )
    return None


def _withdraw_reason(notification: Notification, recipient: Recipient, kind: Kind | None) -> str:
    if kind is None:
        return f"Unknown kind {notification.kind}"
    if not recipient.user.is_active:
        return "Recipient is deactivated"
    return kind.check(notification, recipient)


def _finish(notification: Notification, **changes) -> None:
    Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
        **changes
    )
