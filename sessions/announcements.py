"""Who hears of a session's steps, and whether a message is still true when it is sent.

The session services call the `*_announce`/`*_notify` functions below inside their own
transaction, so a message exists exactly when its step happened; each row is due at once, and
quiet hours and each person's email and in-app settings apply as for every kind.
`sessions/notifications.py` says what each message says, attaches the calendar file
(sessions/ics.py) and registers the kinds, with the checks and loads from here.

- **Booked** (`session_schedule`): a session booked ahead of its start → its participants, and
  its clinician when someone else booked it; keyed by the session and its start. A session
  entered after it began is announced to nobody.
- **A weekly series booked** (`series_schedule`) → one message per person for the whole
  series, keyed by the series and the moment it was booked; never one per session (a series
  with a single session still ahead is announced as that session).
- **Moved** or **cancelled** (`sessions/services/changes.py`) → the participants, and the
  clinician when someone else made the change; keyed by the session and its (new) start. The
  change withdraws what it makes untrue: the sessions' unsent reminders, booking notices,
  earlier move notices and partners' requests. Someone whose booking notice (of the session or
  of its series) had not gone out yet hears nothing of a cancellation.
- **A partner asks to move or cancel** (`attendance_respond`) → the session's clinician; the
  key (the partner's place, the request, the session's start) makes it one message per
  session, partner and request, however often it is asked; a "confirmed" sends nothing.

A reminder whose moment came before the booking notice fell due is not sent: the booking
notice said it, with the same time and calendar file (a session booked 20 hours ahead gets
its booking notice at once and the 1-hour reminder later, not the 24-hour reminder as well).
"""

import datetime
from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from couples.models import Clinician, Notification, Partner, User
from couples.notifications import (
    Draft,
    Recipient,
    notifications_create,
    notifications_revive,
    notifications_withdraw,
    object_pk,
    object_ref,
    object_ref_of,
)
from sessions.models import Attendance, SessionSeries, TherapySession

REMINDER_24H = "session_reminder_24h"
REMINDER_1H = "session_reminder_1h"
CANCELLED = "session_cancelled"
MOVED = "session_moved"
BOOKED = "session_booked"
SERIES_BOOKED = "session_series_booked"
RESCHEDULE_REQUESTED = "session_reschedule_requested"
CANCEL_REQUESTED = "session_cancel_requested"
# The answers to a reminder that ask something of the clinician, and the kind that tells them.
REQUESTS = {
    Attendance.Response.RESCHEDULE_REQUESTED: RESCHEDULE_REQUESTED,
    Attendance.Response.CANCEL_REQUESTED: CANCEL_REQUESTED,
}
# A booking notice in these states has gone out or will.
TOLD = (Notification.Status.QUEUED, Notification.Status.SENDING, Notification.Status.SENT)
SCHEDULED = TherapySession.Status.SCHEDULED


# --- Who hears: queued by the session services ---------------------------------------------------


def _queue(
    kind: str,
    user_ids: Iterable[int],
    *,
    ref: str,
    slot: datetime.datetime,
    now: datetime.datetime,
) -> None:
    notifications_create(
        Draft(kind=kind, recipient_id=user_id, object_ref=ref, slot=slot, due_at=now)
        for user_id in sorted(set(user_ids))
    )


def _concerned(clinician: Clinician, partners: list[Partner], by: User) -> set[int]:
    """The participants, and the clinician unless they took the step themselves."""
    return {partner.user_id for partner in partners} | ({clinician.user_id} - {by.pk})


def session_booked_announce(
    *, session: TherapySession, partners: list[Partner], by: User, now: datetime.datetime
) -> None:
    """A session booked ahead: one insert, no read."""
    if session.starts_at <= now:
        return  # entered after the fact: nothing to look forward to
    _queue(
        BOOKED,
        _concerned(session.clinician, partners, by),
        ref=object_ref(session),
        slot=session.starts_at,
        now=now,
    )


def series_booked_announce(
    *,
    series: SessionSeries,
    sessions: list[TherapySession],
    partners: list[Partner],
    by: User,
    now: datetime.datetime,
) -> None:
    """A weekly series: one message per person for all its sessions still ahead."""
    ahead = [session for session in sessions if session.starts_at > now]
    if len(ahead) == 1:
        session_booked_announce(session=ahead[0], partners=partners, by=by, now=now)
    elif ahead:
        _queue(
            SERIES_BOOKED,
            _concerned(series.clinician, partners, by),
            ref=object_ref(series),
            slot=series.created_at,
            now=now,
        )


