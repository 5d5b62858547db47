"""The Kind registry and the message types every app's kinds are built from."""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models

from couples.models import Notification
from couples.notifications.recipients import Recipient


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
    # What the in-app list says instead of the subject: it is read behind the sign-in, by
    # the person it is for, so it may say whom it is about ("Jordan has not checked in");
    # the email never does.
    in_app_subject: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    # The message, built when it is sent (not when it is planned).
    message: Callable[[Notification, Recipient], Message]
    # Why the message is no longer true or wanted ("" when it still is). Runs right before
    # sending, so a moved session, a check-in already made or a revoked consent stops it.
    check: Callable[[Notification, Recipient], str]
    # What has fallen due by `now`; None for kinds created by a service when something happens.
    plan: Callable[[datetime.datetime], Iterable[Draft]] | None = None
    # How often the tick asks `plan`: every minute, or at the minutes of the clinic's clock
    # that this divides (a plan with a heavy read and no hurry).
    plan_every_minutes: int = 1
    # Quiet hours hold the message back until they end.
    respects_quiet_hours: bool = True
    # Emailed even to someone who turned emails off (notices about their own account).
    always_emailed: bool = False
    # Reads at once what check and message need for many rows of this kind (a worker's chunk),
    # leaving it on each row; without it, or if it fails, each row reads its own.
    load: Callable[[list[Notification]], None] | None = None
    # The moment after which the message means nothing any more (its session has started, its
    # day is over): while the mail server is unreachable the message is tried again until then,
    # and ends as expired. None: `lifetime` after it fell due.
    expires: Callable[[Notification, Recipient], datetime.datetime] | None = None
    lifetime: datetime.timedelta = datetime.timedelta(days=2)
    # Why it expired, in the row's status note ("Not delivered before <this>").
    expires_note: str = "it was two days old"

    def expires_at(self, notification: Notification, recipient: Recipient) -> datetime.datetime:
        if self.expires is not None:
            return self.expires(notification, recipient)
        return notification.due_at + self.lifetime


# The one registry: the other modules of the outbox look kinds up as `registry.KINDS`, so a
# test that swaps this attribute reaches them all.
KINDS: dict[str, Kind] = {}


def kind_register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def object_ref(obj: models.Model) -> str:
    return object_ref_of(type(obj), obj.pk)


def object_ref_of(model: type[models.Model], pk: int) -> str:
    """What object_ref gives for the row of `model` with this pk, without loading it."""
    return f"{model._meta.label_lower}:{pk}"


def object_pk(ref: str) -> int:
    return int(ref.rsplit(":", 1)[1])
