"""The partner's home is today: a short to-do list first (a session open to join, the daily
check-in, shared goals waiting for my answer, measures due, a session later today), then this
week (streak, program hours, next session), then a compact view of the goals. On day 0 it
says what happens next instead of zeros.

Jordan (partner A) and Alex (partner B) are a couple; Maya is their couples therapist.
"""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from django.utils.formats import time_format

from audit.models import AuditEvent
from couples import services as couple_services
from couples.queries import couple_today
from goals import services as goal_services
from goals.models import Goal
from measures import services as measure_services
from sessions import services as session_services
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import CoupleFactory, GoalFactory, PartnerFactory
from tests.plans.conftest import plan_with, signed

pytestmark = pytest.mark.timeshift

HOME = "/portal/"
GOALS = "/portal/goals/"
CHECKIN = "/portal/checkin/"
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


@pytest.fixture
def couple(db):
    return CoupleFactory(time_zone="America/Chicago")


@pytest.fixture
def today(couple, time_machine):
    """The couple's day, with the clock held where it is."""
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


@pytest.fixture
def jordan(client, partner_a, partner_b):
    client.force_login(partner_a.user)
    return client


def session_at(therapist, couple, starts_at):
    return session_services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=therapist,
        couple=couple,
        starts_at=starts_at,
        duration_minutes=60,
        by=therapist.user,
    )


def proposed_by(partner, couple, today, title="Phones away at dinner"):
    return goal_services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title=title,
        measure=Goal.Measure.YES_NO,
        target=5,
        start_on=today,
        by=partner.user,
    )


def schedule(partner, instrument, therapist, today):
    measure_services.schedule_set(
        partner=partner,
        instrument=instrument,
        cadence="weekly",
        starts_on=today,
        by=therapist.user,
    )


def check_in(partner, day):
    goal_services.checkin_record(
        partner=partner,
        day=day,
        is_sober=True,
        craving=1,
        mood=4,
        had_trust_discussion=True,
        attended_meeting=False,
    )


def clock(hour, minute=0):
    """A time of day as the pages write it (the project's TIME_FORMAT)."""
    return time_format(datetime.time(hour, minute))


def kinds(response):
    return [item.kind for item in response.context["todo"]]


def section(response, heading_id):
    return response.text.split(f'id="{heading_id}"')[1].split("</section>")[0]


# To do today


def test_the_list_puts_a_session_open_to_join_first_then_checkin_goals_and_measures(
    jordan, couple, partner_a, partner_b, couples_therapist, today
):
    session = session_at(couples_therapist, couple, timezone.now() + datetime.timedelta(minutes=5))
    proposed_by(partner_b, couple, today)
    schedule(partner_a, "phq9", couples_therapist, today)

    response = jordan.get(HOME)

    assert kinds(response) == ["session_open", "checkin", "agree", "measure"]
    todo = section(response, "todo-heading")
    assert f'href="/sessions/{session.pk}/join/"' in todo
    assert f'href="{CHECKIN}">Check in<' in todo
    assert "Phones away at dinner" in todo and ">Accept<" in todo
    assert 'href="/portal/measures/phq9/">Start<' in todo


def test_a_session_later_today_comes_last_with_the_time_join_opens(
    client, couple, partner_a, partner_b, couples_therapist, time_machine
):
    # 09:00 in Chicago: a session at 13:00 is today, and Join is not open yet.
    time_machine.move_to(datetime.datetime(2027, 3, 10, 9, 0, tzinfo=CHICAGO), tick=False)
    session = session_at(
        couples_therapist, couple, datetime.datetime(2027, 3, 10, 13, 0, tzinfo=CHICAGO)
    )
    client.force_login(partner_a.user)

    response = client.get(HOME)

    assert kinds(response) == ["checkin", "session_today"]
    todo = section(response, "todo-heading")
    assert "Couples therapy today" in todo
    assert f"Join opens at {clock(12, 50)}" in todo
    assert f"/sessions/{session.pk}/join/" not in todo
    week = section(response, "week-heading")
    assert f"Today at {clock(13)} CT</time>, until {clock(14)}" in week


