"""The states that raise items by themselves, and end them when they stop being true."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from goals.models import CheckIn, GoalChangeRequest
from insurance.models import Coverage, Payer
from sessions.models import Attendance, SessionKind
from tests.factories import GoalFactory, PartnerFactory, session_written
from triage import queries
from triage.models import TriageItem
from triage.sweeps import RULES, sweep

pytestmark = pytest.mark.django_db
NEW_YORK = ZoneInfo("America/New_York")
# A Thursday evening in New York, the couple factory's zone.
THURSDAY = datetime.datetime(2026, 12, 10, 18, 0, tzinfo=NEW_YORK)
MONDAY = datetime.datetime(2026, 12, 7, 18, 0, tzinfo=NEW_YORK)


@pytest.fixture
def at(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)
        return moment

    return move


def items(kind):
    return list(TriageItem.objects.filter(kind=kind).order_by("pk"))


def checkin(partner, day, *, craving=2, mood=CheckIn.Mood.OKAY, sober=True):
    return CheckIn.objects.create(
        partner=partner,
        day=day,
        is_sober=sober,
        craving=craving,
        mood=mood,
        had_trust_discussion=False,
        attended_meeting=False,
        recorded_on=day,
    )


def covered(partner):
    """Coverage on file, verified and far from its end: no coverage item."""
    return Coverage.objects.create(
        partner=partner,
        payer=Payer.objects.get_or_create(name="Blue Cross PPO")[0],
        member_id="XJ1",
        subscriber_name="Someone",
        effective_on=datetime.date(2026, 1, 1),
        status=Coverage.Status.VERIFIED,
        verified_at=datetime.datetime(2026, 1, 2, tzinfo=NEW_YORK),
        verification_method=Coverage.Method.PHONE,
        reference_number="REF1",
    )


def test_every_app_registers_its_rules():
    assert set(RULES) == {
        "hard_days",
        "checkins_missed",
        "goal_change_request",
        "goal_stalled",
        "ratings_apart",
        "session_request",
        "iop_short",
        "no_session",
        "coverage",
        "note_overdue",
        "plan_review",
    }


def test_two_hard_days_of_three_raise_one_high_item_and_a_calm_week_ends_it(partner_a, at):
    now = at(THURSDAY)
    today = now.date()
    checkin(partner_a, today - datetime.timedelta(days=2), craving=9)
    checkin(partner_a, today - datetime.timedelta(days=1))
    latest = checkin(partner_a, today, mood=CheckIn.Mood.VERY_LOW)

    sweep()
    sweep()

    (item,) = items("hard_days")
    assert item.severity == TriageItem.Severity.HIGH
    assert item.source_ref == f"goals.checkin:{latest.pk}"
    assert "on 2 of the last 3 days" in item.summary
    at(THURSDAY + datetime.timedelta(days=2))
    checkin(partner_a, today + datetime.timedelta(days=1))
    checkin(partner_a, today + datetime.timedelta(days=2))
    sweep()
    item.refresh_from_db()
    assert item.resolved_at is not None
    assert item.resolution.startswith("Fewer hard days")


def test_one_hard_day_raises_nothing(partner_a, at):
    now = at(THURSDAY)
    checkin(partner_a, now.date(), craving=10)

    sweep()

    assert items("hard_days") == []


def test_a_silent_partner_raises_an_item_that_ends_when_they_check_in(partner_a, at):
    now = at(THURSDAY)
    checkin(partner_a, now.date() - datetime.timedelta(days=3))

    sweep()
    (item,) = items("checkins_missed")
    assert "for 3 days" in item.summary or "(3 days)" in item.summary

    checkin(partner_a, now.date())
    sweep()

    item.refresh_from_db()
    assert item.resolution == "Checked in again"


def test_an_acknowledged_silence_does_not_come_back_until_a_new_one(partner_a, clinician, at):
    now = at(THURSDAY)
    checkin(partner_a, now.date() - datetime.timedelta(days=3))
    sweep()
    TriageItem.objects.update(
        acknowledged_at=now, acknowledged_by=clinician.user, acknowledgement_note="Called"
    )

    sweep()

    assert len(items("checkins_missed")) == 1


def test_a_goal_change_request_waits_in_the_queue_until_answered(partner_a, at):
    now = at(THURSDAY)
    goal = GoalFactory(couple=partner_a.couple, partner=None, title="Talk after dinner")
    request = GoalChangeRequest.objects.create(goal=goal, partner=partner_a, note="Less often")

    sweep()
    (item,) = items("goal_change_request")
    assert item.partner is None  # a shared goal: the whole care team
    assert "asked to change “Talk after dinner”" in item.summary

    request.resolved_at = now
    request.save()
    sweep()
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_a_request_to_move_a_session_is_an_item_until_the_session_moves(partner_a, clinician, at):
    now = at(MONDAY)
    session = session_written(
        clinician,
        [partner_a],
        starts_at=now + datetime.timedelta(days=1),
        kind=SessionKind.COUPLES_THERAPY,
        minutes=60,
    )
    Attendance.objects.filter(session=session).update(
        response=Attendance.Response.RESCHEDULE_REQUESTED, responded_at=now
    )

    sweep()
    (item,) = items("session_request")
    assert "asked to move the session on Tue Dec 8, 6:00 PM" in item.summary

    session.status = "cancelled"
    session.save()
    sweep()
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_iop_hours_short_is_said_from_thursday_not_on_monday(partner_a, clinician, at):
    at(MONDAY)
    sweep()
    assert items("iop_short") == []

    now = at(THURSDAY)
    past = session_written(
        clinician,
        [partner_a],
        starts_at=now - datetime.timedelta(days=2),
        kind=SessionKind.GROUP,
        minutes=180,
    )
    Attendance.objects.filter(session=past).update(status="present", minutes_attended=180)
    session_written(
        clinician,
        [partner_a],
        starts_at=now + datetime.timedelta(days=1),
        kind=SessionKind.GROUP,
        minutes=180,
    )
    sweep()

    (item,) = items("iop_short")
    assert "on course for 6.0 of 9 IOP hours this week (3.0 attended, 3.0 booked)" in item.summary


def test_enough_hours_booked_raise_no_iop_item(partner_a, clinician, at):
    now = at(THURSDAY)
    for days in (1, 2, 3):
        session_written(
            clinician,
            [partner_a],
            starts_at=now - datetime.timedelta(days=3) + datetime.timedelta(days=days),
            kind=SessionKind.GROUP,
            minutes=180,
        )
    Attendance.objects.filter(session__starts_at__lt=now).update(
        status="present", minutes_attended=180
    )
    session_written(
        clinician,
        [partner_a],
        starts_at=now + datetime.timedelta(hours=1),
        kind="group",
        minutes=180,
    )

    sweep()

    assert [i.partner_id for i in items("iop_short")] != [partner_a.pk]


def test_a_couple_with_no_session_ahead_gets_one_item_until_one_is_booked(partner_a, clinician, at):
    now = at(MONDAY)
    sweep()
    (item,) = items("no_session")
    assert (item.couple_id, item.partner_id) == (partner_a.couple_id, None)

    session_written(
        clinician,
        [partner_a],
        starts_at=now + datetime.timedelta(days=3),
        kind=SessionKind.COUPLES_THERAPY,
        minutes=60,
    )
    sweep()
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_no_coverage_on_file_is_a_routine_item_and_verified_coverage_ends_it(partner_a, at):
    at(MONDAY)
    sweep()
    (item,) = items("coverage")
    assert item.severity == TriageItem.Severity.ROUTINE
    assert item.summary == f"No coverage on file for {partner_a.display_name}"

    covered(partner_a)
    sweep()
    item.refresh_from_db()
    assert item.resolved_at is not None


def test_a_couple_not_in_treatment_raises_nothing(partner_a, at):
    partner_a.couple.status = "discharged"
    partner_a.couple.save()
    at(THURSDAY)

    sweep()

    assert not TriageItem.objects.exists()


def test_an_ended_item_leaves_the_queue(partner_a, couples_therapist, at):
    at(MONDAY)
    checkin(partner_a, MONDAY.date())
    sweep()
    assert queries.items_open_for_clinician(user=couples_therapist.user)

    covered(partner_a)
    session_written(
        couples_therapist,
        [partner_a],
        starts_at=MONDAY + datetime.timedelta(days=1),
        kind=SessionKind.COUPLES_THERAPY,
        minutes=60,
    )
    sweep()

    assert [i.kind for i in queries.items_open_for_clinician(user=couples_therapist.user)] == []


def test_the_sweep_reads_the_same_number_of_queries_for_one_couple_as_for_twenty(
    django_assert_max_num_queries, at
):
    at(THURSDAY)
    PartnerFactory()
    with django_assert_max_num_queries(60) as one:
        sweep()
    for _ in range(19):
        PartnerFactory()
    with django_assert_max_num_queries(len(one.captured_queries)):
        sweep()
