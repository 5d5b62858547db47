"""A rolling IOP schedule for the demo couples, on whatever day seed_demo runs:

1. the last two weeks attended (with a few absences and late arrivals),
2. this week and the next two weeks scheduled, so every couple has a next session,
3. one session whose Join opens within the hour, so Join, reminders and "next session"
   show within minutes of `make run`.

seed_demo calls seed() on every run. A later run brings the window forward: each weekly
series is extended from its last session, attendance is marked for what has ended since,
and nothing already there is scheduled twice. Everything is scheduled through the services,
so the demo obeys the participant and double-booking rules.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from couples.management.commands.seed_demo import demo_couples
from couples.models import CareAssignment, CareRole, Clinician, Partner
from sessions import queries, services
from sessions.models import SessionKind, TherapySession

WEEKS_BACK = 2
WEEKS_AHEAD = 2
GROUP_DAYS = [0, 2, 3]  # Monday, Wednesday, Thursday, 18:00–21:00 in the clinic's zone
ROLES = {SessionKind.COUPLES_THERAPY: CareRole.COUPLES_THERAPIST, **services.PARTNER_KIND_ROLE}
SOON_MINUTES = 50  # the length of the session about to begin
ONE_DAY = datetime.timedelta(days=1)


def seed() -> None:
    couples = list(demo_couples())
    if not couples:
        return  # no demo clinic
    partners = list(Partner.objects.filter(couple__in=couples).order_by("couple_id", "pk"))
    first, last = window(timezone.localdate())
    for index, couple in enumerate(couples):
        _weekly(SessionKind.COUPLES_THERAPY, couple, None, [1], 16 + index, 60, first, last)
    for index, partner in enumerate(partners):
        _weekly(
            SessionKind.INDIVIDUAL_THERAPY, partner.couple, partner, [3], 9 + index, 50, first, last
        )
        _weekly(SessionKind.COUNSELING, partner.couple, partner, [4], 9 + index, 50, first, last)
    _group(partners, first, last)
    _attend_past(partners)
    _one_about_to_begin(couples, partners, now=timezone.now())


def window(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """From the Monday two weeks before this week's to the Sunday two weeks after it."""
    monday = today - datetime.timedelta(days=today.weekday())
    first = monday - datetime.timedelta(weeks=WEEKS_BACK)
    last = monday + datetime.timedelta(weeks=WEEKS_AHEAD + 1, days=-1)
    return first, last


def _weekly(kind, couple, partner, weekdays, hour, minutes, first, last) -> None:
    clinician = CareAssignment.objects.get(
        couple=couple, partner=partner, role=ROLES[kind], ended_at__isnull=True
    ).clinician
    # An individual series is the partner's; a couples series has both partners in it.
    attendee = partner or couple.partners.order_by("pk").first()
    _extend(
        kind=kind,
        clinician=clinician,
        couple=couple,
        partner=partner,
        weekdays=weekdays,
        start_time=datetime.time(hour, 0),
        duration_minutes=minutes,
        starts_on=_after_last(kind, attendee, couple.time_zone, first),
        ends_on=last,
        time_zone=couple.time_zone,
    )


def _group(partners, first, last) -> None:
    leader = Clinician.objects.filter(can_be_couples_therapist=True).order_by("-pk").first()
    zone = settings.TIME_ZONE
    _extend(
        kind=SessionKind.GROUP,
        clinician=leader,
        partners=partners,
        weekdays=GROUP_DAYS,
        start_time=datetime.time(18, 0),
        duration_minutes=180,
        starts_on=_after_last(SessionKind.GROUP, partners[0], zone, first),
        ends_on=last,
        time_zone=zone,
    )


def _after_last(kind, partner, zone, first) -> datetime.date:
    """The first day to schedule: the window's first, or the day after the series' last
    session when a run before this one already scheduled it."""
    latest = TherapySession.objects.filter(kind=kind, attendances__partner=partner).aggregate(
        latest=Max("starts_at")
    )["latest"]
    if latest is None:
        return first
    return max(first, latest.astimezone(ZoneInfo(zone)).date() + ONE_DAY)


def _extend(*, kind, clinician, starts_on, ends_on, weekdays, start_time, time_zone, **people):
    if starts_on > ends_on or not services.series_occurrences(
        weekdays=weekdays,
        start_time=start_time,
        time_zone=time_zone,
        starts_on=starts_on,
        ends_on=ends_on,
    ):
        return  # scheduled through the window already
    services.series_schedule(
        kind=kind,
        clinician=clinician,
        weekdays=weekdays,
        start_time=start_time,
        starts_on=starts_on,
        ends_on=ends_on,
        time_zone=time_zone,
        by=clinician.user,
        **people,
    )


def _attend_past(partners) -> None:
    """Attendance for every demo session that has ended unmarked: mostly present, some late,
    a few absent, by each place's position in the order of the sessions (the 8th of every 13
    places absent, the 4th of every 5 late), so that two weeks of sessions always hold a few
    misses, whatever the database's ids (they were the random seed, and on some ids a whole
    fortnight came out without one)."""
    past = (
        TherapySession.objects.filter(
            status=TherapySession.Status.SCHEDULED,
            ends_at__lte=timezone.now(),
            attendances__partner__in=partners,
        )
        .distinct()
        .select_related("clinician__user")
        .prefetch_related("attendances")
        .order_by("starts_at")
    )
    place = 0
    for session in past:
        length = int(session.duration.total_seconds() // 60)
        marks = {}
        for attendance in sorted(session.attendances.all(), key=lambda a: a.partner_id):
            if place % 13 == 7:
                marks[attendance.partner_id] = ("absent", 0)
            elif place % 5 == 3:
                marks[attendance.partner_id] = ("late", length - (10, 15, 20)[place % 3])
            else:
                marks[attendance.partner_id] = ("present", length)
            place += 1
        services.attendance_mark(session=session, marks=marks, by=session.clinician.user)


def _one_about_to_begin(couples, partners, *, now: datetime.datetime) -> None:
    """Unless a demo session already opens for joining within the hour (and runs for half an
    hour after that), book a couples session at the first free quarter hour from 15 minutes
    on, at any hour: the demo is for trying the app now, not for realistic office hours."""
    hour = now + datetime.timedelta(hours=1)
    near = TherapySession.objects.filter(
        status=TherapySession.Status.SCHEDULED,
        attendances__partner__in=partners,
        starts_at__lte=hour + datetime.timedelta(hours=1),
        ends_at__gte=now + datetime.timedelta(minutes=30),
    ).distinct()
    if any(queries.join_opens_at(session=session) <= hour for session in near):
        return
    therapists = {
        assignment.couple_id: assignment.clinician
        for assignment in CareAssignment.objects.filter(
            couple__in=couples,
            partner=None,
            role=CareRole.COUPLES_THERAPIST,
            ended_at__isnull=True,
        ).select_related("clinician__user")
    }
    quarter = now.replace(second=0, microsecond=0) + datetime.timedelta(
        minutes=15 - now.minute % 15
    )
    for step in range(1, 5):
        starts_at = quarter + datetime.timedelta(minutes=15 * step)
        if queries.join_opens_at(session=TherapySession(starts_at=starts_at)) > hour:
            return  # its Join, and every later start's, would open too late
        for couple in couples:
            try:
                services.session_schedule(
                    kind=SessionKind.COUPLES_THERAPY,
                    clinician=therapists[couple.pk],
                    couple=couple,
                    starts_at=starts_at,
                    duration_minutes=SOON_MINUTES,
                    by=therapists[couple.pk].user,
                )
            except ValidationError:
                continue  # someone in it is booked then: the next couple, or a later start
            return
