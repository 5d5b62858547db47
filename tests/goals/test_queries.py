import datetime

import pytest
from django.http import Http404

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from goals import queries
from goals.models import CheckIn, Goal
from tests.factories import ClinicianFactory, GoalFactory

TODAY = datetime.date(2026, 11, 27)
# The queries are given TODAY; the clock reads it too (noon in New York), for the couples,
# partners and goals the factories date from today.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 11, 27, 17, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]


def _checkin(partner, day, **fields):
    values = {"is_sober": True, "craving": 1, "mood": 3, "had_trust_discussion": False}
    values.update(fields)
    return CheckIn.objects.create(
        partner=partner, day=day, attended_meeting=False, recorded_on=day, **values
    )


def _days_ago(days):
    return TODAY - datetime.timedelta(days=days)


def test_the_streak_counts_from_the_recovery_date(partner_a):
    partner_a.sobriety_date = _days_ago(9)

    assert queries.sober_streak(partner=partner_a, today=TODAY) == queries.Streak(
        current=10, longest=10
    )


def test_a_reported_use_restarts_the_streak_and_keeps_the_longest(partner_a):
    partner_a.sobriety_date = _days_ago(30)
    partner_a.save()
    _checkin(partner_a, _days_ago(5), is_sober=False)

    streak = queries.sober_streak(partner=partner_a, today=TODAY)

    assert streak.current == 5  # the four days after the use, and today
    assert streak.longest == 25


def test_a_use_today_means_no_current_streak(partner_a):
    partner_a.sobriety_date = _days_ago(3)
    partner_a.save()
    _checkin(partner_a, TODAY, is_sober=False)

    assert queries.sober_streak(partner=partner_a, today=TODAY).current == 0


def test_the_other_partner_sees_individual_goals_only_under_consent(partner_a, partner_b):
    shared = GoalFactory(couple=partner_a.couple)
    private = GoalFactory(couple=partner_a.couple, partner=partner_a)

    visible = queries.goal_list_for_user(user=partner_b.user, couple=partner_a.couple)
    assert visible.shared == [shared]
    assert visible.individual == {}

    couple_services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=False, by=partner_a.user
    )
    visible = queries.goal_list_for_user(user=partner_b.user, couple=partner_a.couple)
    assert visible.individual == {partner_a.pk: [private]}
    assert [owner for owner, _ in visible.disclosed_by] == [partner_a]


def test_an_individual_goal_without_consent_is_a_404_for_the_other_partner(partner_a, partner_b):
    private = GoalFactory(couple=partner_a.couple, partner=partner_a)

    with pytest.raises(Http404):
        queries.goal_get_for_user(user=partner_b.user, pk=private.pk)
    assert AuditEvent.objects.get(allowed=False).detail["target_type"] == "goals.Goal"
    assert queries.goal_get_for_user(user=partner_a.user, pk=private.pk) == private


def test_outsiders_never_get_a_couples_goal(partner_a, outsider):
    shared = GoalFactory(couple=partner_a.couple)

    with pytest.raises(Http404):
        queries.goal_get_for_user(user=outsider.user, pk=shared.pk)


def test_the_care_team_sees_every_goal_of_the_couple(partner_a, partner_b, staff):
    clinician = ClinicianFactory()
    couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=staff
    )
    private = GoalFactory(couple=partner_a.couple, partner=partner_b)

    visible = queries.goal_list_for_user(user=clinician.user, couple=partner_a.couple)

    assert visible.individual == {partner_b.pk: [private]}
    assert visible.disclosed_by == []
    assert Goal.objects.count() == 1
