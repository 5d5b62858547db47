import datetime

import pytest
from django.http import Http404

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole, Couple
from goals import queries
from goals.models import CheckIn, Goal, ProgressEntry
from tests.factories import (
    EVERY_PARTNER,
    ClinicianFactory,
    CoupleFactory,
    GoalFactory,
    PartnerFactory,
)

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


def _clinic(couple_count, *, django_assert_max_num_queries=None):
    couples = []
    for _ in range(couple_count):
        couple = CoupleFactory(admitted_on=_days_ago(60))
        for _ in range(2):
            partner = PartnerFactory(couple=couple)
            _checkin(partner, TODAY)
        couples.append(couple)
    return couples


def _with_partners(couples):
    return list(
        Couple.objects.filter(pk__in=[c.pk for c in couples]).prefetch_related("partners__user")
    )


def test_needs_attention_gives_each_reason(db):
    couple = CoupleFactory(admitted_on=_days_ago(60))
    jordan = PartnerFactory(couple=couple, user__first_name="Jordan", preferred_name="")
    alex = PartnerFactory(couple=couple, user__first_name="Alex", preferred_name="")
    _checkin(jordan, _days_ago(3))
    _checkin(alex, TODAY, craving=9)
    _checkin(alex, _days_ago(1), is_sober=False)
    GoalFactory(couple=couple, title="Walk together", start_on=_days_ago(20))
    rated = GoalFactory(
        couple=couple, title="Feeling heard", measure="rating", target=8, start_on=_days_ago(20)
    )
    for partner, value in [(jordan, 8), (alex, 4)]:
        ProgressEntry.objects.create(
            goal=rated, partner=partner, day=TODAY, measure="rating", value=value, recorded_on=TODAY
        )

    reasons = queries.needs_attention(
        couples=_with_partners([couple]), today=TODAY, coverage=EVERY_PARTNER
    )[couple.pk]

    assert "No check-in from Jordan for 3 days" in reasons
    assert "Alex reported craving 9 of 10 on Nov 27" in reasons
    assert "Alex reported a use on Nov 26" in reasons
    assert "No progress on “Walk together” for 20 days" in reasons
    assert "Partners rate “Feeling heard” 4 and 8: worth talking about" in reasons
    assert len(reasons) == 5


def test_a_calm_couple_needs_no_attention(db):
    couples = _clinic(1)

    assert (
        queries.needs_attention(
            couples=_with_partners(couples), today=TODAY, coverage=EVERY_PARTNER
        )
        == {}
    )


@pytest.mark.parametrize("size", [3, 30])
def test_needs_attention_uses_four_queries_whatever_the_caseload(
    db, size, django_assert_num_queries
):
    couples = _with_partners(_clinic(size))

    # last check-in per partner, recent uses and cravings, stale goals, recent shared ratings
    with django_assert_num_queries(4):
        queries.needs_attention(couples=couples, today=TODAY, coverage=EVERY_PARTNER)


def test_discharged_couples_raise_no_missing_checkin_alerts(db):
    couple = CoupleFactory(
        admitted_on=_days_ago(60), status="discharged", discharged_on=_days_ago(10)
    )
    PartnerFactory(couple=couple)

    assert (
        queries.needs_attention(
            couples=_with_partners([couple]), today=TODAY, coverage=EVERY_PARTNER
        )
        == {}
    )


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


def test_milestones_and_couples_not_in_treatment_raise_no_stale_goal_alerts(db):
    treated = CoupleFactory(admitted_on=_days_ago(60))
    PartnerFactory(couple=treated)
    GoalFactory(couple=treated, measure="milestone", target=None, start_on=_days_ago(30))
    intake = CoupleFactory(admitted_on=None, status="intake")
    PartnerFactory(couple=intake)
    GoalFactory(couple=intake, start_on=_days_ago(30))
    for couple in (treated, intake):
        for partner in couple.partners.all():
            _checkin(partner, TODAY)

    assert (
        queries.needs_attention(
            couples=_with_partners([treated, intake]), today=TODAY, coverage=EVERY_PARTNER
        )
        == {}
    )
