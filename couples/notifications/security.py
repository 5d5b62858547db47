"""Sign-in notices: an authenticator added or removed, recovery codes made, a staff reset.

Sent at once, in quiet hours too, and by email whatever the person's settings: someone who did
not make the change must hear of it. They say nothing about treatment.
"""

import datetime

from django.urls import reverse

from common.moments import moment_text
from couples.models import Notification, User
from couples.notifications.recipients import Recipient
from couples.notifications.registry import Draft, Kind, Message, kind_register, object_ref
from couples.notifications.rows import notifications_create

# One kind per change: the outbox keys a message by kind, person, object and moment.
KINDS_BY_CHANGE = {
    "added": "sign_in_authenticator_added",
    "removed": "sign_in_authenticator_removed",
    "recovery_codes": "sign_in_recovery_codes",
    "reset": "sign_in_reset",
}
WHAT_CHANGED = {
    "added": "An authenticator app was set up for two-factor sign-in",
    "removed": "An authenticator app was removed from two-factor sign-in",
    "recovery_codes": "New recovery codes were made for two-factor sign-in",
    "reset": "Clinic staff reset your two-factor sign-in and sent you a new invitation",
}


def sign_in_change_notify(*, user: User, change: str, at: datetime.datetime) -> None:
    """Queue the notice for the person (inside the change's transaction). The change and its
    moment are the row's key, so a change is told once however often this is called."""
    notifications_create(
        [
            Draft(
                kind=KINDS_BY_CHANGE[change],
                recipient_id=user.pk,
                object_ref=object_ref(user),
                slot=at,
                due_at=at,
            )
        ]
    )


def _change_of(notification: Notification) -> str:
    return next(
        (change for change, kind in KINDS_BY_CHANGE.items() if kind == notification.kind), ""
    )


def sign_in_change_message(notification: Notification, recipient: Recipient) -> Message:
    when = moment_text(notification.slot, recipient.zone)
    what = WHAT_CHANGED.get(_change_of(notification), "Your sign-in settings changed")
    return Message(
        subject="Your sign-in settings changed",
        lines=[
            f"{what} on {when}. Your other signed-in devices were signed out.",
            "If this was not you, contact the clinic right away.",
        ],
        link=reverse("mfa_index"),
        action="Review your sign-in settings",
    )


for _change, _kind in KINDS_BY_CHANGE.items():
    kind_register(
        Kind(
            name=_kind,
            label=f"Sign-in settings: {_change.replace('_', ' ')}",
            message=sign_in_change_message,
            check=lambda notification, recipient: "",  # a change that happened stays true
            respects_quiet_hours=False,
            always_emailed=True,
            # A change to one's own sign-in settings is worth knowing about for a week.
            lifetime=datetime.timedelta(days=7),
            expires_note="it was a week old",
        )
    )
