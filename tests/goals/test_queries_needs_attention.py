"""needs_attention at its edges: whose check-ins are missing, which days count as recent,
which goals are stale, and whose ratings differ. Each reason is read from the latest or the
recent rows only, so these tests pin the boundaries of "latest" and "recent"."""

import datetime

import pytest

from couples.models import Couple
from goals import queries
from goals.models import CheckIn, ProgressEntry
from tests.factories import EVERY_PARTNER, CoupleFactory, GoalFactory, PartnerFactory

TODAY = datetime.date(2026, 11, 27)
# The queries are given TODAY; the clock reads it too (noon in New York), for the couples,
# partners and goals the factories date from today.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def check_in(partner, day, **fields):
    values = {"is_sober": True, "craving": 1, "mood": 3, "had_trust_discussion": False}
    return CheckIn.objects.create(
        partner=partner, day=day, attended_meeting=False, recorded_on=day, **values | fields
    )


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


def checked_in_today(*partners):
    for partner in partners:
        check_in(partner, TODAY)


def reasons_for(*couples):
    listed = Couple.objects.filter(pk__in=[c.pk for c in couples]).prefetch_related(
        "partners__user"
    )
    return queries.needs_attention(couples=list(listed), today=TODAY, coverage=EVERY_PARTNER)


# Missing check-ins


def test_a_partner_who_never_checked_in_is_counted_from_admission(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex", admitted_days_ago=12)
    checked_in_today(alex)

    assert reasons_for(couple) == {couple.pk: ["No check-in from Jordan for 12 days"]}


def test_a_partner_never_checked_in_without_an_admission_date_raises_nothing(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    Couple.objects.filter(pk=couple.pk).update(admitted_on=None)
    checked_in_today(alex)

    assert reasons_for(couple) == {}


def test_only_the_latest_check_in_counts(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    for days in (30, 9, 1):
        check_in(jordan, days_ago(days))
    for days in (40, 2):
        check_in(alex, days_ago(days))

    assert reasons_for(couple) == {couple.pk: ["No check-in from Alex for 2 days"]}


# Uses and cravings of the last seven days


def test_uses_and_high_cravings_of_the_last_seven_days_are_listed_newest_first(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan)
    check_in(alex, days_ago(8), is_sober=False)  # before the seven days
    check_in(alex, days_ago(7), craving=8)
    check_in(alex, days_ago(3), craving=7)  # below the alert
    check_in(alex, days_ago(1), is_sober=False, craving=10)  # a use says it all
    check_in(alex, TODAY)

    assert reasons_for(couple) == {
        couple.pk: [
            "Alex reported a use on Nov 26",
            "Alex reported craving 8 of 10 on Nov 20",
        ]
    }


# Stale goals


def test_a_goal_is_stale_after_seven_days_without_progress_from_either_partner(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan, alex)
    fresh = GoalFactory(couple=couple, title="Walk", start_on=days_ago(40))
    log(fresh, jordan, days_ago(30))
    log(fresh, alex, days_ago(7))  # the last day that still counts as recent
    stale = GoalFactory(couple=couple, title="Cook", start_on=days_ago(40))
    for partner, days in [(jordan, 30), (alex, 20), (jordan, 8)]:
        log(stale, partner, days_ago(days))

    assert reasons_for(couple) == {couple.pk: ["No progress on “Cook” for 8 days"]}


def test_a_goal_never_logged_is_counted_from_its_start(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan, alex)
    GoalFactory(couple=couple, title="Walk", start_on=days_ago(10))
    GoalFactory(couple=couple, title="Too new to tell", start_on=days_ago(6))

    assert reasons_for(couple) == {couple.pk: ["No progress on “Walk” for 10 days"]}


def test_an_individual_stale_goal_names_its_owner(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan, alex)
    run = GoalFactory(couple=couple, partner=jordan, title="Run", start_on=days_ago(30))
    log(run, jordan, days_ago(9))

    assert reasons_for(couple) == {couple.pk: ["No progress on Jordan’s “Run” for 9 days"]}


@pytest.mark.parametrize(
    "fields",
    [
        {"measure": "milestone", "target": None},  # logged once, when reached
        {"status": "on_hold"},
        {"status": "achieved"},
    ],
)
def test_milestones_and_goals_not_in_progress_are_never_stale(db, fields):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan, alex)
    goal = GoalFactory(couple=couple, start_on=days_ago(30), **fields)
    log(goal, jordan, days_ago(20))

    assert reasons_for(couple) == {}


# Shared ratings


def test_partners_latest_recent_ratings_far_apart_are_worth_talking_about(db):
    couple, (jordan, alex) = couple_of("Jordan", "Alex")
    checked_in_today(jordan, alex)
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

    assert reasons_for(couple) == {
        couple.pk: ["Partners rate “Feeling heard” 5 and 9: worth talking about"]
    }


# The cost


@pytest.mark.parametrize("size", [2, 12])
def test_needs_attention_reads_four_queries_with_every_kind_of_reason(
    db, size, django_assert_num_queries
):
    couples = []
    for _ in range(size):
        couple, (jordan, alex) = couple_of("Jordan", "Alex")
        check_in(jordan, days_ago(3), is_sober=False)  # alex never checked in
        stale = GoalFactory(couple=couple, start_on=days_ago(30))
        log(stale, jordan, days_ago(10))
        rated = GoalFactory(couple=couple, measure="rating", target=8, start_on=days_ago(30))
        log(rated, jordan, TODAY, 1)
        log(rated, alex, TODAY, 10)
        couples.append(couple)
    listed = list(
        Couple.objects.filter(pk__in=[c.pk for c in couples]).prefetch_related("partners__user")
    )

    # each partner's latest check-in, recent uses and cravings, stale goals with their
    # latest day, recent shared ratings
    with django_assert_num_queries(4):
        reasons = queries.needs_attention(couples=listed, today=TODAY, coverage=EVERY_PARTNER)
    assert all(len(reasons[couple.pk]) == 5 for couple in couples)


def test_an_empty_caseload_reads_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert queries.needs_attention(couples=[], today=TODAY, coverage=EVERY_PARTNER) == {}
