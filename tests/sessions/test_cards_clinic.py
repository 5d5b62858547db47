"""The week calendar's cards. Their labels are made in Python, once per page; each must be
what the session itself and Django's `date` and `time` filters give, as the page showed
them when it rendered them with those filters.

Sessions are written straight to the tables, so a week can hold every kind and status.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import time as time_filter
from django.urls import reverse
from django.utils import timezone

from sessions import cards_clinic as cards
from sessions import queries
from sessions.models import SessionKind, TherapySession
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory, session_written

CLINIC = ZoneInfo("America/New_York")
# The week clocks go back in New York: Sunday, November 1 2026 has 25 hours.
MONDAY = datetime.date(2026, 10, 26)
# The calendar is drawn with MONDAY as today (week_of): the clock starts there, at noon in
# New York, for the couples and people the factories make.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime.combine(MONDAY, datetime.time(12), CLINIC)),
    pytest.mark.timeshift,
]
Status = TherapySession.Status


def at(day: datetime.date, clock: str, *, fold: int = 0) -> datetime.datetime:
    local = datetime.datetime.combine(day, datetime.time.fromisoformat(clock), tzinfo=CLINIC)
    return local.replace(fold=fold)


def session_of(clinician, partners, *, starts_at, kind, status=Status.SCHEDULED, minutes=50):
    return session_written(
        clinician, partners, starts_at=starts_at, kind=kind, minutes=minutes, status=status
    )


@pytest.fixture
def maya(db):
    return ClinicianFactory(user__first_name="Maya")


@pytest.fixture
def people(db):
    """Jordan and Alex (Alex goes by "Al"), and Quinn and Robin, in two couples."""
    first, second = CoupleFactory(), CoupleFactory()
    return [
        PartnerFactory(couple=first, user__first_name="Jordan"),
        PartnerFactory(couple=first, user__first_name="Alex", preferred_name="Al"),
        PartnerFactory(couple=second, user__first_name="Quinn"),
        PartnerFactory(couple=second, user__first_name="Robin"),
    ]


@pytest.fixture
def busy_week(maya, people):
    """Every kind and status once, at the edges of days and across the clocks going back."""
    jordan, al, quinn, robin = people
    couple = [jordan, al]
    sunday = MONDAY + datetime.timedelta(days=6)
    return [
        session_of(maya, couple, starts_at=at(MONDAY, "00:00"), kind=SessionKind.COUPLES_THERAPY),
        session_of(
            maya,
            [jordan],
            starts_at=at(MONDAY, "09:05"),
            kind=SessionKind.COUNSELING,
            status=Status.COMPLETED,
        ),
        session_of(maya, people, starts_at=at(MONDAY, "23:30"), kind=SessionKind.GROUP, minutes=90),
        session_of(
            maya,
            [al],
            starts_at=at(MONDAY + datetime.timedelta(days=2), "12:00"),
            kind=SessionKind.INDIVIDUAL_THERAPY,
            status=Status.CANCELLED,
        ),
        session_of(
            maya,
            [quinn],
            starts_at=at(MONDAY + datetime.timedelta(days=4), "07:45"),
            kind=SessionKind.MEDICAL_VISIT,
            status=Status.NO_SHOW,
        ),
        session_of(maya, [robin], starts_at=at(sunday, "01:30"), kind=SessionKind.SOBER_ACTIVITY),
        session_of(
            maya, couple, starts_at=at(sunday, "01:30", fold=1), kind=SessionKind.COUPLES_THERAPY
        ),
    ]


def sessions_of_the_week(clinician) -> list[TherapySession]:
    start, end = queries.week_bounds(day=MONDAY, time_zone="America/New_York")
    return list(queries.session_list_for_clinician_between(user=clinician, start=start, end=end))


def week_of(viewer, *, today=MONDAY) -> list[cards.CalendarDay]:
    start, end = queries.week_bounds(day=MONDAY, time_zone="America/New_York")
    sessions = queries.session_calendar_for_clinician(user=viewer, start=start, end=end)
    return cards.week_days(sessions, viewer=viewer, monday=MONDAY, zone=CLINIC, today=today)


def test_the_calendar_reads_the_weeks_sessions_in_two_queries(
    maya, busy_week, django_assert_num_queries
):
    start, end = queries.week_bounds(day=MONDAY, time_zone="America/New_York")
    with django_assert_num_queries(2):  # sessions; their participants' names
        calendar = queries.session_calendar_for_clinician(user=maya.user, start=start, end=end)

    sessions = sessions_of_the_week(maya.user)
    assert [row.pk for row in calendar] == [session.pk for session in sessions]
    for row, session in zip(calendar, sessions, strict=True):
        attendances = session.attendances.all()
        assert row.names == [attendance.partner.display_name for attendance in attendances]
        assert row.clinician_user_id == maya.user.pk
        assert (row.kind, row.status, row.couple_id) == (
            session.kind,
            session.status,
            session.couple_id,
        )
        assert (row.starts_at, row.ends_at) == (session.starts_at, session.ends_at)


def test_an_empty_week_takes_one_query(maya, django_assert_num_queries):
    start, end = queries.week_bounds(day=MONDAY, time_zone="America/New_York")
    with django_assert_num_queries(1):
        assert queries.session_calendar_for_clinician(user=maya.user, start=start, end=end) == []


def test_each_entry_shows_the_sessions_own_labels(maya, busy_week):
    entries = [entry for day in week_of(maya.user) for entry in day.entries]

    sessions = sessions_of_the_week(maya.user)
    assert len(entries) == len(sessions) == len(busy_week)
    for entry, session in zip(entries, sessions, strict=True):
        starts_at = timezone.localtime(session.starts_at, CLINIC)
        ends_at = timezone.localtime(session.ends_at, CLINIC)
        row = cards.session_row(session, viewer=maya.user)
        assert entry.times == f"{time_filter(starts_at, 'g:i A')}–{time_filter(ends_at, 'g:i A')}"
        assert entry.kind == session.get_kind_display()
        assert entry.status == session.get_status_display()
        assert entry.is_cancelled == (session.status == "cancelled")
        assert (entry.badge, entry.who, entry.url) == (row.badge, row.who, row.url)


def test_names_head_counts_and_times_read_as_on_the_page(maya, busy_week):
    days = week_of(maya.user)

    monday, sunday = days[0].entries, days[6].entries
    assert [(entry.times, entry.who) for entry in monday] == [
        ("12:00 AM–12:50 AM", "Jordan & Al"),
        ("9:05 AM–9:55 AM", "Jordan"),
        ("11:30 PM–1:00 AM", "4 participants"),  # ends on Tuesday, shown on the day it starts
    ]
    assert monday[1].kind == "Drug & alcohol counseling"  # escaped by the template
    # 1:30 AM twice on the night the clocks go back, and a group of one
    assert [(entry.times, entry.who) for entry in sunday] == [
        ("1:30 AM–1:20 AM", "1 participant"),
        ("1:30 AM–2:20 AM", "Jordan & Al"),
    ]


def test_another_clinicians_group_is_listed_without_a_link(maya, people):
    session_of(maya, people, starts_at=at(MONDAY, "10:00"), kind=SessionKind.GROUP)
    own = session_of(
        maya, people[:2], starts_at=at(MONDAY, "12:00"), kind=SessionKind.COUPLES_THERAPY
    )
    sessions = queries.session_calendar_for_clinician(
        user=maya.user, start=at(MONDAY, "00:00"), end=at(MONDAY, "23:00")
    )
    colleague = ClinicianFactory().user

    days = cards.week_days(sessions, viewer=colleague, monday=MONDAY, zone=CLINIC, today=MONDAY)

    assert [entry.url for entry in days[0].entries] == [None, f"/clinic/sessions/{own.pk}/"]
    assert days[0].entries[0].who == f"{len(people)} participants"


def test_days_are_labelled_as_the_date_filter_writes_them(maya):
    days = week_of(maya.user, today=MONDAY + datetime.timedelta(days=3))

    assert [day.day for day in days] == [MONDAY + datetime.timedelta(days=n) for n in range(7)]
    assert [day.is_today for day in days] == [False, False, False, True, False, False, False]
    for day in days:
        assert day.iso == date_filter(day.day, "Y-m-d")
        assert day.heading == date_filter(day.day, "D M j")
        assert day.long_name == date_filter(day.day, "l, F j")
        assert day.agenda_url == cards.day_url("sessions:clinic_agenda", day.day)
        assert day.entries == []
    assert (days[0].heading, days[0].long_name) == ("Mon Oct 26", "Monday, October 26")


@pytest.mark.parametrize("pk", [1, 7, 42, 9876543210, 98765432109876543210])
def test_a_path_for_any_pk_is_what_reverse_gives(pk):
    assert cards.path_for_pk("sessions:detail")(pk) == reverse("sessions:detail", kwargs={"pk": pk})
