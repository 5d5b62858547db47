"""What the clinic's session pages show, worked out from sessions already loaded.

Nothing here queries the database: the views load sessions with their participants
(sessions.queries) and these functions only arrange them for the templates.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import dateformat

from common.moments import clock_text, zone_abbreviation
from couples.models import Partner, User
from sessions import queries
from sessions.forms import WEEKDAYS
from sessions.models import (
    MULTI_COUPLE_KINDS,
    Attendance,
    SessionKind,
    SessionSeries,
    TherapySession,
)

STATUS_BADGES = {
    TherapySession.Status.SCHEDULED: "text-bg-primary",
    TherapySession.Status.COMPLETED: "text-bg-success",
    TherapySession.Status.CANCELLED: "text-bg-secondary",
    TherapySession.Status.NO_SHOW: "text-bg-warning",
}
# The labels get_kind_display() and get_status_display() give, looked up without their
# per-call work (they rebuild the choices dict each time), for pages with dozens of sessions.
KIND_LABELS = dict(SessionKind.choices)
STATUS_LABELS = dict(TherapySession.Status.choices)
THERE = (Attendance.Status.PRESENT, Attendance.Status.LATE)
CHANGE_REQUESTS = (Attendance.Response.CANCEL_REQUESTED, Attendance.Response.RESCHEDULE_REQUESTED)


@dataclass(frozen=True)
class AttendanceLine:
    name: str
    label: str  # "Present, 50 min", "Absent", "Not marked"
    is_marked: bool
    is_there: bool
    # The partner's answer to a reminder: "Confirmed", "Asked to cancel", … ("" for none).
    response: str = ""
    responded_at: datetime.datetime | None = None
    response_note: str = ""
    is_change_requested: bool = False


@dataclass(frozen=True)
class SessionRow:
    session: TherapySession
    who: str
    badge: str
    url: str | None  # None when the viewer may not open it (another clinician's group)
    attendance: list[AttendanceLine] = field(default_factory=list)
    join_state: str = ""  # a sessions.queries.JoinState, when asked for
    join_url: str | None = None
    join_opens_at: datetime.datetime | None = None  # set while it is too early to join


@dataclass(frozen=True)
class CalendarEntry:
    """One session in the week calendar, with the few labels it shows."""

    times: str  # "18:00–19:00" in the calendar's zone
    kind: str
    status: str
    badge: str
    who: str
    url: str | None  # None when the viewer may not open it
    is_cancelled: bool


@dataclass(frozen=True)
class CalendarDay:
    day: datetime.date
    is_today: bool
    agenda_url: str
    entries: list[CalendarEntry]
    # As the `date` filter writes them: "2026-01-12", "Tue Jan 12", "Tuesday, January 12".
    iso: str
    heading: str
    long_name: str


@dataclass(frozen=True)
class NextSessionCell:
    session: TherapySession
    url: str | None


@dataclass(frozen=True)
class IopHours:
    name: str
    hours: float
    target: int

    @property
    def hours_label(self) -> str:
        return f"{self.hours:g}"

    @property
    def is_below_target(self) -> bool:
        return self.hours < self.target


def day_url(name: str, day: datetime.date | None) -> str:
    return with_date(reverse(name), day)


def with_date(path: str, day: datetime.date | None) -> str:
    return f"{path}?{urlencode({'date': day.isoformat()})}" if day else path


def path_for_pk(name: str) -> Callable[[int], str]:
    """URL `name` for any pk from a single reverse(), for pages that link dozens of rows:
    the int converter writes just the number, so the rest of the path is the same for all."""
    marker = "9876543210"
    before, found, after = reverse(name, kwargs={"pk": int(marker)}).rpartition(marker)
    if not found:  # a converter that writes pks otherwise
        return lambda pk: reverse(name, kwargs={"pk": pk})
    return lambda pk: f"{before}{pk}{after}"


def who_takes_part(session: TherapySession) -> str:
    names = [attendance.partner.display_name for attendance in session.attendances.all()]
    if session.kind in MULTI_COUPLE_KINDS and hasattr(session, "participant_count"):
        # Read with only one couple's places (sessions.queries._with_couple_people).
        count = session.participant_count or 0
        return f"{count} participant{'s' if count != 1 else ''}"
    return participants_label(session.kind, names)


def participants_label(kind: str, names: list[str]) -> str:
    """First names for one couple's session; a head count for a group (it spans couples)."""
    if kind in MULTI_COUPLE_KINDS:
        return f"{len(names)} participant{'s' if len(names) != 1 else ''}"
    return " & ".join(names)


def attendance_lines(attendances) -> list[AttendanceLine]:
    lines = []
    for attendance in attendances:
        is_there = attendance.status in THERE
        if not attendance.status:
            label = "Not marked"
        elif is_there:
            label = f"{attendance.get_status_display()}, {attendance.minutes_attended} min"
        else:
            label = attendance.get_status_display()
        lines.append(
            AttendanceLine(
                name=attendance.partner.display_name,
                label=label,
                is_marked=bool(attendance.status),
                is_there=is_there,
                response=attendance.get_response_display() if attendance.response else "",
                responded_at=attendance.responded_at,
                response_note=attendance.response_note,
                is_change_requested=attendance.response in CHANGE_REQUESTS,
            )
        )
    return lines