def session_changes_notify(
    *, sessions: list[TherapySession], kind: str, by: User, now: datetime.datetime
) -> None:
    """Withdraw what moving or cancelling these sessions makes untrue and tell the people they
    concern (`kind` is MOVED or CANCELLED). Called inside the change's transaction: five
    queries, and one or two per session."""
    users = _participant_user_ids(sessions)
    clinicians = dict(
        Clinician.objects.filter(pk__in={s.clinician_id for s in sessions}).values_list(
            "pk", "user_id"
        )
    )
    unannounced = _unannounced(sessions) if kind == CANCELLED else set()
    reason = "The session was cancelled" if kind == CANCELLED else "The session has moved"
    _requests_withdraw(sessions, reason=reason)
    drafts = []
    for session in sessions:
        ref = object_ref(session)
        notifications_withdraw(
            object_ref=ref, kinds=[REMINDER_24H, REMINDER_1H, MOVED, BOOKED], reason=reason
        )
        if kind == MOVED:
            # Moved back: the reminders of that start are true again.
            notifications_revive(
                object_ref=ref, kinds=[REMINDER_24H, REMINDER_1H], slot=session.starts_at
            )
        recipients = set(users.get(session.pk, []))
        if clinicians[session.clinician_id] != by.pk:
            recipients.add(clinicians[session.clinician_id])
        drafts += [
            Draft(
                kind=kind, recipient_id=user_id, object_ref=ref, slot=session.starts_at, due_at=now
            )
            for user_id in sorted(recipients)
            if (session.pk, user_id) not in unannounced
        ]
    notifications_create(drafts)


def _participant_user_ids(sessions: Iterable[TherapySession]) -> dict[int, list[int]]:
    users: dict[int, list[int]] = {}
    for session_id, user_id in Partner.objects.filter(
        attendances__session__in=[s.pk for s in sessions]
    ).values_list("attendances__session_id", "user_id"):
        users.setdefault(session_id, []).append(user_id)
    return users


def _unannounced(sessions: list[TherapySession]) -> set[tuple[int, int]]:
    """(session, person) pairs whose booking notice, the session's or its series', is still
    waiting to go out (quiet hours hold it, or it was booked a moment ago). One query."""
    refs = {object_ref(s): s for s in sessions}
    series_refs = {object_ref_of(SessionSeries, s.series_id) for s in sessions if s.series_id}
    waiting = Notification.objects.filter(
        Q(kind=BOOKED, object_ref__in=list(refs))
        | Q(kind=SERIES_BOOKED, object_ref__in=series_refs),
        status=Notification.Status.QUEUED,
    ).values_list("object_ref", "recipient_id")
    pairs = set()
    for ref, user_id in waiting:
        if ref in refs:
            pairs.add((refs[ref].pk, user_id))
        else:
            series_id = object_pk(ref)
            pairs |= {(s.pk, user_id) for s in sessions if s.series_id == series_id}
    return pairs


def _requests_withdraw(sessions: list[TherapySession], *, reason: str) -> None:
    """The partners' unsent requests about these sessions: the change answers them. One
    query, and one for each place with a request (rarely more than one)."""
    asked = Attendance.objects.filter(session__in=sessions, response__in=list(REQUESTS))
    for pk in asked.values_list("pk", flat=True):
        notifications_withdraw(
            object_ref=object_ref_of(Attendance, pk), kinds=list(REQUESTS.values()), reason=reason
        )


def session_request_announce(
    *, attendance: Attendance, session: TherapySession, now: datetime.datetime
) -> None:
    """A partner's answer that asks to move or cancel: the session's clinician (loaded with
    the session) is told. Two statements; nothing for any other answer."""
    kind = REQUESTS.get(attendance.response)
    if kind is None:
        return
    ref = object_ref(attendance)
    _queue(kind, [session.clinician.user_id], ref=ref, slot=session.starts_at, now=now)
    # Asked again after answering otherwise before the first went out: it is due again.
    notifications_revive(object_ref=ref, kinds=[kind], slot=session.starts_at)


# --- Read for sending: a worker's chunk at once ---------------------------------------------------


