"""A realistic IOP fortnight for the demo couples: last week (attended) and this week.

seed_demo calls seed(). Everything is scheduled through the services, so the demo
obeys the participant and double-booking rules; past sessions get attendance.
"""

import datetime
import random

from django.utils import timezone

from couples.models import CareAssignment, CareRole, Clinician, Couple, Partner
from sessions import services
from sessions.models import SessionKind, TherapySession

GROUP_DAYS = [0, 2, 3]  # Monday, Wednesday, Thursday, 18:00–21:00 in the clinic's zone


def seed() -> None:
    couples = list(
        Couple.objects.filter(partners__user__email__endswith="@demo.couplesrehab.test")
        .distinct()
        .order_by("pk")
    )
    if not couples or TherapySession.objects.filter(couple__in=couples).exists():
        return  # no demo clinic, or seeded already
    today = timezone.localdate()
    first = today - datetime.timedelta(days=today.weekday() + 7)  # last week's Monday
    last = first + datetime.timedelta(days=13)
    partners = list(Partner.objects.filter(couple__in=couples).order_by("couple_id", "pk"))
    for index, couple in enumerate(couples):
        _weekly(SessionKind.COUPLES_THERAPY, couple, None, [1], 16 + index, 60, first, last)
    for index, partner in enumerate(partners):
        _weekly(
            SessionKind.INDIVIDUAL_THERAPY, partner.couple, partner, [3], 9 + index, 50, first, last
        )
        _weekly(SessionKind.COUNSELING, partner.couple, partner, [4], 9 + index, 50, first, last)
    group_leader = Clinician.objects.filter(can_be_couples_therapist=True).order_by("-pk").first()
    services.series_schedule(
        kind=SessionKind.GROUP,
        clinician=group_leader,
        partners=partners,
        weekdays=GROUP_DAYS,
        start_time=datetime.time(18, 0),
        duration_minutes=180,
        starts_on=first,
        ends_on=last,
        by=group_leader.user,
    )
    _attend_past(random.Random(7))


def _weekly(kind, couple, partner, weekdays, hour, minutes, first, last) -> None:
    role = {
        SessionKind.COUPLES_THERAPY: CareRole.COUPLES_THERAPIST,
        SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
        SessionKind.COUNSELING: CareRole.COUNSELOR,
    }[kind]
    clinician = (
        CareAssignment.objects.get(couple=couple, partner=partner, role=role, ended_at__isnull=True)
    ).clinician
    services.series_schedule(
        kind=kind,
        clinician=clinician,
        couple=couple,
        partner=partner,
        weekdays=weekdays,
        start_time=datetime.time(hour, 0),
        duration_minutes=minutes,
        starts_on=first,
        ends_on=last,
        by=clinician.user,
    )


def _attend_past(rng: random.Random) -> None:
    past = TherapySession.objects.filter(
        status=TherapySession.Status.SCHEDULED, ends_at__lte=timezone.now()
    ).prefetch_related("attendances")
    for session in past:
        length = int(session.duration.total_seconds() // 60)
        marks = {}
        for attendance in session.attendances.all():
            roll = rng.random()
            if roll < 0.08:
                marks[attendance.partner_id] = ("absent", 0)
            elif roll < 0.2:
                marks[attendance.partner_id] = ("late", length - rng.choice([10, 15, 20]))
            else:
                marks[attendance.partner_id] = ("present", length)
        services.attendance_mark(session=session, marks=marks, by=session.clinician.user)
