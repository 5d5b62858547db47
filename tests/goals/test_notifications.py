"""The check-in prompt, the weekly goal review and the care team's missed check-in alert."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from couples import services as couple_services
from couples.models import CareRole, Couple, Notification, NotificationPreference
from couples.notifications import notification_send, notifications_create, notifications_plan
from goals import notifications
from goals.models import CheckIn
from tests.clock import Clock
from tests.factories import ClinicianFactory, CoupleFactory, GoalFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Tuesday 10 March 2026: New York is on summer time (UTC-4) already, Berlin not yet (UTC+1).
TUESDAY = datetime.date(2026, 3, 10)
SUNDAY = datetime.date(2026, 3, 15)
# A goal title that names a substance, and must never leave the portal.
SECRET_TITLE = "No alcohol at the weekend"


def at(day: datetime.date, hour: int, minute: int = 0, *, zone=NEW_YORK) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The code reads the clock (notification_send's `now` does not reach the kinds' checks):
    it stands still where a test sets it."""
    return Clock(time_machine, at(TUESDAY, 12))


@pytest.fixture
def berlin_pair(db):
    couple = CoupleFactory(time_zone="Europe/Berlin")
    return [
        PartnerFactory(couple=couple, user__first_name="Sam"),
        PartnerFactory(couple=couple, user__first_name="Robin"),
    ]


def checkin(partner, day):
    return CheckIn.objects.create(
        partner=partner,
        day=day,
        is_sober=True,
        craving=1,
        mood=3,
        had_trust_discussion=False,
        attended_meeting=False,
        recorded_on=day,
    )


def prompts_due(now):
    return list(notifications.checkin_prompts_plan(now))


def reviews_due(now):
    return list(notifications.goal_reviews_plan(now))


def alerts_due(now):
    return list(notifications.checkins_missed_plan(now))


def plan(clock, moment):
    clock.moment = moment
    notifications_plan(now=moment)


def send(clock, moment, kind):
    clock.moment = moment
    for pk in Notification.objects.filter(kind=kind).values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


