"""The one notification mechanism every app uses: an outbox of `Notification` rows.

A message exists as a row with a unique key (kind, recipient, object, slot) before anything is
sent. Every minute the beat tick asks each kind what has fallen due (`Kind.plan`), inserts the
rows it does not have yet, and hands due rows to workers by id. The send task claims its row with
a conditional update, re-checks that the message is still true (`Kind.check`), sends it and marks
it sent. So a second beat, a repeated tick, a redelivered task or a killed worker neither loses
nor doubles a message: the row, not the broker, is the record of what was sent.

Each app owns its kinds in `<app>/notifications.py` and registers them with `kind_register`;
`CouplesConfig.ready` imports those modules.

The one window no outbox closes: a worker killed after the mail server accepted a message and
before the row is marked sent. The row is then sent again after `SEND_LEASE`; every email
carries a Message-ID derived from the row, so the duplicate is recognisable.
"""

import datetime
import logging
import random
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone

from couples.models import Notification, NotificationPreference, Partner, User

logger = logging.getLogger(__name__)

# A claimed row whose worker has not finished within this time is handed out again
# (longer than the send task's hard time limit, so a live worker is never overtaken).
SEND_LEASE = datetime.timedelta(minutes=5)
# A dispatched row no worker has claimed within this time is dispatched again (its task was
# lost with a worker or a broker); a retry's countdown is always shorter.
DISPATCH_LEASE = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
# Backoff before retry n (1-based), before jitter; the longest stays below DISPATCH_LEASE.
RETRY_DELAYS = (30, 60, 120, 240, 480)
# Rows claimed and dispatched per transaction of the tick.
DISPATCH_BATCH = 500
# Rows per send task: one task per row spent ~2.5 ms of broker and worker overhead per email.
SEND_CHUNK = 20


@dataclass(frozen=True)
class Draft:
    """A message a kind says is due: becomes a row unless that key exists."""

    kind: str
    recipient_id: int
    object_ref: str
    slot: datetime.datetime
    due_at: datetime.datetime


@dataclass
class Message:
    """What one notification says. Only a first name, a time and links that need login:
    never a substance, a diagnosis, a goal's words or another patient's name."""

    subject: str
    lines: list[str]
    link: str
    action: str = "Open"
    more_links: list[tuple[str, str]] = field(default_factory=list)
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    # The message, built when it is sent (not when it is planned).
    message: Callable[[Notification, "Recipient"], Message]
    # Why the message is no longer true or wanted ("" when it still is). Runs right before
    # sending, so a moved session, a check-in already made or a revoked consent stops it.
    check: Callable[[Notification, "Recipient"], str]
    # What has fallen due by `now`; None for kinds created by a service when something happens.
    plan: Callable[[datetime.datetime], Iterable[Draft]] | None = None
    # How often the tick asks `plan`: every minute, or at the minutes of the clinic's clock
    # that this divides (a plan with a heavy read and no hurry).
    plan_every_minutes: int = 1
    # Quiet hours hold the message back until they end.
    respects_quiet_hours: bool = True
    # Reads at once what check and message need for many rows of this kind (a worker's chunk),
    # leaving it on each row; without it, or if it fails, each row reads its own.
    load: Callable[[list[Notification]], None] | None = None


KINDS: dict[str, Kind] = {}


def kind_register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def site_host(site_url: str) -> str:
    """The host name in SITE_URL, for Message-IDs and calendar UIDs."""
    return urlsplit(site_url).hostname or "localhost"


def object_ref(obj: models.Model) -> str:
    return object_ref_of(type(obj), obj.pk)


def object_ref_of(model: type[models.Model], pk: int) -> str:
    """What object_ref gives for the row of `model` with this pk, without loading it."""
    return f"{model._meta.label_lower}:{pk}"


def object_pk(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])


# --- Who receives it ---------------------------------------------------------------------------


@dataclass
class Recipient:
    user: User
    preference: NotificationPreference
    zone: ZoneInfo

    @property
    def first_name(self) -> str:
        return self.user.first_name or "there"

    def local(self, moment: datetime.datetime) -> datetime.datetime:
        return moment.astimezone(self.zone)


def preference_for(user: User) -> NotificationPreference:
    """The person's preferences, or the defaults (unsaved) when they never changed them."""
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user=user)


