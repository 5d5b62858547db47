import datetime

from django.core.management import call_command
from django.utils import timezone

from sessions import queries
from sessions.models import Attendance, SessionKind, TherapySession


def test_seed_demo_gives_a_realistic_iop_fortnight_with_attendance(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")
    count = TherapySession.objects.count()
    call_command("seed_demo")

    assert TherapySession.objects.count() == count
    kinds = set(TherapySession.objects.values_list("kind", flat=True))
    assert kinds == {
        SessionKind.COUPLES_THERAPY,
        SessionKind.INDIVIDUAL_THERAPY,
        SessionKind.COUNSELING,
        SessionKind.GROUP,
    }
    past = TherapySession.objects.filter(ends_at__lte=timezone.now())
    assert past.exists()
    assert not past.filter(status=TherapySession.Status.SCHEDULED).exists()
    assert not Attendance.objects.filter(session__in=past, status="").exists()
    assert TherapySession.objects.filter(starts_at__gt=timezone.now()).exists()


def test_the_demo_week_is_close_to_nine_iop_hours(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    attendance = Attendance.objects.select_related("partner__couple").first()
    start, end = queries.week_bounds(day=last_week, time_zone=attendance.partner.couple.time_zone)

    minutes = queries.iop_minutes_for_partners(partners=[attendance.partner], start=start, end=end)

    assert 6 * 60 <= minutes[attendance.partner_id] <= 13 * 60