def sessions_load(notifications: list[Notification]) -> None:
    """Kind.load of every kind about one session: the rows' sessions (with their clinician),
    whether each recipient has a place in theirs and, for reminders, when each recipient's
    booking notice fell due. Two or three queries for any number of rows; rows about the same
    session share one session object, so its calendar file is built once."""
    ids = {object_pk(notification.object_ref) for notification in notifications}
    users = {notification.recipient_id for notification in notifications}
    sessions = TherapySession.objects.select_related("clinician").in_bulk(ids)
    places = set(
        Attendance.objects.filter(session_id__in=ids, partner__user_id__in=users).values_list(
            "session_id", "partner__user_id"
        )
    )
    told = {}
    if any(n.kind in (REMINDER_24H, REMINDER_1H) for n in notifications):
        told = {
            (ref, user_id, slot): due_at
            for ref, user_id, slot, due_at in Notification.objects.filter(
                kind=BOOKED,
                object_ref__in={n.object_ref for n in notifications},
                recipient_id__in=users,
                status__in=TOLD,
            ).values_list("object_ref", "recipient_id", "slot", "due_at")
        }
    for notification in notifications:
        pk = object_pk(notification.object_ref)
        notification._session = sessions.get(pk)
        notification._takes_part = (pk, notification.recipient_id) in places
        key = (notification.object_ref, notification.recipient_id, notification.slot)
        notification._booked_at = told.get(key)


def session_of(notification: Notification) -> TherapySession | None:
    """The row's session, read once per send (check and message both need it), unless its
    chunk was read together (sessions_load)."""
    if not hasattr(notification, "_session"):
        sessions_load([notification])
    return notification._session


def is_clinician(session: TherapySession, user: User) -> bool:
    return session.clinician.user_id == user.pk


def series_load(notifications: list[Notification]) -> None:
    """Kind.load of a booked series: each series' sessions still ahead (with their clinician)
    and whether each recipient takes part. Two queries for any number of rows."""
    ids = {object_pk(notification.object_ref) for notification in notifications}
    ahead: dict[int, list[TherapySession]] = {}
    for session in (
        TherapySession.objects.filter(series_id__in=ids, status=SCHEDULED)
        .filter(starts_at__gt=timezone.now())
        .select_related("clinician")
        .order_by("starts_at", "pk")
    ):
        ahead.setdefault(session.series_id, []).append(session)
    places = set(
        Attendance.objects.filter(
            session__series_id__in=ids,
            partner__user_id__in={notification.recipient_id for notification in notifications},
        ).values_list("session__series_id", "partner__user_id")
    )
    for notification in notifications:
        pk = object_pk(notification.object_ref)
        notification._sessions = ahead.get(pk, [])
        notification._takes_part = (pk, notification.recipient_id) in places


def series_sessions_of(notification: Notification) -> list[TherapySession]:
    """The series' scheduled sessions still ahead, in order."""
    if not hasattr(notification, "_sessions"):
        series_load([notification])
    return notification._sessions


def requests_load(notifications: list[Notification]) -> None:
    """Kind.load of a partner's request: each row's place, with its session, the session's
    clinician and the partner. One query for any number of rows."""
    ids = {object_pk(notification.object_ref) for notification in notifications}
    places = Attendance.objects.select_related("session__clinician", "partner__user").in_bulk(ids)
    for notification in notifications:
        notification._attendance = places.get(object_pk(notification.object_ref))


def attendance_of(notification: Notification) -> Attendance | None:
    if not hasattr(notification, "_attendance"):
        requests_load([notification])
    return notification._attendance


# --- Still true when sent? ------------------------------------------------------------------------


def _unscheduled_reason(session: TherapySession | None, slot: datetime.datetime) -> str:
    """Why a message about this session at `slot` no longer applies ("" while it does)."""
    if session is None or session.status != SCHEDULED:
        return "The session is no longer scheduled"
    if session.starts_at != slot:
        return "The session has moved"
    if session.starts_at <= timezone.now():
        return "The session has already started"
    return ""


def booked_check(notification: Notification, recipient: Recipient) -> str:
    session = session_of(notification)
    reason = _unscheduled_reason(session, notification.slot)
    if reason or is_clinician(session, recipient.user):
        return reason
    return "" if notification._takes_part else "No longer a participant"


def series_booked_check(notification: Notification, recipient: Recipient) -> str:
    sessions = series_sessions_of(notification)
    if not sessions:
        return "No session of the series is still ahead"
    if is_clinician(sessions[0], recipient.user) or notification._takes_part:
        return ""
    return "No longer a participant"


def request_check(notification: Notification, recipient: Recipient) -> str:
    attendance = attendance_of(notification)
    if attendance is None:
        return "The session no longer exists"
    reason = _unscheduled_reason(attendance.session, notification.slot)
    if reason:
        return reason
    if REQUESTS.get(attendance.response) != notification.kind:
        return "The partner answered again"
    if not is_clinician(attendance.session, recipient.user):
        return "No longer the session's clinician"
    return ""
