"""What the clinic's session pages show, worked out from sessions already loaded.

Nothing here queries the database: the views load sessions with their participants
(sessions.queries) and these functions only arrange them for the templates.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.urls import reverse

from couples.models import Partner, User
from sessions import queries
from sessions.forms import WEEKDAYS
from sessions.models import MULTI_COUPLE_KINDS, Attendance, SessionSeries, TherapySession

STATUS_BADGES = {
    TherapySession.Status.SCHEDULED: "text-bg-primary",
    TherapySession.Status.COMPLETED: "text-bg-success",
    TherapySession.Status.CANCELLED: "text-bg-secondary",
    TherapySession.Status.NO_SHOW: "text-bg-warning",
}
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
class CalendarDay:
    day: datetime.date
    is_today: bool
    agenda_url: str
    rows: list[SessionRow]


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
    query = f"?{urlencode({'date': day.isoformat()})}" if day else ""
    return reverse(name) + query


def who_takes_part(session: TherapySession) -> str:
    """First names for one couple's session; a head count for a group (it spans couples)."""
    people = session.attendances.all()
    if session.kind in MULTI_COUPLE_KINDS:
        return f"{len(people)} participant{'s' if len(people) != 1 else ''}"
    return " & ".join(attendance.partner.display_name for attendance in people)


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
    return session.couple_id is not None or session.clinician.user_id == viewer.pk


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
    sessions,
    *,
    viewer: User,
    monday: datetime.date,
    zone: datetime.tzinfo,
    today: datetime.date,
) -> list[CalendarDay]:
    """Monday to Sunday, each day with its sessions, days taken in the given zone."""
    by_day = defaultdict(list)
    for session in sessions:
        by_day[session.starts_at.astimezone(zone).date()].append(
            session_row(session, viewer=viewer)
        )
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    return [
        CalendarDay(
            day=day,
            is_today=day == today,
            agenda_url=day_url("sessions:clinic_agenda", day),
            rows=by_day[day],
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
    """ "Weekly couples therapy on Mon, Thu at 18:00 (America/New_York), Oct 5 to Dec 21, 2026"."""
    days = ", ".join(name for number, name in WEEKDAYS if number in series.weekdays)
    first, last = series.starts_on, series.ends_on
    return (
        f"Weekly {series.get_kind_display().lower()} on {days} at {series.start_time:%H:%M} "
        f"({series.time_zone}), {first:%b} {first.day} to {last:%b} {last.day}, {last.year}"
    )
