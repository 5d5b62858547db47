"""The caseload's session reads: each couple's next session and the week's IOP minutes.

Sessions are written straight to the tables so that a test can place one anywhere in time,
going on now or long past, whatever the scheduling rules would allow today.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest

from couples.models import Couple
from sessions import queries
from sessions.models import Attendance, SessionKind, TherapySession
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory, session_written

CLINIC = ZoneInfo("America/New_York")
NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=CLINIC)
# The queries are given NOW; the clock starts there too, so what the factories date from
# today (a couple's admission, a partner's sobriety date) comes before the sessions.
pytestmark = [pytest.mark.time_machine(NOW), pytest.mark.timeshift]
Status = TherapySession.Status


def hours_from_now(hours: float) -> datetime.datetime:
    return NOW + datetime.timedelta(hours=hours)


def session_for(partners, *, starts_at, minutes=60, status=Status.SCHEDULED, kind=None):
    """A session of the partners' couple, or a group when they come from several couples."""
    couples = {partner.couple_id for partner in partners}
    kind = kind or (SessionKind.GROUP if len(couples) > 1 else SessionKind.COUPLES_THERAPY)
    return session_written(
        ClinicianFactory(), partners, starts_at=starts_at, kind=kind, minutes=minutes, status=status
    )


def couple_with_partners():
    couple = CoupleFactory()
    return couple, PartnerFactory(couple=couple), PartnerFactory(couple=couple)


def listed(*couples):
    """The couples as the caseload reads them: with their partners."""
    return list(Couple.objects.filter(pk__in=[c.pk for c in couples]).prefetch_related("partners"))


def next_for(*couples):
    return queries.session_next_for_couples(couples=listed(*couples), now=NOW)


# Each couple's next session


def test_the_next_session_is_the_earliest_still_to_come(db):
    couple, jordan, alex = couple_with_partners()
    later = session_for([jordan, alex], starts_at=hours_from_now(48))
    sooner = session_for([jordan, alex], starts_at=hours_from_now(24))

    assert next_for(couple) == {couple.pk: sooner}
    assert later.pk != sooner.pk


def test_a_session_going_on_now_comes_before_the_next_one(db):
    couple, jordan, alex = couple_with_partners()
    going_on = session_for([jordan, alex], starts_at=hours_from_now(-0.5), minutes=90)
    session_for([jordan, alex], starts_at=hours_from_now(1))

    assert next_for(couple) == {couple.pk: going_on}


def test_a_session_that_has_ended_is_not_next_even_if_never_marked(db):
    couple, jordan, alex = couple_with_partners()
    session_for([jordan, alex], starts_at=hours_from_now(-1), minutes=60)  # ends right now
    session_for([jordan, alex], starts_at=hours_from_now(-3))
    coming = session_for([jordan, alex], starts_at=hours_from_now(5))

    assert next_for(couple) == {couple.pk: coming}


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.COMPLETED, Status.NO_SHOW])
def test_only_scheduled_sessions_can_be_next(db, status):
    couple, jordan, alex = couple_with_partners()
    session_for([jordan, alex], starts_at=hours_from_now(-0.25), status=status)
    session_for([jordan, alex], starts_at=hours_from_now(2), status=status)
    scheduled = session_for([jordan, alex], starts_at=hours_from_now(26))

    assert next_for(couple) == {couple.pk: scheduled}


def test_a_couple_with_only_cancelled_or_past_sessions_has_no_next_session(db):
    couple, jordan, alex = couple_with_partners()
    session_for([jordan, alex], starts_at=hours_from_now(2), status=Status.CANCELLED)
    session_for([jordan, alex], starts_at=hours_from_now(-30), status=Status.COMPLETED)

    assert next_for(couple) == {}


def test_one_partners_individual_session_is_the_couples_next(db):
    couple, jordan, alex = couple_with_partners()
    individual = session_for(
        [alex], starts_at=hours_from_now(3), kind=SessionKind.INDIVIDUAL_THERAPY
    )
    session_for([jordan, alex], starts_at=hours_from_now(30))

    assert next_for(couple) == {couple.pk: individual}


def test_a_group_without_a_couple_is_next_for_every_couple_in_it(db):
    first, jordan, alex = couple_with_partners()
    second, quinn, robin = couple_with_partners()
    group = session_for([alex, quinn], starts_at=hours_from_now(4))
    own = session_for([jordan, alex], starts_at=hours_from_now(28))
    session_for([quinn, robin], starts_at=hours_from_now(2), status=Status.CANCELLED)

    upcoming = next_for(first, second)

    assert group.couple_id is None
    assert upcoming == {first.pk: group, second.pk: group}
    assert own.pk not in {session.pk for session in upcoming.values()}


def test_a_group_is_not_next_when_the_couple_has_an_earlier_session(db):
    first, jordan, alex = couple_with_partners()
    second, quinn, _robin = couple_with_partners()
    own = session_for([jordan, alex], starts_at=hours_from_now(1))
    group = session_for([jordan, quinn], starts_at=hours_from_now(2))

    assert next_for(first, second) == {first.pk: own, second.pk: group}


def test_sessions_starting_together_are_ordered_by_id(db):
    couple, jordan, alex = couple_with_partners()
    booked_first = session_for([jordan], starts_at=hours_from_now(6))
    session_for([alex], starts_at=hours_from_now(6))

    assert next_for(couple) == {couple.pk: booked_first}


