"""The demo's schedule rolls with the day it is seeded on: two weeks attended, this week and
two more ahead, one session about to open, and nothing twice when it runs again."""

import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from couples.models import CareAssignment, CareRole, Partner
from sessions import demo, queries
from sessions.models import Attendance, SessionKind, TherapySession
from tests.auth import sign_in_with_mfa

pytestmark = pytest.mark.timeshift

CLINIC = ZoneInfo("America/New_York")
# Moments a demo is likely to be seeded at, in the clinic's zone, each awkward in its way.
MOMENTS = {
    "sunday-night": datetime.datetime(2026, 12, 6, 23, 30, tzinfo=CLINIC),  # the week is over
    "monday-early": datetime.datetime(2026, 12, 7, 6, 0, tzinfo=CLINIC),
    "during-group": datetime.datetime(2026, 12, 9, 18, 30, tzinfo=CLINIC),  # everyone is busy
    "new-years-eve": datetime.datetime(2026, 12, 31, 23, 59, tzinfo=CLINIC),
    "spring-forward": datetime.datetime(2027, 3, 14, 1, 50, tzinfo=CLINIC),  # 02:00 is skipped
}


def seed_demo():
    call_command("seed_demo", stdout=io.StringIO())


def upcoming_within_the_hour(now):
    """Demo sessions whose Join opens within the hour and that still run half an hour later."""
    return [
        session
        for session in TherapySession.objects.filter(
            status=TherapySession.Status.SCHEDULED, ends_at__gte=now
        )
        if queries.join_opens_at(session=session) <= now + datetime.timedelta(hours=1)
        and session.ends_at >= now + datetime.timedelta(minutes=30)
    ]


@pytest.fixture
def demo_settings(settings):
    settings.DEBUG = True
    return settings


@pytest.mark.parametrize("moment", MOMENTS.values(), ids=MOMENTS.keys())
def test_the_demo_has_two_weeks_attended_and_three_scheduled_on_any_day(
    client, db, demo_settings, time_machine, moment
):
    time_machine.move_to(moment, tick=False)
    now = timezone.now()

    seed_demo()

    first, last = demo.window(timezone.localdate())
    assert first.weekday() == 0 and (last - first).days == 34  # five whole weeks
    sessions = TherapySession.objects.all()
    assert set(sessions.values_list("kind", flat=True)) == {
        SessionKind.COUPLES_THERAPY,
        SessionKind.INDIVIDUAL_THERAPY,
        SessionKind.COUNSELING,
        SessionKind.GROUP,
    }
    weeks = {
        (s.starts_at.astimezone(CLINIC).date() - first).days // 7
        for s in sessions.filter(kind=SessionKind.GROUP)
    }
    assert weeks == {0, 1, 2, 3, 4}
    past = sessions.filter(ends_at__lte=now)
    assert not past.filter(status=TherapySession.Status.SCHEDULED).exists()
    assert not Attendance.objects.filter(session__in=past, status="").exists()
    assert Attendance.objects.filter(session__in=past, status="absent").exists()  # a few misses
    assert upcoming_within_the_hour(now), "no demo session opens for joining within the hour"
    # Every partner's portal and every couples therapist's caseload show a next session.
    for partner in Partner.objects.select_related("user"):
        client.force_login(partner.user)
        page = client.get("/portal/").text
        assert "My next session" in page
        assert "No session scheduled yet" not in page, partner.user.email
    caseloads = {}
    for assignment in CareAssignment.objects.filter(role=CareRole.COUPLES_THERAPIST):
        caseloads.setdefault(assignment.clinician.user, []).append(assignment.couple_id)
    for user, couple_ids in caseloads.items():
        sign_in_with_mfa(client, user)
        page = client.get("/clinic/").text
        assert all(f'href="/clinic/couples/{pk}/"' in page for pk in couple_ids)
        # The caseload's "Next session" cell holds a dash only when there is none.
        assert not re.search(r'<td class="d-none d-md-table-cell">\s*—\s*</td>', page)


def test_running_the_demo_again_the_same_day_adds_nothing(db, demo_settings, time_machine):
    time_machine.move_to(MOMENTS["sunday-night"], tick=False)
    seed_demo()
    counts = (TherapySession.objects.count(), Attendance.objects.count())

    seed_demo()

    assert (TherapySession.objects.count(), Attendance.objects.count()) == counts


def test_a_later_run_brings_the_window_forward_without_doubles(db, demo_settings, time_machine):
    time_machine.move_to(MOMENTS["monday-early"], tick=False)
    seed_demo()
    nine_days_later = MOMENTS["monday-early"] + datetime.timedelta(days=9, hours=5)
    time_machine.move_to(nine_days_later, tick=False)

    seed_demo()

    now = timezone.now()
    _, last = demo.window(timezone.localdate())
    latest_group = TherapySession.objects.filter(kind=SessionKind.GROUP).latest("starts_at")
    # The last group of the window is on its last Thursday.
    assert latest_group.starts_at.astimezone(CLINIC).date() == last - datetime.timedelta(days=3)
    # No partner and no clinician is in two sessions that start at the same moment.
    doubles = (
        Attendance.objects.values("partner", "session__starts_at")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    assert not doubles.exists()
    assert not (
        TherapySession.objects.values("clinician", "starts_at")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    ended = TherapySession.objects.filter(ends_at__lte=now)
    assert not ended.filter(status=TherapySession.Status.SCHEDULED).exists()
    assert upcoming_within_the_hour(now)


def test_the_demo_week_is_close_to_nine_iop_hours(db, demo_settings):
    seed_demo()
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    attendance = Attendance.objects.select_related("partner__couple").first()
    start, end = queries.week_bounds(day=last_week, time_zone=attendance.partner.couple.time_zone)

    minutes = queries.iop_minutes_for_partners(partners=[attendance.partner], start=start, end=end)

    assert 6 * 60 <= minutes[attendance.partner_id] <= 13 * 60
