"""Sending outbox rows: claim, re-check, quiet hours, the email, and retries with backoff."""

import datetime
import logging
import random
import smtplib
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import InterfaceError, OperationalError, connection
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

# Backoff before retry n (1-based) of one row, before jitter: a 4xx reply about that address
# (a full mailbox, greylisting). Capped at the last value; the row is tried until it expires.
RETRY_DELAYS = (30, 60, 120, 300, 600)
# While the mail server itself is unreachable only one send at a time probes it, at these
# intervals (then the last, until it answers); every other row waits for the probe, so a
# server back up is found within PROBE_DELAYS[-1] seconds and the backlog drains at once.
PROBE_DELAYS = (5, 10, 20, 30)
MAIL_DOWN_KEY = "outbox:mail-down"
# A "sent" mark that meets a dropped database connection is retried on a new one after these
# pauses (about 16 s in all, inside the send task's soft time limit even after a slow send).
MARK_RETRY_DELAYS = (0.2, 0.5, 1, 2, 4, 8)


class TemporaryError(Exception):
    """A failure worth trying again (the mail server is unreachable or busy)."""


def is_temporary(error: Exception) -> bool:
    """Worth trying again later: the server down (see is_server_down) or a 4xx reply about
    this message or its address. A 5xx reply about it is final."""
    if is_server_down(error):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # Every recipient refused; temporary only if every refusal was a 4xx.
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return False


def is_server_down(error: Exception) -> bool:
    """The mail server as a whole cannot be reached or refuses service (not one address):
    a refused, dropped or timed-out connection, the task's soft time limit, a greeting other
    than 220, a 421 reply, or refused credentials (a setting to fix, not a reason to give up
    on every message meanwhile)."""
    if isinstance(error, smtplib.SMTPConnectError | smtplib.SMTPAuthenticationError):
        return True
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code == 421
    return isinstance(
        error,
        TemporaryError
        | SoftTimeLimitExceeded
        | smtplib.SMTPServerDisconnected
        | ConnectionError
        | TimeoutError,
    )


class MailState:
    """What one chunk knows of the mail server, shared between workers through the cache.

    When a send finds the server down, the moment of the next probe is written to the cache;
    until then every worker leaves its emails queued for that moment without trying them
    (in-app-only rows go on). The first send after that moment is the probe: if it fails, the
    next probe is later (PROBE_DELAYS); if it goes through, the mark is removed. Read once per
    chunk; a cache that cannot be read counts as "up" (a send is the better probe)."""

    def __init__(self, now: datetime.datetime):
        self.state = self._read()
        self.error = (self.state or {}).get("error", "")
        self.down_until: datetime.datetime | None = None
        if self.state and self.state["until"] > now:
            self.down_until = self.state["until"]

    @staticmethod
    def _read() -> dict | None:
        try:
            return cache.get(MAIL_DOWN_KEY)
        except Exception:
            logger.warning("the outbox could not read the mail server's state", exc_info=True)
            return None

    def down(self, now: datetime.datetime, error: str) -> datetime.datetime:
        """The server is down: the next probe is due after a delay that grows with each."""
        probes = (self.state or {}).get("probes", 0) + 1
        since = (self.state or {}).get("since", now)
        self.down_until = now + datetime.timedelta(
            seconds=PROBE_DELAYS[min(probes, len(PROBE_DELAYS)) - 1]
        )
        self.error = error
        self.state = {"until": self.down_until, "since": since, "probes": probes, "error": error}
        try:
            cache.set(MAIL_DOWN_KEY, self.state, timeout=24 * 3600)
        except Exception:
            logger.warning("the outbox could not record the mail server's state", exc_info=True)
        return self.down_until

    def up(self) -> None:
        if self.state is not None:
            self.state = None
            logger.info("the mail server answers again")
            try:
                cache.delete(MAIL_DOWN_KEY)
            except Exception:
                logger.warning("the outbox could not clear the mail server's state")


def mail_down_since() -> datetime.datetime | None:
    """Since when sends have found the mail server unreachable (None: it answers)."""
    state = MailState._read()
    return state["since"] if state else None


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
_CHOSEN_NAME_OF_RECIPIENT = Partner.objects.filter(user=OuterRef("recipient_id")).values(
    "preferred_name"
)[:1]


def notification_send(*, notification_id: int, now: datetime.datetime | None = None) -> int | None:
    """Send one row if it is still due and still true. Returns seconds until it is tried
    again, if it is to be (the minute tick dispatches it then)."""
    return notifications_send(notification_ids=[notification_id], now=now).get(notification_id)


def notifications_send(
    *, notification_ids: list[int], now: datetime.datetime | None = None
) -> dict[int, int]:
    """Send these rows one after another, each as notification_send would, with the rows and
    what their kinds need (`Kind.load`) read once for all. Returns the seconds until the next
    try of each row that is to be tried again.

    A row withdrawn or claimed elsewhere after it was read is still skipped: its claim
    re-reads its status. If the task's soft time limit strikes, the row being sent is retried
    later and the rest of the chunk goes back to the tick at once."""
    rows = _database(
        lambda: {
            row.pk: row
            for row in Notification.objects.select_related(
                "recipient", "recipient__notification_preference"
            )
            .annotate(
                recipient_couple_zone=Subquery(_COUPLE_ZONE_OF_RECIPIENT),
                recipient_preferred_name=Subquery(_CHOSEN_NAME_OF_RECIPIENT),
            )
            .filter(pk__in=notification_ids, status=Notification.Status.QUEUED)
        }
    )
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
    mail = MailState(now or timezone.now())
    retries = {}
    for index, pk in enumerate(notification_ids):
        if pk not in rows:
            continue
        try:
            retry_in = _send(rows[pk], now=now or timezone.now(), mail=mail)
        except SoftTimeLimitExceeded:
            rest = notification_ids[index + 1 :]
            _database(
                lambda rest=rest: Notification.objects.filter(
                    pk__in=rest, status=Notification.Status.QUEUED
                ).update(dispatched_at=None)
            )
            break
        if retry_in is not None:
            retries[pk] = retry_in
    return retries