def rows(kind, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def prefer(partner, **fields):
    return NotificationPreference.objects.update_or_create(user=partner.user, defaults=fields)[0]


# The daily check-in prompt


def test_the_prompt_comes_at_8pm_local_in_each_zone(partner_a, partner_b, berlin_pair):
    berlin_8pm = at(TUESDAY, 20, zone=BERLIN)
    new_york_8pm = at(TUESDAY, 20)

    assert prompts_due(berlin_8pm - datetime.timedelta(minutes=1)) == []

    in_berlin = prompts_due(berlin_8pm)
    assert {d.recipient_id for d in in_berlin} == {p.user_id for p in berlin_pair}
    assert {d.slot for d in in_berlin} == {berlin_8pm}
    assert {d.due_at for d in in_berlin} == {berlin_8pm}

    # 19:59 in New York is past midnight in Berlin: its partners' day (and prompt) is over.
    assert prompts_due(new_york_8pm - datetime.timedelta(minutes=1)) == []
    in_new_york = prompts_due(new_york_8pm)
    assert {d.recipient_id for d in in_new_york} == {partner_a.user_id, partner_b.user_id}
    assert {d.slot for d in in_new_york} == {new_york_8pm}
    assert new_york_8pm.astimezone(datetime.UTC) == datetime.datetime(
        2026, 3, 11, 0, 0, tzinfo=datetime.UTC
    )


def test_no_prompt_is_planned_after_local_midnight(partner_a):
    assert prompts_due(at(TUESDAY, 23, 59)) != []
    assert prompts_due(at(TUESDAY + days(1), 0, 1)) == []


def test_a_partners_own_zone_and_time_win_over_the_couples(partner_a, partner_b):
    prefer(partner_a, time_zone="Europe/Berlin", checkin_prompt_time=datetime.time(7, 30))

    due = prompts_due(at(TUESDAY, 7, 30, zone=BERLIN))

    assert [(d.recipient_id, d.slot) for d in due] == [
        (partner_a.user_id, at(TUESDAY, 7, 30, zone=BERLIN))
    ]


def test_planning_again_makes_no_second_prompt(clock, partner_a, partner_b):
    for moment in (at(TUESDAY, 20), at(TUESDAY, 20, 1), at(TUESDAY, 22)):
        plan(clock, moment)

    assert rows(notifications.CHECKIN_PROMPT).count() == 2


def test_a_partner_who_has_checked_in_today_is_not_prompted(partner_a, partner_b):
    checkin(partner_a, TUESDAY)
    checkin(partner_b, TUESDAY - days(1))

    assert [d.recipient_id for d in prompts_due(at(TUESDAY, 20))] == [partner_b.user_id]


def test_the_prompt_is_withdrawn_after_a_checkin_made_meanwhile(clock, partner_a):
    plan(clock, at(TUESDAY, 20))
    checkin(partner_a, TUESDAY)

    send(clock, at(TUESDAY, 20, 1), notifications.CHECKIN_PROMPT)

    prompt = rows(notifications.CHECKIN_PROMPT).get()
    assert (prompt.status, prompt.status_note) == ("withdrawn", "Already checked in")
    assert mail.outbox == []


def test_quiet_hours_hold_the_prompt_until_they_end(clock, partner_a):
    prefer(
        partner_a, quiet_hours_start=datetime.time(19, 30), quiet_hours_end=datetime.time(20, 30)
    )
    plan(clock, at(TUESDAY, 20))

    send(clock, at(TUESDAY, 20), notifications.CHECKIN_PROMPT)

    prompt = rows(notifications.CHECKIN_PROMPT).get()
    assert (prompt.status, prompt.next_attempt_at) == ("queued", at(TUESDAY, 20, 30))
    assert mail.outbox == []

    send(clock, at(TUESDAY, 20, 30), notifications.CHECKIN_PROMPT)

    assert rows(notifications.CHECKIN_PROMPT).get().status == "sent"
    assert [message.to for message in mail.outbox] == [[partner_a.user.email]]


def test_a_prompt_held_past_midnight_is_withdrawn(clock, partner_a):
    prefer(partner_a, quiet_hours_start=datetime.time(19), quiet_hours_end=datetime.time(7))
    plan(clock, at(TUESDAY, 20))
    send(clock, at(TUESDAY, 20), notifications.CHECKIN_PROMPT)

    send(clock, at(TUESDAY + days(1), 7), notifications.CHECKIN_PROMPT)

    prompt = rows(notifications.CHECKIN_PROMPT).get()
    assert (prompt.status, prompt.status_note) == ("withdrawn", "The day is over")
    assert mail.outbox == []


def test_no_prompt_when_turned_off_and_a_planned_one_is_withdrawn(clock, partner_a, partner_b):
    prefer(partner_a, checkin_prompts=False)
    plan(clock, at(TUESDAY, 20))
    assert [n.recipient_id for n in rows(notifications.CHECKIN_PROMPT)] == [partner_b.user_id]

    prefer(partner_b, checkin_prompts=False)
    send(clock, at(TUESDAY, 20, 1), notifications.CHECKIN_PROMPT)

    assert rows(notifications.CHECKIN_PROMPT).get().status_note == "Turned off by the recipient"


@pytest.mark.parametrize("status", [Couple.Status.INTAKE, Couple.Status.DISCHARGED])
def test_couples_not_in_treatment_are_not_prompted(couple, partner_a, status):
    couple.status = status
    couple.save()

    assert prompts_due(at(TUESDAY, 20)) == []


def test_a_discharge_after_planning_withdraws_the_prompt(clock, couple, partner_a):
    plan(clock, at(TUESDAY, 20))
    couple.status = Couple.Status.DISCHARGED
    couple.discharged_on = TUESDAY
    couple.save()

    send(clock, at(TUESDAY, 20, 1), notifications.CHECKIN_PROMPT)

    assert rows(notifications.CHECKIN_PROMPT).get().status == "withdrawn"


def test_moving_the_prompt_later_after_it_was_sent_makes_no_second_one(clock, partner_a):
    plan(clock, at(TUESDAY, 20))
    send(clock, at(TUESDAY, 20), notifications.CHECKIN_PROMPT)
    prefer(partner_a, checkin_prompt_time=datetime.time(21))

    plan(clock, at(TUESDAY, 21))
    send(clock, at(TUESDAY, 21), notifications.CHECKIN_PROMPT)

    statuses = rows(notifications.CHECKIN_PROMPT).order_by("slot").values_list("status", flat=True)
    assert list(statuses) == ["sent", "withdrawn"]
    assert len(mail.outbox) == 1


def test_the_prompt_says_only_the_recipients_first_name_and_a_link(
    clock, couple, partner_a, partner_b
):
    GoalFactory(couple=couple, partner=partner_a, title=SECRET_TITLE)
    plan(clock, at(TUESDAY, 20))
    checkin(partner_b, TUESDAY)

    send(clock, at(TUESDAY, 20), notifications.CHECKIN_PROMPT)

    [email] = mail.outbox
    text = email.subject + email.body + email.alternatives[0].content
    assert "Hi Jordan" in email.body
    assert "http://localhost:8000/portal/checkin/" in email.body
    for secret in (SECRET_TITLE, "alcohol", "Alex", partner_a.user.last_name):
        assert secret not in text


# The weekly goal review


def test_the_goal_review_comes_on_sunday_at_the_prompt_time(couple, partner_a, partner_b):
    GoalFactory(couple=couple)

    assert reviews_due(at(SUNDAY - days(1), 20)) == []
    assert reviews_due(at(SUNDAY, 19, 59)) == []
    due = reviews_due(at(SUNDAY, 20))
    assert {d.recipient_id for d in due} == {partner_a.user_id, partner_b.user_id}
    assert {d.slot for d in due} == {at(SUNDAY, 20)}


def test_only_partners_with_an_active_goal_get_the_review(couple, partner_a, partner_b):
    GoalFactory(couple=couple, status="proposed")
    GoalFactory(couple=couple, partner=partner_a)

    assert [d.recipient_id for d in reviews_due(at(SUNDAY, 20))] == [partner_a.user_id]


def test_the_review_is_planned_once_and_names_no_goal(clock, couple, partner_a):
    GoalFactory(couple=couple, title=SECRET_TITLE)
    plan(clock, at(SUNDAY, 20))
    plan(clock, at(SUNDAY, 21))

    send(clock, at(SUNDAY, 21), notifications.GOAL_REVIEW)

    assert rows(notifications.GOAL_REVIEW).get().status == "sent"
    [email] = mail.outbox
    assert "http://localhost:8000/portal/#shared-goals-heading" in email.body
    assert SECRET_TITLE not in email.subject + email.body + email.alternatives[0].content


def test_the_review_is_withdrawn_when_no_goal_is_active_any_more(clock, couple, partner_a):
    goal = GoalFactory(couple=couple)
    plan(clock, at(SUNDAY, 20))
    goal.status = "achieved"
    goal.save()

    send(clock, at(SUNDAY, 20), notifications.GOAL_REVIEW)

    assert rows(notifications.GOAL_REVIEW).get().status_note == "No active goal"


# The care team's alert when a partner stops checking in


@pytest.fixture
def care_team(couple, partner_a, partner_b, team):
    """The couples therapist (who replaced another) and partner_a's individual therapist."""
    for clinician in (team["versatile"], team["couples"]):
        couple_services.care_team_assign(
            couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
        )
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=team["therapist"],
        partner=partner_a,
        by=None,
    )
    return [team["couples"], team["therapist"]]


