"""A supervisee's signed note, announced to the supervisor who must co-sign it.

`note_sign` queues it in the signing transaction when the note waits for a co-signature, due
at once (quiet hours hold it, each person's email and in-app settings apply, as for every
kind). Its key is the note and the moment it was signed, and a note is signed once, so one
message per note however often anything is retried. Its check withdraws it once co-signed.

The email says only that a session note waits for a co-signature; the in-app notice, read
behind the sign-in by the supervisor, names the supervisee, the kind of session and its day.
"""

import datetime

from django.urls import reverse

from couples.models import Notification
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    notifications_create,
    object_pk,
    object_ref,
)
from goals.words import day_label
from notes.models import Note

NOTE_TO_COSIGN = "note_to_cosign"


def note_to_cosign_announce(*, note: Note) -> int:
    """The note's co-signer is asked to co-sign it (no query until the row is written)."""
    return notifications_create(
        [
            Draft(
                kind=NOTE_TO_COSIGN,
                recipient_id=note.cosigner.user_id,
                object_ref=object_ref(note),
                slot=note.signed_at,
                due_at=note.signed_at,
            )
        ]
    )


def _note(notification: Notification) -> Note | None:
    return (
        Note.objects.select_related("session", "author__user", "cosigner")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )


def note_to_cosign_check(notification: Notification, recipient: Recipient) -> str:
    """One query: the note with its co-signer."""
    note = _note(notification)
    if note is None or note.status != Note.Status.AWAITING_COSIGN:
        return "Co-signed already"
    if note.cosigner.user_id != recipient.user.pk:
        return "No longer the note's co-signer"
    return ""


def note_to_cosign_message(notification: Notification, recipient: Recipient) -> Message:
    note = _note(notification)
    author = note.author.user.get_full_name() or "A supervisee"
    day = recipient.local(note.session.starts_at)
    return Message(
        subject="A session note is waiting for your co-signature",
        lines=[
            "A clinician you supervise signed a session note. It is complete once you "
            "co-sign it: open it to read it and co-sign."
        ],
        in_app_subject=(
            f"{author} signed a note ({note.get_kind_display()}, {day_label(day)}): co-sign it"
        ),
        link=reverse("notes:detail", kwargs={"pk": note.pk}),
        action="Open the note",
    )


kind_register(
    Kind(
        name=NOTE_TO_COSIGN,
        label="Session note to co-sign",
        message=note_to_cosign_message,
        check=note_to_cosign_check,
        # It waits for the co-signature; the home's "Notes to co-sign" lists it meanwhile.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
    )
)
