"""What check-ins and goals raise in the triage queue (goals/triage_rules.py), at the edges:
whose check-ins are missing, which days are hard, which goals have stalled, whose ratings are
apart. Each rule is given the moment and says what is true then; the clock stands still at
that moment, for the couples, partners and goals the factories date from today."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from couples.models import Couple
from goals import triage_rules as rules
from goals.models import CheckIn, GoalChangeRequest, ProgressEntry
from tests.factories import CoupleFactory, GoalFactory, PartnerFactory
from triage.models import TriageItem
from triage.sweeps import sweep

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
# A Friday at noon in New York, the clinic's zone and the couple factory's.
NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=NEW_YORK)
TODAY = NOW.date()
GOALS_KINDS = {
    TriageItem.Kind.HARD_DAYS,
    TriageItem.Kind.CHECKINS_MISSED,
    TriageItem.Kind.GOAL_CHANGE_REQUEST,
    TriageItem.Kind.GOAL_STALLED,
    TriageItem.Kind.RATINGS_APART,
}
pytestmark = [pytest.mark.django_db, pytest.mark.timeshift]


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def check_in(partner, day, **fields):
    values = {"is_sober": True, "craving": 1, "mood": 3, "had_trust_discussion": False}
    return CheckIn.objects.create(
        partner=partner, day=day, attended_meeting=False, recorded_on=day, **values | fields
    )


def hard_day(partner, day):
    return check_in(partner, day, craving=8)


def log(goal, partner, day, value=1):
    return ProgressEntry.objects.create(
        goal=goal, partner=partner, day=day, measure=goal.measure, value=value, recorded_on=day
    )


def couple_of(*names, admitted_days_ago=60, **fields):
    couple = CoupleFactory(admitted_on=days_ago(admitted_days_ago), **fields)
    partners = [
        PartnerFactory(couple=couple, user__first_name=name, preferred_name="") for name in names
    ]
    return couple, partners


def found(rule, now=NOW):
    return sorted(finding.summary for finding in rule(now))


# Missing check-ins


def test_a_partner_who_never_checked_in_is_silent_since_admission():
    couple, (jordan, alex) = couple_of("Jordan", "Alex", admitted_days_ago=12)
    check_in(alex, TODAY)

    (finding,) = rules.silent_partners(NOW)

    assert finding.summary == "No check-in from Jordan since Nov 15 (12 days)"
    assert (finding.couple_id, finding.partner_id) == (couple.pk, jordan.pk)


def test_a_partner_never_checked_in_without_an_admission_date_raises_nothing():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    Couple.objects.filter(pk=couple.pk).update(admitted_on=None)
    check_in(alex, TODAY)

    assert found(rules.silent_partners) == []


def test_only_the_latest_check_in_counts():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    for days in (30, 9, 1):  # a day ago: not yet silent
        check_in(jordan, days_ago(days))
    for days in (40, 2):
        check_in(alex, days_ago(days))

    assert found(rules.silent_partners) == ["No check-in from Alex since Nov 25 (2 days)"]


# Hard days: high craving or a very low mood on 2 of the last 3 days


def test_one_hard_day_of_three_raises_nothing():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    check_in(jordan, days_ago(2), craving=7)  # below the alert
    check_in(jordan, days_ago(1), mood=CheckIn.Mood.LOW)  # low, not very low
    hard_day(jordan, TODAY)

    assert found(rules.hard_days) == []


def test_two_hard_days_of_the_last_three_raise_one_finding_naming_the_latest():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    check_in(jordan, days_ago(2), craving=8)
    check_in(jordan, days_ago(1))
    latest = check_in(jordan, TODAY, mood=CheckIn.Mood.VERY_LOW, note="Rough day at work")

    (finding,) = rules.hard_days(NOW)

    assert finding.summary == (
        "Jordan: high craving or a very low mood on 2 of the last 3 days (Nov 25, Nov 27)"
    )
    assert (finding.couple_id, finding.partner_id) == (couple.pk, jordan.pk)
    assert finding.source_ref == f"goals.checkin:{latest.pk}"
    assert finding.detail == "Rough day at work"


@pytest.mark.parametrize("days", [3, 4])
def test_a_hard_day_before_the_last_three_does_not_count(days):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    hard_day(jordan, days_ago(days))
    hard_day(jordan, TODAY)

    assert found(rules.hard_days) == []


def test_each_partner_counts_only_their_own_hard_days():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    hard_day(jordan, days_ago(1))
    hard_day(alex, TODAY)

    assert found(rules.hard_days) == []


def test_the_last_three_days_are_the_partners_own_in_their_couples_zone(time_machine):
    # 10 pm on Friday in New York is already noon on Saturday in Tokyo.
    now = datetime.datetime(2026, 11, 27, 22, 0, tzinfo=NEW_YORK)
    time_machine.move_to(now, tick=False)
    _, (jordan,) = couple_of("Jordan")
    _, (kenji,) = couple_of("Kenji", time_zone="Asia/Tokyo")
    for partner in (jordan, kenji):
        hard_day(partner, datetime.date(2026, 11, 25))
        hard_day(partner, datetime.date(2026, 11, 26))

    # Wednesday is one of Jordan's last three days (Wed to Fri), not Kenji's (Thu to Sat).
    assert [f.partner_id for f in rules.hard_days(now)] == [jordan.pk]

    hard_day(kenji, datetime.date(2026, 11, 28))  # Kenji's today, New York's tomorrow
    assert sorted(f.partner_id for f in rules.hard_days(now)) == [jordan.pk, kenji.pk]


# Stalled goals


def test_a_goal_stalls_after_seven_days_without_progress_from_either_partner():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    fresh = GoalFactory(couple=couple, title="Walk", start_on=days_ago(40))
    log(fresh, jordan, days_ago(30))
    log(fresh, alex, days_ago(7))  # the last day that still counts as recent
    stale = GoalFactory(couple=couple, title="Cook", start_on=days_ago(40))
    for partner, days in [(jordan, 30), (alex, 20), (jordan, 8)]:
        log(stale, partner, days_ago(days))

    (finding,) = rules.stalled_goals(NOW)

    assert finding.summary == "No progress on “Cook” since Nov 19"
    assert (finding.couple_id, finding.partner_id) == (couple.pk, None)


def test_a_goal_never_logged_is_counted_from_its_start():
    couple, _ = couple_of("Jordan", "Alex")
    GoalFactory(couple=couple, title="Walk", start_on=days_ago(10))
    GoalFactory(couple=couple, title="Too new to tell", start_on=days_ago(6))

    assert found(rules.stalled_goals) == ["No progress on “Walk” since Nov 17"]


def test_an_individual_stalled_goal_names_its_owner():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    run = GoalFactory(couple=couple, partner=jordan, title="Run", start_on=days_ago(30))
    log(run, jordan, days_ago(9))

    (finding,) = rules.stalled_goals(NOW)

    assert finding.summary == "No progress on Jordan’s “Run” since Nov 18"
    assert finding.partner_id == jordan.pk  # for the clinicians who cover Jordan


@pytest.mark.parametrize(
    "fields",
    [
        {"measure": "milestone", "target": None},  # logged once, when reached
        {"status": "on_hold"},
        {"status": "achieved"},
    ],
)
def test_milestones_and_goals_not_in_progress_never_stall(fields):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    goal = GoalFactory(couple=couple, start_on=days_ago(30), **fields)
    log(goal, jordan, days_ago(20))

    assert found(rules.stalled_goals) == []


# Shared ratings


def test_partners_latest_recent_ratings_far_apart_are_worth_talking_about():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    heard = GoalFactory(
        couple=couple, title="Feeling heard", measure="rating", target=8, start_on=days_ago(20)
    )
    close = GoalFactory(
        couple=couple, title="Date night", measure="rating", target=8, start_on=days_ago(20)
    )
    for partner, days, value in [(jordan, 3, 2), (jordan, 1, 9), (alex, 2, 5), (alex, 8, 1)]:
        log(heard, partner, days_ago(days), value)
    for partner, days, value in [(jordan, 1, 9), (alex, 1, 7), (alex, 9, 1)]:
        log(close, partner, days_ago(days), value)

    (finding,) = rules.ratings_apart(NOW)

    assert finding.summary == "Partners rate “Feeling heard” 5 and 9: worth talking about"
    assert (finding.couple_id, finding.partner_id) == (couple.pk, None)


# Couples not in treatment, and the sweep


def troubled_couple():
    """Jordan has had two hard days, Alex never checked in, a goal has stalled, a request
    to change a goal waits and the partners rate a shared goal 1 and 10."""
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    hard_day(jordan, days_ago(1))
    hard_day(jordan, TODAY)
    stale = GoalFactory(couple=couple, title="Walk together", start_on=days_ago(30))
    log(stale, jordan, days_ago(10))
    GoalChangeRequest.objects.create(goal=stale, partner=alex, note="Twice a week instead")
    rated = GoalFactory(
        couple=couple, title="Feeling heard", measure="rating", target=8, start_on=days_ago(30)
    )
    log(rated, jordan, TODAY, 1)
    log(rated, alex, TODAY, 10)
    return couple, jordan, alex


RULES = [
    rules.hard_days,
    rules.silent_partners,
    rules.goal_change_requests,
    rules.stalled_goals,
    rules.ratings_apart,
]


@pytest.mark.parametrize("status", ["discharged", "intake"])
def test_couples_not_in_treatment_raise_nothing(status):
    couple, _, _ = troubled_couple()
    discharged_on = TODAY if status == "discharged" else None
    Couple.objects.filter(pk=couple.pk).update(status=status, discharged_on=discharged_on)

    assert [found(rule) for rule in RULES] == [[]] * len(RULES)


def test_a_sweep_raises_one_item_for_each_thing_the_goals_rules_find():
    couple, jordan, alex = troubled_couple()

    sweep()
    sweep()

    items = TriageItem.objects.filter(kind__in=GOALS_KINDS, couple=couple)
    high, routine = TriageItem.Severity.HIGH, TriageItem.Severity.ROUTINE
    assert sorted(items.values_list("kind", "severity", "partner_id", "summary")) == [
        ("checkins_missed", routine, alex.pk, "No check-in from Alex since Sep 28 (60 days)"),
        ("goal_change_request", routine, None, "Alex asked to change “Walk together”"),
        ("goal_stalled", routine, None, "No progress on “Walk together” since Nov 17"),
        (
            "hard_days",
            high,
            jordan.pk,
            "Jordan: high craving or a very low mood on 2 of the last 3 days (Nov 26, Nov 27)",
        ),
        (
            "ratings_apart",
            routine,
            None,
            "Partners rate “Feeling heard” 1 and 10: worth talking about",
        ),
    ]


def test_a_calm_couple_raises_no_goals_item():
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    walk = GoalFactory(couple=couple, start_on=days_ago(30))
    for partner in (jordan, alex):
        check_in(partner, TODAY)
        log(walk, partner, days_ago(2))

    sweep()

    assert not TriageItem.objects.filter(kind__in=GOALS_KINDS).exists()


@pytest.mark.parametrize("size", [2, 12])
def test_each_rule_reads_a_fixed_number_of_queries_for_any_number_of_couples(
    size, django_assert_num_queries
):
    for _ in range(size):
        troubled_couple()

    # the partners in treatment with their users and couples, their recent hard days
    with django_assert_num_queries(2):
        assert len(list(rules.hard_days(NOW))) == size
    # for each rule below, its rows with all they name: the partners with their latest
    # check-in; the open change requests; the stalled goals with their last day; the
    # recent shared ratings
    for rule in RULES[1:]:
        with django_assert_num_queries(1):
            assert len(list(rule(NOW))) == size