def test_the_care_team_is_alerted_when_a_partner_missed_two_days(care_team, partner_a, partner_b):
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY - days(1))

    due = alerts_due(at(TUESDAY, 0, 1))

    # The replaced couples therapist is not on the team any more.
    assert {d.recipient_id for d in due} == {c.user_id for c in care_team}
    assert {d.object_ref for d in due} == {f"couples.partner:{partner_a.pk}"}
    assert {d.slot for d in due} == {at(TUESDAY - days(2), 0)}
    assert {d.due_at for d in due} == {at(TUESDAY, 0)}


def test_one_missed_day_raises_no_alert(care_team, partner_a, partner_b):
    checkin(partner_a, TUESDAY - days(2))
    checkin(partner_b, TUESDAY)

    assert alerts_due(at(TUESDAY, 23, 59)) == []


def test_the_missed_days_are_the_partners_own(care_team, partner_a, partner_b):
    prefer(partner_a, time_zone="Europe/Berlin")
    for partner in (partner_a, partner_b):
        checkin(partner, TUESDAY - days(3))

    # 19:00 in New York is already Wednesday in Berlin.
    due = alerts_due(at(TUESDAY - days(1), 19))

    assert {d.object_ref for d in due} == {f"couples.partner:{partner_a.pk}"}
    assert {d.slot for d in due} == {at(TUESDAY - days(2), 0, zone=BERLIN)}


def test_a_partner_who_never_checked_in_counts_from_admission(care_team, couple, partner_a):
    couple.admitted_on = TUESDAY - days(2)
    couple.save()

    assert {d.slot for d in alerts_due(at(TUESDAY, 8))} == {at(TUESDAY - days(2), 0)}
    couple.admitted_on = TUESDAY - days(1)
    couple.save()
    assert alerts_due(at(TUESDAY, 8)) == []


def test_a_gap_raises_one_alert_however_long_it_lasts(clock, care_team, partner_a, partner_b):
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY + days(3))

    for offset in range(4):
        plan(clock, at(TUESDAY + days(offset), 9))

    assert rows(notifications.CHECKINS_MISSED).count() == len(care_team)