def _send(notification: Notification, *, now: datetime.datetime, mail: MailState) -> int | None:
    if notification.next_attempt_at > now + datetime.timedelta(seconds=5):
        _release(notification)  # not due yet: the tick hands it out again when it is
        return None
    kind = registry.KINDS.get(notification.kind)
    recipient = recipient_for(
        notification.recipient,
        couple_zone=notification.recipient_couple_zone,
        preferred_name=notification.recipient_preferred_name,
    )
    if kind is not None and kind.respects_quiet_hours:
        until = quiet_until(recipient, now)
        if until is not None:
            _release(notification, next_attempt_at=until, status_note="Held for quiet hours")
            return None
    if (
        kind is not None
        and mail.down_until is not None
        and (kind.always_emailed or recipient.preference.email_enabled)
        and mail.down_until < kind.expires_at(notification, recipient)
    ):
        # Another send found the mail server down: wait for its next probe, untried.
        _release(
            notification,
            next_attempt_at=mail.down_until,
            status_note="Waiting for the mail server",
            last_error=mail.error[:500],
        )
        return _seconds(mail.down_until - now)
    claimed = _database(
        lambda: Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.QUEUED
        ).update(status=Notification.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if claimed != 1:
        return None  # another worker has it
    attempt = notification.attempts + 1
    try:
        reason = _withdraw_reason(notification, recipient, kind)
        if reason:
            _finish(notification, status=Notification.Status.WITHDRAWN, status_note=reason)
            return None
        if notification.last_error and now >= kind.expires_at(notification, recipient):
            # Delivery trouble outlasted the message (otherwise its kind's check says why a
            # message no longer applies: a session that moved, a day that is over).
            _expire(notification, kind)
            return None
        reason = kind.check(notification, recipient)
        if reason:
            _finish(notification, status=Notification.Status.WITHDRAWN, status_note=reason)
            return None
        message = kind.message(notification, recipient)
        emailed = kind.always_emailed or recipient.preference.email_enabled
        if emailed:
            notification_email(
                notification=notification, recipient=recipient, message=message
            ).send()
    except (OperationalError, InterfaceError):
        # The database, not the mail: nothing was sent. Back to the queue on a new connection.
        if connection.in_atomic_block:
            raise
        logger.warning("notification %s met a database error before sending", notification.pk)
        connection.close()
        _finish(
            notification,
            status=Notification.Status.QUEUED,
            attempts=F("attempts") - 1,
            next_attempt_at=now,
            dispatched_at=None,
        )
        return 0
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"[:500]
        if not is_temporary(error):
            logger.warning("notification %s failed: %s", notification.pk, detail)
            _finish(notification, status=Notification.Status.FAILED, last_error=detail)
            return None
        if is_server_down(error):
            retry_at = mail.down(now, detail)
        else:
            retry_at = now + datetime.timedelta(seconds=retry_delay(attempt))
        if retry_at >= kind.expires_at(notification, recipient):
            _expire(notification, kind, last_error=detail)
        else:
            _finish(
                notification,
                status=Notification.Status.QUEUED,
                last_error=detail,
                status_note="",
                next_attempt_at=retry_at,
                dispatched_at=None,
            )
        if isinstance(error, SoftTimeLimitExceeded):
            raise
        return _seconds(retry_at - now)
    if emailed:
        mail.up()
    _finish(
        notification,
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        emailed=emailed,
        in_app=recipient.preference.in_app_enabled,
        subject=(message.in_app_subject or message.subject)[:200],
        link=message.link[:300],
        status_note="",
    )
    return None


def _withdraw_reason(notification: Notification, recipient: Recipient, kind: Kind | None) -> str:
    if kind is None:
        return f"Unknown kind {notification.kind}"
    if not recipient.user.is_active:
        return "Recipient is deactivated"
    return ""


def _seconds(delta: datetime.timedelta) -> int:
    return max(0, round(delta.total_seconds()))


def _expire(notification: Notification, kind: Kind, **changes) -> None:
    _finish(
        notification,
        status=Notification.Status.EXPIRED,
        status_note=f"Not delivered before {kind.expires_note}"[:200],
        **changes,
    )


def _release(notification: Notification, **changes) -> None:
    """Leave a queued row for later, untried: the tick dispatches it again when it is due."""
    _database(
        lambda: Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.QUEUED
        ).update(dispatched_at=None, **changes)
    )


def _finish(notification: Notification, **changes) -> None:
    """Record the end of this worker's claim. After an email went out this must not be lost to
    a dropped database connection (the row would be sent again), so it is retried on a new one."""
    _database(
        lambda: Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.SENDING
        ).update(**changes)
    )


def _database(operation):
    """Run one database operation; if the connection was dropped (the server restarted, the
    connection was terminated), run it again on a new connection, for about 16 s. Each
    operation is one statement whose condition makes it safe to repeat. Inside a transaction
    (a test, an eager task) nothing is retried: the transaction is lost anyway."""
    for delay in (0, *MARK_RETRY_DELAYS):
        if delay:
            time.sleep(delay)
        try:
            return operation()
        except (OperationalError, InterfaceError) as error:
            if connection.in_atomic_block:
                raise
            last = error
            logger.warning("the outbox lost its database connection (%s); reconnecting", error)
            connection.close()
    raise last