def test_a_session_tomorrow_is_not_on_the_list_but_is_this_weeks_next(
    client, couple, partner_a, partner_b, couples_therapist, time_machine
):
    time_machine.move_to(datetime.datetime(2027, 3, 10, 9, 0, tzinfo=CHICAGO), tick=False)
    session_at(couples_therapist, couple, datetime.datetime(2027, 3, 11, 13, 0, tzinfo=CHICAGO))
    client.force_login(partner_a.user)

    response = client.get(HOME)

    assert kinds(response) == ["checkin"]
    week = section(response, "week-heading")
    assert f"Tomorrow at {clock(13)} CT</time>, until {clock(14)}" in week


def test_two_measures_due_are_one_row_that_starts_the_first(
    jordan, partner_a, couples_therapist, today
):
    schedule(partner_a, "phq9", couples_therapist, today)
    schedule(partner_a, "gad7", couples_therapist, today)

    response = jordan.get(HOME)

    assert kinds(response) == ["checkin", "measures"]
    todo = section(response, "todo-heading")
    assert "Measures to fill: 2" in todo
    assert 'href="/portal/measures/phq9/"' in todo and 'href="/portal/measures/gad7/"' in todo


def test_a_goal_i_proposed_waits_for_my_partner_not_for_me(jordan, couple, partner_a, today):
    proposed_by(partner_a, couple, today)

    assert kinds(jordan.get(HOME)) == ["checkin"]


def test_a_change_my_partner_asked_for_is_shown_with_the_goal_to_agree_to_again(
    jordan, couple, partner_a, partner_b, today
):
    goal = proposed_by(partner_a, couple, today)
    goal_services.goal_request_change(goal=goal, partner=partner_b, note="Weekdays only")

    response = jordan.get(HOME)

    assert kinds(response) == ["checkin", "agree"]
    assert "Alex asked for a change: “Weekdays only”" in section(response, "todo-heading")


def test_with_everything_done_the_list_says_so_and_keeps_a_link_to_change_the_checkin(
    jordan, partner_a, today
):
    check_in(partner_a, today)

    response = jordan.get(HOME)

    assert kinds(response) == []
    todo = section(response, "todo-heading")
    assert "You're all set for today." in todo
    assert "Checked in for today" in todo and f'href="{CHECKIN}">Change<' in todo


def test_accepting_on_the_home_answers_in_the_list_not_above_the_page(
    jordan, couple, partner_b, today
):
    goal = proposed_by(partner_b, couple, today)

    response = jordan.post(f"/portal/goals/{goal.pk}/accept/", {"next": f"{HOME}#todo"})
    page = jordan.get(response["Location"].split("#")[0])

    assert response["Location"] == f"{HOME}#todo"
    todo = section(page, "todo-heading")
    assert (
        '<p class="card-note card-note-success" role="status">You both agreed: '
        "“Phones away at dinner” is active now.</p>"
    ) in todo
    assert 'class="messages"' not in page.text
    assert "agree" not in kinds(page)


def test_other_messages_stay_at_the_top_of_the_page(jordan, today):
    answers = {"day": today.isoformat(), "is_sober": "yes", "craving": "1", "mood": "4"}
    response = jordan.post(CHECKIN, answers)
    page = jordan.get(response["Location"])

    assert 'class="messages"' in page.text
    assert "Check-in saved." in page.text.split('class="messages"')[1].split("</div>")[0]


# This week and progress


def test_this_week_shows_the_streak_hours_and_next_session(
    jordan, couple, partner_a, couples_therapist, today
):
    session_at(couples_therapist, couple, timezone.now() + datetime.timedelta(days=2))
    sober_days = (today - partner_a.sobriety_date).days + 1

    week = section(jordan.get(HOME), "week-heading")

    assert f'<span class="streak-number">{sober_days}</span> days' in week
    assert "of 9 hours" in week and "<progress" in week
    assert "Couples therapy" in week and "All my sessions" in week


