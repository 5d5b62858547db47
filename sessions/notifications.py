"""Session messages: what each says, and the kinds. Reminders 24 hours and 1 hour before, and
the two-party steps (sessions/announcements.py says who hears of each and when it is still
true): a session or a weekly series booked, a session moved or cancelled, a partner's request
to move or cancel one. A reminder's slot is the session's start, so a moved session gets new
reminders and the old ones are withdrawn (by the service that moved it, and again by `check`
before sending).

Every message about a session's time carries its calendar file (sessions/ics.py: PUBLISH for
a booking or a move, CANCEL for a cancellation, the same event as the feed's). An email says
"a session" and a time; the in-app notice of a request names the partner who asked.
"""

import datetime
from collections.abc import Iterator
from email.utils import parseaddr
from itertools import chain

from django.conf import settings
from django.urls import reverse

from common.moments import moment_text
from couples.models import Notification, NotificationPreference
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    object_ref_of,
)
from sessions.announcements import (
    BOOKED,
    CANCEL_REQUESTED,
    CANCELLED,
    MOVED,
    REMINDER_1H,
    REMINDER_24H,
    RESCHEDULE_REQUESTED,
    SERIES_BOOKED,
    attendance_of,
    booked_check,
    is_clinician,
    request_check,
    requests_load,
    series_booked_check,
    series_load,
    series_sessions_of,
    session_of,
    sessions_load,
)
from sessions.ics import series_invite, session_invite
from sessions.models import Attendance, TherapySession

REMINDERS = {REMINDER_24H: datetime.timedelta(hours=24), REMINDER_1H: datetime.timedelta(hours=1)}
# A reminder may still go out this long after its moment (a tick missed while Redis was down,
# a session moved to 20 hours ahead gets its 24-hour reminder at once); later it is skipped.
REMINDER_GRACE = {
    REMINDER_24H: datetime.timedelta(hours=12),
    REMINDER_1H: datetime.timedelta(minutes=45),
}


def when_text(moment: datetime.datetime, recipient: Recipient) -> str:
    """ "Wednesday, December 2 at 11:00 AM ET": the moment in the zone the recipient lives in."""
    return moment_text(moment, recipient.zone)


def session_invite_ics(session: TherapySession) -> bytes:
    """The session's calendar file, built once per session object (the same for everyone)."""
    if not hasattr(session, "_invite_ics"):
        session._invite_ics = session_invite(session=session, **_invite_settings())
    return session._invite_ics


def _invite_settings() -> dict[str, str]:
    # The organizer is the clinic's discreet name at the no-reply sender address: a calendar's
    # "reply to organizer" reaches no one's inbox, and the name says nothing about treatment.
    return {
        "clinic_name": settings.CLINIC_DISCREET_NAME,
        "site_url": settings.SITE_URL,
        "organizer_email": parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
    }


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
    session = session_of(notification)
    if session is None or session.status != TherapySession.Status.SCHEDULED:
        return "The session is no longer scheduled"
    if session.starts_at != notification.slot:
        return "The session has moved"
    if session.starts_at <= datetime.datetime.now(datetime.UTC):
        return "The session has already started"
    booked_at = notification._booked_at
    if booked_at is not None and booked_at > notification.slot - REMINDERS[notification.kind]:
        return "Said by the booking notice"
    if is_clinician(session, recipient.user):
        return "" if recipient.preference.session_reminders else "Clinician did not opt in"
    if not notification._takes_part:
        return "No longer a participant"
    if recipient.preference.session_reminders is False:
        return "Turned off by the recipient"
    return ""


def reminder_message(notification: Notification, recipient: Recipient) -> Message:
    session = session_of(notification)
    when = when_text(session.starts_at, recipient)
    lines = [f"A reminder of your session on {when}."]
    if is_clinician(session, recipient.user):
        return Message(
            subject=f"Session reminder: {when}",
            lines=lines,
            link=reverse("sessions:detail", args=[session.pk]),
            action="Open the session",
            attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
        )
    lines.append("You can join from the portal 10 minutes before it starts.")
    return Message(
        subject=f"Session reminder: {when}",
        lines=lines,
        attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
        **_answer_links(session),
    )


def _answer_links(session: TherapySession) -> dict:
    """A participant's links: confirm, or ask to reschedule or cancel (the answer page)."""
    respond = reverse("sessions:portal_respond", args=[session.pk])
    return {
        "link": f"{respond}?answer=confirmed",
        "action": "Confirm I will be there",
        "more_links": [
            ("Ask to reschedule", f"{respond}?answer=reschedule_requested"),
            ("Ask to cancel", f"{respond}?answer=cancel_requested"),
        ],
    }


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