def zone_named(*names: str | None) -> ZoneInfo:
    """The first of these zones this machine knows, else the clinic's: an unknown stored
    name must not stop a message or a page."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo(settings.TIME_ZONE)


def zone_for(
    user: User, preference: NotificationPreference, *, couple_zone: str | None = None
) -> ZoneInfo:
    """Their own zone, else their couple's (read here unless the caller read it with the
    user), else the clinic's."""
    if not preference.time_zone and not couple_zone:
        couple_zone = (
            Partner.objects.filter(user=user).values_list("couple__time_zone", flat=True).first()
        )
    return zone_named(preference.time_zone, couple_zone)


def recipient_for(user: User, *, couple_zone: str | None = None) -> Recipient:
    preference = preference_for(user)
    return Recipient(
        user=user, preference=preference, zone=zone_for(user, preference, couple_zone=couple_zone)
    )


def is_quiet_at(
    *, start: datetime.time | None, end: datetime.time | None, clock: datetime.time
) -> bool:
    """Whether a wall-clock time falls in quiet hours [start, end), which may span midnight."""
    if start is None or end is None or start == end:
        return False
    return start <= clock < end if start < end else (clock >= start or clock < end)


def quiet_until(recipient: Recipient, now: datetime.datetime) -> datetime.datetime | None:
    """When the recipient's quiet hours end, if `now` falls inside them."""
    start, end = recipient.preference.quiet_hours_start, recipient.preference.quiet_hours_end
    local = now.astimezone(recipient.zone)
    clock = local.time().replace(tzinfo=None)
    if not is_quiet_at(start=start, end=end, clock=clock):
        return None
    day = local.date() if clock < end else local.date() + datetime.timedelta(days=1)
    return local_moment(day, end, recipient.zone)


def local_moment(day: datetime.date, clock: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """A wall-clock time on a local day, in UTC (a time that a DST change skips moves later)."""
    moment = datetime.datetime.combine(day, clock, tzinfo=zone)
    # Round-trip through UTC: a non-existent local time comes back as the real one after it.
    return moment.astimezone(datetime.UTC)


# --- Writing rows -------------------------------------------------------------------------------


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


# --- The minute tick ----------------------------------------------------------------------------


def notifications_plan(*, now: datetime.datetime) -> int:
    """Ask every kind what has fallen due and write the rows that do not exist yet."""
    planned = 0
    minute = timezone.localtime(now).minute
    for kind in KINDS.values():
        if kind.plan is not None and minute % kind.plan_every_minutes == 0:
            planned += notifications_create(kind.plan(now))
    return planned


def notifications_rescue(*, now: datetime.datetime) -> int:
    """Rows claimed by a worker that never finished go back to the queue."""
    return Notification.objects.filter(
        status=Notification.Status.SENDING, claimed_at__lt=now - SEND_LEASE
    ).update(status=Notification.Status.QUEUED, next_attempt_at=now, dispatched_at=None)


def notifications_dispatch(*, now: datetime.datetime, send: Callable[[list[int]], None]) -> int:
    """Hand every due row to workers (`send` gets up to SEND_CHUNK ids at a time), in batches
    claimed with SKIP LOCKED.

    Two ticks at once (two beats) take different rows. The tasks are published inside the
    transaction: if the broker is down the claim rolls back and the next tick tries again.
    """
    dispatched = 0
    while True:
        with transaction.atomic():
            ids = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(status=Notification.Status.QUEUED, next_attempt_at__lte=now)
                .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - DISPATCH_LEASE))
                .order_by("next_attempt_at", "pk")
                .values_list("pk", flat=True)[:DISPATCH_BATCH]
            )
            if not ids:
                return dispatched
            Notification.objects.filter(pk__in=ids).update(dispatched_at=now)
            for start in range(0, len(ids), SEND_CHUNK):
                send(ids[start : start + SEND_CHUNK])
        dispatched += len(ids)


# --- Sending one --------------------------------------------------------------------------------


class TemporaryError(Exception):
    """A failure worth trying again (the mail server is unreachable or busy)."""


def is_temporary(error: Exception) -> bool:
    if isinstance(error, TemporaryError):
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
        "clinic_name": settings.CLINIC_NAME,
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
        kind = KINDS.get(name)
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
    kind = KINDS.get(notification.kind)
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
        emailed = recipient.preference.email_enabled
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


# --- The in-app list ----------------------------------------------------------------------------


def notification_mark_read(*, user: User, pk: int | None = None) -> int:
    """Mark one (or, without pk, every) delivered notification of this user read."""
    rows = Notification.objects.filter(recipient=user, read_at__isnull=True, in_app=True)
    if pk is not None:
        rows = rows.filter(pk=pk)
    return rows.update(read_at=timezone.now())