def test_progress_is_one_row_a_goal_linking_to_its_card_on_the_goals_page(
    jordan, couple, partner_a, today
):
    shared = GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    mine = GoalFactory(couple=couple, partner=partner_a, title="Morning walk", start_on=today)
    goal_services.progress_log(goal=shared, partner=partner_a, day=today, value=1)

    progress = section(jordan.get(HOME), "progress-heading")

    assert f'href="{GOALS}#goal-{shared.pk}">Ten minutes of talk<' in progress
    assert "Today: Done" in progress
    assert f'href="{GOALS}#goal-{mine.pk}">Morning walk<' in progress
    assert "Not logged today" in progress
    assert 'action="/portal/goals/' not in progress  # logging is on the Goals page


def test_the_home_shows_none_of_my_partners_own_goals_even_when_shared(
    jordan, couple, partner_b, today
):
    GoalFactory(couple=couple, partner=partner_b, title="Evening walk alone")
    couple_services.consent_grant(
        partner=partner_b, shares_goals=True, shares_checkins=False, by=partner_b.user
    )

    response = jordan.get(HOME)

    assert "Evening walk alone" not in response.text
    assert "42 CFR part 2" not in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).exists()


# Day 0


def test_on_day_zero_the_home_says_what_happens_next_instead_of_zeros(client, db, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    couple = CoupleFactory(admitted_on=None, status="intake")
    riley = PartnerFactory(couple=couple, user__first_name="Riley", sobriety_date=None)
    client.force_login(riley.user)

    response = client.get(HOME)

    assert kinds(response) == ["checkin"]
    assert "Check in once a day, it takes a minute." in response.text
    week = section(response, "week-heading")
    assert (
        "Your care team will book your first session; you'll get an email and a notice here."
        in week
    )
    assert "of 9 hours" not in week and "0.0" not in week
    assert "Your care team will record your recovery date with you." in week
    assert "Your couples therapist will set your first goals with you" in response.text


def test_later_without_a_session_booked_the_home_speaks_of_the_next_one(jordan, today):
    week = section(jordan.get(HOME), "week-heading")

    assert "No session scheduled yet. Your care team will book the next one with you" in week
    assert "of 9 hours" not in week


# Who sees it, and what it costs


def test_a_clinician_cannot_open_the_portal_home(client, couples_therapist):
    sign_in_with_mfa(client, couples_therapist.user)

    assert client.get(HOME).status_code == 403


def test_another_couples_partner_sees_only_their_own_day(
    client, couple, partner_a, partner_b, today
):
    proposed_by(partner_b, couple, today)
    GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    client.force_login(PartnerFactory().user)

    response = client.get(HOME)

    assert "Phones away at dinner" not in response.text
    assert "Ten minutes of talk" not in response.text
    assert "Jordan" not in response.text and "Alex" not in response.text


def test_the_home_with_everything_on_it_reads_sixteen_queries(
    jordan, couple, partner_a, partner_b, couples_therapist, today, django_assert_max_num_queries
):
    session_at(couples_therapist, couple, timezone.now() + datetime.timedelta(minutes=5))
    proposed_by(partner_b, couple, today)
    for title in ("Ten minutes of talk", "Sober activity"):
        GoalFactory(couple=couple, title=title, start_on=today)
    GoalFactory(couple=couple, partner=partner_a, start_on=today)
    schedule(partner_a, "phq9", couples_therapist, today)
    schedule(partner_a, "gad7", couples_therapist, today)
    signed(plan_with(couple=couple, partner=None, responsible=couples_therapist))
    jordan.get(HOME)  # the first request stamps the session

    # Measured 16: session, user with roles, partner with couple and user, the couple's
    # partners, Alex's consent (which goals I see), the visible goals, their acceptances,
    # a week of entries, change requests of the pending goal; today's check-in with the
    # days of reported use; my next session, its participants, my minutes this week; my
    # measure schedules and what of them is answered (what is due); my plans waiting for
    # my acknowledgement. Without goals, measures or a session it is 11
    # (tests/couples/test_views.py): care team, sharing and coverage moved to the More page.
    with django_assert_max_num_queries(16):
        response = jordan.get(HOME)

    assert kinds(response) == ["session_open", "checkin", "agree", "measures", "plan"]