def test_a_new_gap_raises_a_new_alert(clock, care_team, partner_a, partner_b):
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY + days(5))
    plan(clock, at(TUESDAY, 9))
    checkin(partner_a, TUESDAY + days(1))

    plan(clock, at(TUESDAY + days(4), 9))

    slots = rows(notifications.CHECKINS_MISSED).values_list("slot", flat=True).distinct()
    assert sorted(slots) == [at(TUESDAY - days(2), 0), at(TUESDAY + days(2), 0)]


def test_a_checkin_for_a_missed_day_withdraws_the_alert(clock, care_team, partner_a, partner_b):
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY)
    notifications_create(alerts_due(at(TUESDAY, 9)))
    checkin(partner_a, TUESDAY - days(1))  # filled in late

    send(clock, at(TUESDAY, 9), notifications.CHECKINS_MISSED)

    notes = set(rows(notifications.CHECKINS_MISSED).values_list("status_note", flat=True))
    assert notes == {"The partner has checked in since"}
    assert mail.outbox == []


def test_a_clinician_who_left_the_team_gets_no_alert(
    clock, care_team, couple, partner_a, partner_b, team
):
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY)
    notifications_create(alerts_due(at(TUESDAY, 9)))
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=team["versatile"], by=None
    )

    send(clock, at(TUESDAY, 9), notifications.CHECKINS_MISSED)

    left = rows(notifications.CHECKINS_MISSED, recipient=team["couples"].user).get()
    assert (left.status, left.status_note) == ("withdrawn", "No longer caring for this partner")
    assert [message.to for message in mail.outbox] == [[team["therapist"].user.email]]


def test_the_alert_names_no_patient(clock, care_team, couple, partner_a, partner_b):
    GoalFactory(couple=couple, title=SECRET_TITLE)
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY)
    notifications_create(alerts_due(at(TUESDAY, 9)))

    send(clock, at(TUESDAY, 9), notifications.CHECKINS_MISSED)

    assert len(mail.outbox) == 2
    for email in mail.outbox:
        text = email.subject + email.body + email.alternatives[0].content
        assert "A partner on your caseload has not checked in for 2 days." in email.body
        assert f"http://localhost:8000/clinic/couples/{couple.pk}/" in email.body
        for secret in ("Jordan", "Alex", partner_a.user.last_name, SECRET_TITLE):
            assert secret not in text


def test_the_in_app_notice_says_who_behind_the_sign_in(clock, care_team, partner_a, partner_b):
    """Two partners silent at once used to leave two identical notices naming no one."""
    checkin(partner_a, TUESDAY - days(3))
    checkin(partner_b, TUESDAY - days(3))
    notifications_create(alerts_due(at(TUESDAY, 9)))

    send(clock, at(TUESDAY, 9), notifications.CHECKINS_MISSED)

    notices = rows(notifications.CHECKINS_MISSED, recipient=care_team[0].user)
    assert sorted(notices.values_list("subject", flat=True)) == [
        "Alex has not checked in for 2 days",
        "Jordan has not checked in for 2 days",
    ]
    for email in mail.outbox:
        assert "Jordan" not in email.subject + email.body
        assert "Alex" not in email.subject + email.body


# Every plan reads everyone in a fixed number of queries


def caseload(size: int) -> None:
    """`size` couples in two zones, each with an active goal and a couples therapist; one
    partner checked in today, the other not for four days."""
    clinician = ClinicianFactory()
    for number in range(size):
        couple = CoupleFactory(time_zone="Europe/Berlin" if number % 2 else "America/New_York")
        first, second = PartnerFactory(couple=couple), PartnerFactory(couple=couple)
        GoalFactory(couple=couple)
        checkin(first, SUNDAY)
        checkin(second, SUNDAY - days(4))
        prefer(second, checkin_prompt_time=datetime.time(7))
        couple_services.care_team_assign(
            couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
        )


@pytest.mark.parametrize("size", [2, 20])
def test_each_plan_costs_the_same_queries_for_any_number_of_couples(
    db, size, django_assert_num_queries
):
    caseload(size)
    # Late on Sunday, in both zones.
    now = datetime.datetime(2026, 3, 15, 22, 30, tzinfo=datetime.UTC)

    with django_assert_num_queries(1):  # partners with preferences and last check-in day
        prompts = prompts_due(now)
    with django_assert_num_queries(1):  # partners with preferences and an active goal
        reviews = reviews_due(now)
    # Partners without a check-in since yesterday, with their last one; the care teams.
    with django_assert_num_queries(2):
        alerts = alerts_due(now)

    # The partner who has not checked in (prompt at 07:00) everywhere; the default 20:00 has
    # come in Berlin (23:30) but not in New York (18:30).
    assert len(prompts) == len(alerts) == size
    assert len(reviews) == size + size // 2
