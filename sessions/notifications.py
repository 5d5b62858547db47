"""Session messages: reminders 24 hours and 1 hour before, and notice of a cancelled or moved
session. A reminder's slot is the session's start, so a moved session gets new reminders and the
old ones are withdrawn (by the service that moved it, and again by `check` before sending)."""

import datetime
from collections.abc import Iterable, Iterator
from itertools import chain

from django.conf import settings
from django.urls import reverse

from couples.models import Notification, NotificationPreference, Partner, User
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    notifications_create,
    notifications_revive,
    notifications_withdraw,
    object_pk,
    object_ref,
    object_ref_of,
)
from sessions.ics import session_invite
from sessions.models import Attendance, TherapySession

REMINDER_24H = "session_reminder_24h"
REMINDER_1H = "session_reminder_1h"
CANCELLED = "session_cancelled"
MOVED = "session_moved"
REMINDERS = {REMINDER_24H: datetime.timedelta(hours=24), REMINDER_1H: datetime.timedelta(hours=1)}
# A reminder may still go out this long after its moment (a tick missed while Redis was down,
# a session booked 20 hours ahead gets its 24-hour reminder at once); later it is skipped.
REMINDER_GRACE = {
    REMINDER_24H: datetime.timedelta(hours=12),
    REMINDER_1H: datetime.timedelta(minutes=45),
}


def when_text(moment: datetime.datetime, recipient: Recipient) -> str:
    local = recipient.local(moment)
    return f"{local:%A %-d %B at %H:%M} ({local.tzname()})"


def sessions_load(notifications: list[Notification]) -> None:
    """Kind.load of every session kind: the rows' sessions (with their clinician) and whether
    each recipient has a place in theirs, in two queries for any number of rows. Rows about the
    same session share one session object, so its calendar file is built once."""
    ids = {object_pk(notification.object_ref) for notification in notifications}
    sessions = TherapySession.objects.select_related("clinician").in_bulk(ids)
    places = set(
        Attendance.objects.filter(
            session_id__in=ids, partner__user_id__in={n.recipient_id for n in notifications}
        ).values_list("session_id", "partner__user_id")
    )
    for notification in notifications:
        pk = object_pk(notification.object_ref)
        notification._session = sessions.get(pk)
        notification._takes_part = (pk, notification.recipient_id) in places


def _session(notification: Notification) -> TherapySession | None:
    """The row's session, read once per send (check and message both need it), unless its
    chunk was read together (sessions_load)."""
    if not hasattr(notification, "_session"):
        sessions_load([notification])
    return notification._session


def _is_clinician(session: TherapySession, user: User) -> bool:
    return session.clinician.user_id == user.pk


def session_invite_ics(session: TherapySession) -> bytes:
    """The session's calendar file, built once per session object (the same for everyone)."""
    if not hasattr(session, "_invite_ics"):
        session._invite_ics = session_invite(
            session=session, clinic_name=settings.CLINIC_DISCREET_NAME, site_url=settings.SITE_URL
        )
    return session._invite_ics


# --- Reminders ----------------------------------------------------------------------------------


def reminders_plan(kind: str, now: datetime.datetime) -> Iterator[Draft]:
    """Every participant of a scheduled session whose reminder moment has come (within grace),
    and its clinician when they asked for reminders."""
    before = REMINDERS[kind]
    sessions = TherapySession.objects.filter(
        status=TherapySession.Status.SCHEDULED,
        starts_at__gt=now + before - REMINDER_GRACE[kind],
        starts_at__lte=now + before,
    )
    participants = Attendance.objects.filter(session__in=sessions).values_list(
        "session_id", "session__starts_at", "partner__user_id"
    )
    opted_in = NotificationPreference.objects.filter(session_reminders=True).values("user_id")
    clinicians = sessions.filter(clinician__user_id__in=opted_in).values_list(
        "pk", "starts_at", "clinician__user_id"
    )
    for session_id, starts_at, user_id in chain(participants, clinicians):
        yield Draft(
            kind=kind,
            recipient_id=user_id,
            object_ref=object_ref_of(TherapySession, session_id),
            slot=starts_at,
            due_at=starts_at - before,
        )


def reminder_check(notification: Notification, recipient: Recipient) -> str:
    session = _session(notification)
    if session is None or session.status != TherapySession.Status.SCHEDULED:
        return "The session is no longer scheduled"
    if session.starts_at != notification.slot:
        return "The session has moved"
    if session.starts_at <= datetime.datetime.now(datetime.UTC):
        return "The session has already started"
    if _is_clinician(session, recipient.user):
        return "" if recipient.preference.session_reminders else "Clinician did not opt in"
    if not notification._takes_part:
        return "No longer a participant"
    if recipient.preference.session_reminders is False:
        return "Turned off by the recipient"
    return ""