def change_check(notification: Notification, recipient: Recipient) -> str:
    session = session_of(notification)
    if session is None:
        return "The session no longer exists"
    if notification.kind == CANCELLED:
        return "" if session.status == TherapySession.Status.CANCELLED else "No longer cancelled"
    if session.status != TherapySession.Status.SCHEDULED or session.starts_at != notification.slot:
        return "The session has changed again"
    return ""


def change_message(notification: Notification, recipient: Recipient) -> Message:
    session = session_of(notification)
    when = when_text(session.starts_at, recipient)
    link = (
        reverse("sessions:detail", args=[session.pk])
        if is_clinician(session, recipient.user)
        else reverse("sessions:portal_list")
    )
    if notification.kind == CANCELLED:
        return Message(
            subject=f"Session cancelled: {when}",
            lines=[f"Your session on {when} has been cancelled. The reason is on the portal."],
            link=link,
            action="See your sessions",
            # A CANCEL: takes the event off a calendar it was added to.
            attachments=[("session.ics", session_invite_ics(session), "text/calendar")],
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


# --- Booked: one session, or a weekly series -----------------------------------------------------

WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def booked_message(notification: Notification, recipient: Recipient) -> Message:
    session = session_of(notification)
    when = when_text(session.starts_at, recipient)
    attachments = [("session.ics", session_invite_ics(session), "text/calendar")]
    if is_clinician(session, recipient.user):
        return Message(
            subject=f"Session booked: {when}",
            lines=[f"Someone at the clinic booked a session for you on {when}."],
            link=reverse("sessions:detail", args=[session.pk]),
            action="Open the session",
            attachments=attachments,
        )
    return Message(
        subject=f"Session booked: {when}",
        lines=[
            f"A session is booked for you on {when}.",
            "You can join from the portal 10 minutes before it starts.",
        ],
        attachments=attachments,
        **_answer_links(session),
    )


def weekdays_text(moments: list[datetime.datetime]) -> str:
    """The days of the week these local moments fall on: "Mondays and Wednesdays"."""
    days = [WEEKDAYS[day] for day in sorted({moment.weekday() for moment in moments})]
    return days[0] if len(days) == 1 else f"{', '.join(days[:-1])} and {days[-1]}"


def series_booked_message(notification: Notification, recipient: Recipient) -> Message:
    sessions = series_sessions_of(notification)
    first = when_text(sessions[0].starts_at, recipient)
    last = when_text(sessions[-1].starts_at, recipient)
    # The days as the recipient's calendar shows them (a late session may fall a day apart).
    days = weekdays_text([recipient.local(session.starts_at) for session in sessions])
    clinician = is_clinician(sessions[0], recipient.user)
    calendar_file = series_invite(sessions=sessions, **_invite_settings())
    return Message(
        subject=f"Weekly sessions booked: {days}, from {first}",
        lines=[
            f"{len(sessions)} weekly sessions are booked for you on {days}: the first on "
            f"{first}, the last on {last}.",
            "The calendar file adds every one of them to your calendar.",
        ],
        link=(
            reverse("sessions:detail", args=[sessions[0].pk])
            if clinician
            else reverse("sessions:portal_list")
        ),
        action="Open the first session" if clinician else "See your sessions",
        attachments=[("sessions.ics", calendar_file, "text/calendar")],
    )


kind_register(
    Kind(
        name=BOOKED,
        label="Session booked",
        message=booked_message,
        check=booked_check,
        expires=lambda notification, recipient: notification.slot,
        expires_note="the session started",
        load=sessions_load,
    )
)
kind_register(
    Kind(
        name=SERIES_BOOKED,
        label="Weekly sessions booked",
        message=series_booked_message,
        check=series_booked_check,
        # Its check withdraws it once no session of the series is ahead.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
        load=series_load,
    )
)


# --- A partner asks to move or cancel: the clinician ---------------------------------------------


def request_message(notification: Notification, recipient: Recipient) -> Message:
    attendance = attendance_of(notification)
    session = attendance.session
    when = when_text(session.starts_at, recipient)
    asked = "to reschedule" if notification.kind == RESCHEDULE_REQUESTED else "to cancel"
    return Message(
        # The email names nobody and no request: it may be read where others see it.
        subject="A session request to review",
        lines=[f"There is a request about your session on {when} to review."],
        in_app_subject=f"{attendance.partner.display_name} asked {asked} the session on {when}",
        link=reverse("sessions:detail", args=[session.pk]),
        action="Open the session",
    )


for _kind, _label in [
    (RESCHEDULE_REQUESTED, "A partner asked to reschedule a session"),
    (CANCEL_REQUESTED, "A partner asked to cancel a session"),
]:
    kind_register(
        Kind(
            name=_kind,
            label=_label,
            message=request_message,
            check=request_check,
            expires=lambda notification, recipient: notification.slot,
            expires_note="the session started",
            load=requests_load,
        )
    )