def test_couples_not_asked_about_are_left_out(db):
    listed_couple, jordan, _alex = couple_with_partners()
    other, quinn, _robin = couple_with_partners()
    group = session_for([jordan, quinn], starts_at=hours_from_now(3))
    session_for([quinn], starts_at=hours_from_now(1), kind=SessionKind.COUNSELING)

    assert next_for(listed_couple) == {listed_couple.pk: group}
    assert other.pk not in next_for(listed_couple)


def test_the_next_sessions_come_with_their_clinicians_in_one_query(db, django_assert_num_queries):
    couples = []
    for hours in range(1, 6):
        couple, jordan, alex = couple_with_partners()
        session_for([jordan, alex], starts_at=hours_from_now(hours))
        session_for([jordan, alex], starts_at=hours_from_now(hours + 24))
        couples.append(couple)
    couples = listed(*couples)

    # the first place of each couple's partners in a session to come, with the session
    # and its clinician
    with django_assert_num_queries(1):
        upcoming = queries.session_next_for_couples(couples=couples, now=NOW)
        names = [session.clinician.credentials for session in upcoming.values()]
    assert len(names) == 5


# The week's IOP minutes


def mark(session, partner, status, minutes=0):
    Attendance.objects.filter(session=session, partner=partner).update(
        status=status, minutes_attended=minutes
    )


def minutes_in_week(partners, *, monday):
    start, end = queries.week_bounds(day=monday, time_zone="America/New_York")
    return queries.iop_minutes_for_partners(partners=partners, start=start, end=end)


MONDAY = datetime.date(2026, 11, 23)


def at(day, clock):
    return datetime.datetime.combine(day, datetime.time.fromisoformat(clock), tzinfo=CLINIC)


def test_iop_minutes_count_present_and_late_only(db):
    couple, jordan, alex = couple_with_partners()
    session = session_for([jordan, alex], starts_at=at(MONDAY, "18:00"), minutes=90)
    mark(session, jordan, Attendance.Status.PRESENT, 90)
    mark(session, alex, Attendance.Status.LATE, 45)
    group = session_for(
        [jordan, alex, PartnerFactory()], starts_at=at(MONDAY, "10:00"), minutes=120
    )
    mark(group, jordan, Attendance.Status.ABSENT)
    mark(group, alex, Attendance.Status.EXCUSED)

    assert group.couple_id is None
    assert minutes_in_week([jordan, alex], monday=MONDAY) == {jordan.pk: 90, alex.pk: 45}


def test_iop_minutes_add_up_group_and_couple_sessions(db):
    couple, jordan, alex = couple_with_partners()
    own = session_for([jordan, alex], starts_at=at(MONDAY, "18:00"))
    group = session_for([jordan, PartnerFactory()], starts_at=at(MONDAY, "09:00"), minutes=180)
    mark(own, jordan, Attendance.Status.PRESENT, 60)
    mark(group, jordan, Attendance.Status.PRESENT, 170)

    assert minutes_in_week([jordan, alex], monday=MONDAY) == {jordan.pk: 230, alex.pk: 0}


def test_iop_minutes_count_sessions_by_their_start_in_the_week(db):
    couple, jordan, alex = couple_with_partners()
    sunday = MONDAY - datetime.timedelta(days=1)
    next_monday = MONDAY + datetime.timedelta(days=7)
    spanning = session_for([jordan], starts_at=at(sunday, "23:30"), minutes=60)
    first = session_for([jordan], starts_at=at(MONDAY, "00:00"))
    last = session_for([jordan], starts_at=at(next_monday - datetime.timedelta(days=1), "23:59"))
    after = session_for([jordan], starts_at=at(next_monday, "00:00"))
    for session in (spanning, first, last, after):
        mark(session, jordan, Attendance.Status.PRESENT, 10)

    assert minutes_in_week([jordan], monday=MONDAY) == {jordan.pk: 20}


def test_iop_minutes_follow_the_clinics_week_across_a_dst_change(db):
    # Clocks went back at 02:00 on Sunday 1 November 2026: that week has 169 hours.
    couple, jordan, alex = couple_with_partners()
    monday = datetime.date(2026, 10, 26)
    sunday = datetime.date(2026, 11, 1)
    inside = [
        session_for([jordan], starts_at=at(monday, "00:30")),  # EDT
        session_for([jordan], starts_at=at(sunday, "23:30")),  # EST
    ]
    outside = [
        session_for([jordan], starts_at=at(monday, "00:00") - datetime.timedelta(minutes=30)),
        session_for([jordan], starts_at=at(sunday + datetime.timedelta(days=1), "00:00")),
    ]
    for session in inside + outside:
        mark(session, jordan, Attendance.Status.PRESENT, 25)

    assert minutes_in_week([jordan, alex], monday=monday) == {jordan.pk: 50, alex.pk: 0}


def test_iop_minutes_are_zero_for_partners_who_attended_nothing(db):
    couple, jordan, alex = couple_with_partners()

    assert minutes_in_week([jordan, alex], monday=MONDAY) == {jordan.pk: 0, alex.pk: 0}


def test_iop_minutes_take_one_query_for_any_number_of_partners(db, django_assert_num_queries):
    partners = []
    for _ in range(4):
        couple, jordan, alex = couple_with_partners()
        session = session_for([jordan, alex], starts_at=at(MONDAY, "18:00"))
        mark(session, jordan, Attendance.Status.PRESENT, 60)
        partners += [jordan, alex]

    # the partners' present or late minutes in sessions starting that week, summed
    with django_assert_num_queries(1):
        minutes = minutes_in_week(partners, monday=MONDAY)
    assert sorted(minutes.values()) == [0, 0, 0, 0, 60, 60, 60, 60]


def test_an_empty_caseload_reads_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queries.session_next_for_couples(couples=[], now=NOW) == {}