def reminder_message(notification: Notification, recipient: Recipient) -> Message:
    session = _session(notification)
    when = when_text(session.starts_at, recipient)
    lines = [f"A reminder of your session on {when}."]
    if _is_clinician(session, recipient.user):
        return Message(
            subject=f"Session reminder: {when}",
            lines=lines,
            link=reverse("sessions:detail", args=[session.pk]),
            action="Open the session",
            attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
        )
    respond = reverse("sessions:portal_respond", args=[session.pk])
    lines.append("You can join from the portal 10 minutes before it starts.")
    return Message(
        subject=f"Session reminder: {when}",
        lines=lines,
        link=f"{respond}?answer=confirmed",
        action="Confirm I will be there",
        more_links=[
            ("Ask to reschedule", f"{respond}?answer=reschedule_requested"),
            ("Ask to cancel", f"{respond}?answer=cancel_requested"),
        ],
        attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
    )


for _kind, _label in [
    (REMINDER_24H, "Session reminder (24 hours)"),
    (REMINDER_1H, "Session reminder (1 hour)"),
]:
    kind_register(
        Kind(
            name=_kind,
            label=_label,
            message=reminder_message,
            check=reminder_check,
            plan=lambda now, kind=_kind: reminders_plan(kind, now),
            expires=lambda notification, recipient: notification.slot,
            expires_note="the session started",
            load=sessions_load,
        )
    )


# --- Cancelled and moved ------------------------------------------------------------------------


def _participant_user_ids(sessions: Iterable[TherapySession]) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {}
    for session_id, user_id in Partner.objects.filter(
        attendances__session__in=[s.pk for s in sessions]
    ).values_list("attendances__session_id", "user_id"):
        users.setdefault(session_id, []).append(user_id)
    return users


def session_changes_notify(
    *, sessions: list[TherapySession], kind: str, by: User, now: datetime.datetime
) -> None:
    """Withdraw the unsent reminders of changed sessions and tell their participants (and the
    clinician, when someone else made the change). Called inside the change's transaction."""
    users = _participant_user_ids(sessions)
    drafts = []
    for session in sessions:
        ref = object_ref(session)
        notifications_withdraw(
            object_ref=ref,
            kinds=[REMINDER_24H, REMINDER_1H, MOVED],
            reason="The session was cancelled" if kind == CANCELLED else "The session has moved",
        )
        if kind == MOVED:
            notifications_revive(object_ref=ref, kinds=list(REMINDERS), slot=session.starts_at)
        recipients = list(users.get(session.pk, []))
        if session.clinician.user_id != by.pk:
            recipients.append(session.clinician.user_id)
        drafts += [
            Draft(
                kind=kind, recipient_id=user_id, object_ref=ref, slot=session.starts_at, due_at=now
            )
            for user_id in recipients
        ]
    notifications_create(drafts)


def change_check(notification: Notification, recipient: Recipient) -> str:
    session = _session(notification)
    if session is None:
        return "The session no longer exists"
    if notification.kind == CANCELLED:
        return "" if session.status == TherapySession.Status.CANCELLED else "No longer cancelled"
    if session.status != TherapySession.Status.SCHEDULED or session.starts_at != notification.slot:
        return "The session has changed again"
    return ""


def change_message(notification: Notification, recipient: Recipient) -> Message:
    session = _session(notification)
    when = when_text(session.starts_at, recipient)
    link = (
        reverse("sessions:detail", args=[session.pk])
        if _is_clinician(session, recipient.user)
        else reverse("sessions:portal_list")
    )
    if notification.kind == CANCELLED:
        return Message(
            subject=f"Session cancelled: {when}",
            lines=[f"Your session on {when} has been cancelled. The reason is on the portal."],
            link=link,
            action="See your sessions",
        )
    return Message(
        subject=f"Session moved to {when}",
        lines=[f"Your session has moved to {when}. The reason is on the portal."],
        link=link,
        action="See your sessions",
        attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
    )


for _kind, _label in [(CANCELLED, "Session cancelled"), (MOVED, "Session moved")]:
    kind_register(
        Kind(
            name=_kind,
            label=_label,
            message=change_message,
            check=change_check,
            # Worth telling until a day after the session's (new) time.
            expires=lambda notification, recipient: notification.slot + datetime.timedelta(days=1),
            expires_note="a day after the session's time",
            load=sessions_load,
        )
    )
