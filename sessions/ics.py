"""A person's sessions as an iCalendar (ICS) file, for their private calendar feed.

A feed ends up on phones, lock screens, shared family calendars and third-party calendar
services, so an event is an "Appointment" with the clinic's discreet name
(settings.CLINIC_DISCREET_NAME) and where to join: not the kind of session, no names, no
notes, no clinical detail.
"""

import datetime
from collections.abc import Iterable

from django.urls import reverse
from icalendar import Calendar, Event

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


def session_invite(*, session: TherapySession, clinic_name: str, site_url: str) -> bytes:
    """One session as an email attachment, the same event as in the feed."""
    host = site_host(site_url)
    event = _event(session, host=host, clinic_name=clinic_name, site_url=site_url)
    calendar = Calendar.new(prodid=f"-//{clinic_name}//Appointments//EN", subcomponents=[event])
    calendar.add("method", "PUBLISH")
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
        start=session.starts_at.astimezone(datetime.UTC),
        end=session.ends_at.astimezone(datetime.UTC),
        # No METHOD in a feed, so DTSTAMP is when the event last changed (RFC 5545).
        stamp=session.updated_at.astimezone(datetime.UTC),
        last_modified=session.updated_at.astimezone(datetime.UTC),
        summary=f"{EVENT_TITLE} · {clinic_name}",
        description=f"Join from the portal (sign-in needed): {join_url}",
        url=join_url,
        status="CANCELLED" if is_cancelled else "CONFIRMED",
    )
