"""Scheduling one session or a weekly series, refused whole when anything clashes; its
participants (and its clinician, when someone else booked it) are told in the same transaction
(sessions/announcements.py): one message for a session, one for a whole series."""

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import SERIES_LENGTH, SESSION_START, date_within
from couples.models import Clinician, Couple, Partner, User
from sessions import announcements
from sessions.models import Attendance, SessionSeries, TherapySession
from sessions.services.checks import _check_duration, _lock, conflicts_for, participants_for


def session_start_check(*, starts_at: datetime.datetime, time_zone: str) -> None:
    """A session starts within a year back (a session entered late) and two years ahead, by
    the calendar of the zone it is scheduled in; anything else is a typing slip."""
    zone = ZoneInfo(time_zone)
    earliest, latest = SESSION_START.around(timezone.localdate(timezone=zone))
    date_within(
        starts_at.astimezone(zone).date(),
        earliest=earliest,
        latest=latest,
        field="starts_at",
        label="a session date",
    )


def _create(
    *,
    kind: str,
    clinician: Clinician,
    couple: Couple | None,
    partners: list[Partner],
    starts_at: datetime.datetime,
    duration_minutes: int,
    time_zone: str,
    by: User,
    series: SessionSeries | None = None,
    request: HttpRequest | None = None,
) -> TherapySession:
    session = TherapySession(
        kind=kind,
        clinician=clinician,
        couple=couple,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=duration_minutes),
        time_zone=time_zone,
        series=series,
        created_by=by,
    )
    session.full_clean()
    session.save()
    Attendance.objects.bulk_create(Attendance(session=session, partner=p) for p in partners)
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=session,
        request=request,
        detail={"participants": [p.pk for p in partners]},
    )
    return session


@transaction.atomic
def session_schedule(
    *,
    kind: str,
    clinician: Clinician,
    starts_at: datetime.datetime,
    duration_minutes: int,
    by: User,
    couple: Couple | None = None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
    request: HttpRequest | None = None,
) -> TherapySession:
    """Schedule one session; refuses a double booking, naming the clashing session."""
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be time-zone aware")
    _check_duration(duration_minutes)
    zone = couple.time_zone if couple else str(timezone.get_default_timezone())
    session_start_check(starts_at=starts_at, time_zone=zone)
    people = participants_for(
        kind=kind, clinician=clinician, couple=couple, partner=partner, partners=partners
    )
    _lock(clinician, people)
    ends_at = starts_at + datetime.timedelta(minutes=duration_minutes)
    clashes = conflicts_for(
        clinician=clinician, partners=people, starts_at=starts_at, ends_at=ends_at
    )
    if clashes:
        raise ValidationError(clashes)
    session = _create(
        kind=kind,
        clinician=clinician,
        couple=couple,
        partners=people,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        time_zone=zone,
        by=by,
        request=request,
    )
    announcements.session_booked_announce(
        session=session, partners=people, by=by, now=timezone.now()
    )
    return session


def series_occurrences(
    *,
    weekdays: list[int],
    start_time: datetime.time,
    time_zone: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> list[datetime.datetime]:
    """Every start in the date range at the same wall-clock time, as UTC datetimes.

    Built from local dates and times, so 18:00 stays 18:00 when daylight saving begins
    or ends (the UTC time moves instead).
    """
    zone = ZoneInfo(time_zone)
    starts = []
    day = starts_on
    while day <= ends_on:
        if day.weekday() in weekdays:
            local = datetime.datetime.combine(day, start_time, tzinfo=zone)
            starts.append(local.astimezone(datetime.UTC))
        day += datetime.timedelta(days=1)
    return starts


@transaction.atomic
def series_schedule(
    *,
    kind: str,
    clinician: Clinician,
    weekdays: list[int],
    start_time: datetime.time,
    duration_minutes: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    by: User,
    couple: Couple | None = None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
    time_zone: str | None = None,
    request: HttpRequest | None = None,
) -> SessionSeries:
    """Schedule a weekly series; refuses the whole series if any occurrence clashes.

    1. Check the shape: a length, some weekdays, a first date within the window sessions
       are scheduled in, the last within a year of it.
    2. Lay out every start at the same wall-clock time in the series' zone.
    3. Lock the clinician and the partners, then refuse if any start clashes.
    4. Write the series and each of its sessions (each audited).
    5. Tell everyone once about the whole series (not once per session).
    """
    zone = time_zone or (couple.time_zone if couple else str(timezone.get_default_timezone()))
    _series_shape_check(
        weekdays=weekdays,
        starts_on=starts_on,
        ends_on=ends_on,
        minutes=duration_minutes,
        today=timezone.localdate(timezone=ZoneInfo(zone)),
    )
    people = participants_for(
        kind=kind, clinician=clinician, couple=couple, partner=partner, partners=partners
    )
    starts = series_occurrences(
        weekdays=weekdays,
        start_time=start_time,
        time_zone=zone,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    if not starts:
        raise ValidationError("None of the chosen days falls between the two dates.")
    _lock(clinician, people)
    _series_clash_check(
        clinician=clinician,
        people=people,
        starts=starts,
        length=datetime.timedelta(minutes=duration_minutes),
    )
    series = SessionSeries(
        kind=kind,
        clinician=clinician,
        couple=couple,
        weekdays=sorted(set(weekdays)),
        start_time=start_time,
        duration_minutes=duration_minutes,
        time_zone=zone,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    series.full_clean()
    series.save()
    sessions = [
        _create(
            kind=kind,
            clinician=clinician,
            couple=couple,
            partners=people,
            starts_at=start,
            duration_minutes=duration_minutes,
            time_zone=zone,
            by=by,
            series=series,
            request=request,
        )
        for start in starts
    ]
    announcements.series_booked_announce(
        series=series, sessions=sessions, partners=people, by=by, now=timezone.now()
    )
    return series


def _series_shape_check(
    *, weekdays, starts_on, ends_on, minutes: int, today: datetime.date
) -> None:
    _check_duration(minutes)
    if not weekdays or not set(weekdays) <= set(range(7)):
        raise ValidationError({"weekdays": "Choose at least one day of the week."})
    earliest, latest = SESSION_START.around(today)
    date_within(
        starts_on, earliest=earliest, latest=latest, field="starts_on", label="a first date"
    )
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "A series cannot end before it starts."})
    # At most a year at a time: the next year's series is scheduled when it comes.
    date_within(
        ends_on,
        earliest=starts_on,
        latest=SERIES_LENGTH.around(starts_on)[1],
        field="ends_on",
        label="a last date",
    )


def _series_clash_check(*, clinician, people, starts, length: datetime.timedelta) -> None:
    """Every clash of every occurrence, the first five named."""
    clashes = [
        clash
        for start in starts
        for clash in conflicts_for(
            clinician=clinician, partners=people, starts_at=start, ends_at=start + length
        )
    ]
    if clashes:
        raise ValidationError(
            clashes[:5] + ([f"…and {len(clashes) - 5} more."] if len(clashes) > 5 else [])
        )