def may_open(session: TherapySession, *, viewer: User) -> bool:
    """What sessions.queries.session_list_for_user lets a clinician open: the sessions they
    run and those of their couples; another clinician's group spans couples, so not that."""
    return may_open_values(
        couple_id=session.couple_id, clinician_user_id=session.clinician.user_id, viewer=viewer
    )


def may_open_values(*, couple_id: int | None, clinician_user_id: int, viewer: User) -> bool:
    """may_open on plain values (the week calendar reads no model instances)."""
    return couple_id is not None or clinician_user_id == viewer.pk


def session_row(
    session: TherapySession,
    *,
    viewer: User,
    now: datetime.datetime | None = None,
    only_partners: list[Partner] | None = None,
) -> SessionRow:
    """One session as a line of a page. With `now`, whether the viewer can join; with
    `only_partners`, attendance of just those (a group's other couples are not shown)."""
    attendances = session.attendances.all()
    if only_partners is not None:
        keep = {partner.pk for partner in only_partners}
        attendances = [a for a in attendances if a.partner_id in keep]
    state = join_url = join_opens_at = None
    if now is not None:
        state = queries.join_state(session=session, user=viewer, now=now)
        if state == queries.JoinState.OPEN:
            join_url = reverse("sessions:join", kwargs={"pk": session.pk})
        elif state == queries.JoinState.TOO_EARLY:
            join_opens_at = queries.join_opens_at(session=session)
    return SessionRow(
        session=session,
        who=who_takes_part(session),
        badge=STATUS_BADGES[session.status],
        url=reverse("sessions:detail", kwargs={"pk": session.pk})
        if may_open(session, viewer=viewer)
        else None,
        attendance=attendance_lines(attendances),
        join_state=state or "",
        join_url=join_url,
        join_opens_at=join_opens_at,
    )


def week_days(
    sessions: list[queries.CalendarSession],
    *,
    viewer: User,
    monday: datetime.date,
    zone: datetime.tzinfo,
    today: datetime.date,
) -> list[CalendarDay]:
    """Monday to Sunday, each day with its sessions, days and times taken in the given zone.

    Labels are made here once rather than by template filters, which look up the language
    and its formats on every call: a busy week has dozens of sessions. Times are on the
    12-hour clock ("6:00 PM", common.moments.clock_text), links come from one reverse() each.
    """
    detail_url = path_for_pk("sessions:detail")
    by_day = defaultdict(list)
    for session in sessions:
        starts_at = session.starts_at.astimezone(zone)
        ends_at = session.ends_at.astimezone(zone)
        may_open = may_open_values(
            couple_id=session.couple_id,
            clinician_user_id=session.clinician_user_id,
            viewer=viewer,
        )
        by_day[starts_at.date()].append(
            CalendarEntry(
                times=f"{clock_text(starts_at)}–{clock_text(ends_at)}",
                kind=KIND_LABELS.get(session.kind, session.kind),
                status=STATUS_LABELS.get(session.status, session.status),
                badge=STATUS_BADGES[session.status],
                who=participants_label(session.kind, session.names),
                url=detail_url(session.pk) if may_open else None,
                is_cancelled=session.status == TherapySession.Status.CANCELLED,
            )
        )
    agenda_path = reverse("sessions:clinic_agenda")
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    return [
        CalendarDay(
            day=day,
            is_today=day == today,
            agenda_url=with_date(agenda_path, day),
            entries=by_day[day],
            iso=day.isoformat(),
            heading=dateformat.format(day, "D M j"),
            long_name=dateformat.format(day, "l, F j"),
        )
        for day in days
    ]


def iop_hours(partners: list[Partner], *, hours: dict[int, float], target: int) -> list[IopHours]:
    return [
        IopHours(name=partner.display_name, hours=hours.get(partner.pk, 0), target=target)
        for partner in partners
    ]


def hours_from_minutes(minutes: dict[int, int]) -> dict[int, float]:
    """As sessions.queries.iop_hours_this_week rounds them: tenths of an hour."""
    return {pk: round(value / 60, 1) for pk, value in minutes.items()}


def next_session_cell(session: TherapySession, *, viewer: User) -> NextSessionCell:
    url = reverse("sessions:detail", kwargs={"pk": session.pk})
    return NextSessionCell(session=session, url=url if may_open(session, viewer=viewer) else None)


def series_label(series: SessionSeries) -> str:
    """ "Weekly couples therapy on Mon, Thu at 6:00 PM ET, Oct 5 to Dec 21, 2026"."""
    days = ", ".join(name for number, name in WEEKDAYS if number in series.weekdays)
    first, last = series.starts_on, series.ends_on
    return (
        f"Weekly {series.get_kind_display().lower()} on {days} at "
        f"{clock_text(series.start_time)} {zone_abbreviation(series.time_zone)}, "
        f"{first:%b} {first.day} to {last:%b} {last.day}, {last.year}"
    )
