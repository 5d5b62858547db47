"""Sessions as iCalendar (ICS): a person's private calendar feed, and the file attached to a
session's messages.

A feed ends up on phones, lock screens, shared family calendars and third-party calendar
services, so an event is an "Appointment" with the clinic's discreet name
(settings.CLINIC_DISCREET_NAME) and where to join: not the kind of session, no names, no
notes, no clinical detail. The feed and every attachment give a session the same event: one
UID for good, and a SEQUENCE that each move or cancellation raises (`TherapySession.sequence`),
since a calendar replaces its copy of an event only with one of the same UID and a higher
SEQUENCE.

An attachment is an iTIP message (RFC 5546) from an ORGANIZER that is the clinic's discreet
name at the no-reply sender address:
- **PUBLISH** for a booked or moved session (and a booked series, one event per session):
  the calendar offers to add it, or to update the copy it has. Not REQUEST, which asks each
  attendee to accept or decline and lists them by address: the answer would go to a no-reply
  address, a "Decline" would look like a cancellation the clinic never hears of (a partner
  asks to move or cancel on the portal, where the clinician sees it), and every participant's
  address would sit in the file (another couple's, in a group). Outlook and Apple Calendar
  add a PUBLISH event from an email and update it in place; Gmail offers the file to add and,
  by public reports, may add an update beside the old event rather than replace it. The
  private feed, which every calendar re-reads, is the copy that is always right.
- **CANCEL** with STATUS:CANCELLED for a cancelled session: the one method that takes an
  event off a calendar. It has the UID, the raised SEQUENCE, DTSTAMP and ORGANIZER that RFC
  5546 asks of a CANCEL and no ATTENDEE (the published event had none; a calendar that reads
  only STATUS still shows it cancelled).
DTSTAMP is the session's last change, so a message sent again is the same file.
"""

import datetime
from collections.abc import Iterable

from django.urls import reverse
from icalendar import Calendar, Event, vCalAddress

from common.sites import site_host
from sessions.models import TherapySession

EVENT_TITLE = "Appointment"
# How often calendar apps should fetch the feed again (they may choose to wait longer).
REFRESH_INTERVAL = datetime.timedelta(hours=1)


def session_calendar(
    *, sessions: Iterable[TherapySession], calendar_uid: str, clinic_name: str, site_url: str
) -> bytes:
    """The ICS bytes: one event per session, times in UTC, cancelled ones marked so."""
    host = site_host(site_url)
    events = [
        _event(session, host=host, clinic_name=clinic_name, site_url=site_url)
        for session in sessions
    ]
    calendar = Calendar.new(
        prodid=f"-//{clinic_name}//Appointments//EN",
        uid=f"{calendar_uid}@{host}",
        name=f"{clinic_name} appointments",
        refresh_interval=REFRESH_INTERVAL,
        subcomponents=events,
    )
    return calendar.to_ical()


def session_invite(
    *, session: TherapySession, clinic_name: str, site_url: str, organizer_email: str
) -> bytes:
    """One session as an email attachment, the same event as in the feed: a CANCEL once the
    session is cancelled, else a PUBLISH (a booking, or the update of a move)."""
    method = "CANCEL" if session.status == TherapySession.Status.CANCELLED else "PUBLISH"
    return _invite(
        [session],
        method=method,
        clinic_name=clinic_name,
        site_url=site_url,
        organizer_email=organizer_email,
    )


def series_invite(
    *,
    sessions: Iterable[TherapySession],
    clinic_name: str,
    site_url: str,
    organizer_email: str,
) -> bytes:
    """Every session of a booked series in one PUBLISH file, each as its own event (its UID
    is the feed's), so a later move or cancellation of one replaces just that one."""
    return _invite(
        list(sessions),
        method="PUBLISH",
        clinic_name=clinic_name,
        site_url=site_url,
        organizer_email=organizer_email,
    )


def _invite(
    sessions: list[TherapySession],
    *,
    method: str,
    clinic_name: str,
    site_url: str,
    organizer_email: str,
) -> bytes:
    host = site_host(site_url)
    organizer = vCalAddress(f"mailto:{organizer_email}")
    organizer.params["CN"] = clinic_name
    events = []
    for session in sessions:
        event = _event(session, host=host, clinic_name=clinic_name, site_url=site_url)
        event.add("organizer", organizer)
        events.append(event)
    calendar = Calendar.new(
        prodid=f"-//{clinic_name}//Appointments//EN", method=method, subcomponents=events
    )
    # The calendar's own UID is optional (RFC 7986) and would be a new random one each time.
    calendar.pop("UID", None)
    return calendar.to_ical()


def _event(
    session: TherapySession,
    *,
    host: str,
    clinic_name: str,
    site_url: str,
) -> Event:
    join_url = site_url + reverse("sessions:join", args=[session.pk])
    is_cancelled = session.status == TherapySession.Status.CANCELLED
    return Event.new(
        uid=f"session-{session.pk}@{host}",
        sequence=session.sequence,
        start=session.starts_at.astimezone(datetime.UTC),
        end=session.ends_at.astimezone(datetime.UTC),
        # When the event last changed: a feed has no METHOD (RFC 5545), and an attachment
        # is the message about that change.
        stamp=session.updated_at.astimezone(datetime.UTC),
        last_modified=session.updated_at.astimezone(datetime.UTC),
        summary=f"{EVENT_TITLE} · {clinic_name}",
        description=f"Join from the portal (sign-in needed): {join_url}",
        url=join_url,
        status="CANCELLED" if is_cancelled else "CONFIRMED",
    )
