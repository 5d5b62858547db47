import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from goals import services
from goals.models import CheckIn, Goal, GoalTransition, ProgressEntry
from tests.factories import GoalFactory

pytestmark = pytest.mark.timeshift


@pytest.fixture
def today(couple):
    return couple_today(couple=couple)


def _shared_goal(couple, by, **fields):
    values = {
        "couple": couple,
        "partner": None,
        "category": Goal.Category.COMMUNICATION,
        "title": "Ten minutes of talk after dinner",
        "measure": Goal.Measure.YES_NO,
        "target": 5,
        "start_on": couple_today(couple=couple),
        "by": by,
    }
    return services.goal_create(**{**values, **fields})


def test_a_shared_goal_proposed_by_a_partner_waits_for_the_other(partner_a, partner_b):
    goal = _shared_goal(partner_a.couple, partner_a.user)

    assert goal.status == Goal.Status.PROPOSED
    assert list(goal.acceptances.values_list("partner_id", flat=True)) == [partner_a.pk]


def test_a_shared_goal_becomes_active_when_both_partners_accept(partner_a, partner_b):
    goal = _shared_goal(partner_a.couple, partner_a.user)

    goal = services.goal_accept(goal=goal, partner=partner_b)

    assert goal.status == Goal.Status.ACTIVE
    steps = list(
        GoalTransition.objects.filter(goal=goal).values_list("from_status", "to_status", "by")
    )
    assert steps == [("", "proposed", partner_a.user.pk), ("proposed", "active", partner_b.user.pk)]


def test_a_goal_proposed_by_the_couples_therapist_needs_both_partners(
    partner_a, partner_b, clinician, staff
):
    couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=staff
    )
    goal = _shared_goal(partner_a.couple, clinician.user)

    services.goal_accept(goal=goal, partner=partner_a)
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED
    services.goal_accept(goal=goal, partner=partner_b)
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE


def test_nobody_can_switch_a_shared_goal_on_without_agreement(partner_a, partner_b, clinician):
    goal = _shared_goal(partner_a.couple, partner_a.user)

    with pytest.raises(ValidationError, match="both partners accept"):
        services.goal_transition(goal=goal, to_status=Goal.Status.ACTIVE, by=clinician.user)


def test_asking_for_a_change_resets_agreement_on_a_proposed_goal(partner_a, partner_b):
    goal = _shared_goal(partner_a.couple, partner_a.user)

    services.goal_request_change(goal=goal, partner=partner_b, note="Could we make it 3 days?")

    assert goal.acceptances.count() == 0
    assert goal.change_requests.get().note == "Could we make it 3 days?"


def test_editing_the_terms_of_a_proposed_goal_asks_for_agreement_again(partner_a, partner_b):
    goal = _shared_goal(partner_a.couple, partner_a.user)
    services.goal_request_change(goal=goal, partner=partner_b, note="3 days please")

    services.goal_update(goal=goal, by=partner_a.user, target=3)

    goal.refresh_from_db()
    assert goal.target == 3
    assert list(goal.acceptances.values_list("partner_id", flat=True)) == [partner_a.pk]
    assert goal.change_requests.get().resolved_at is not None


def test_an_individual_goal_set_with_the_care_team_starts_active(partner_a, clinician):
    goal = _shared_goal(partner_a.couple, clinician.user, partner=partner_a, title="Walk daily")

    assert goal.status == Goal.Status.ACTIVE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, patient=partner_a).exists()


@pytest.mark.parametrize(
    ("measure", "target"),
    [("yes_no", 8), ("yes_no", 0), ("rating", 11), ("count", 101), ("count", None)],
)
def test_targets_outside_the_measures_range_are_refused(partner_a, measure, target):
    with pytest.raises(ValidationError):
        _shared_goal(partner_a.couple, partner_a.user, measure=measure, target=target)
    assert not Goal.objects.exists()


def test_a_milestone_has_no_target(partner_a):
    goal = _shared_goal(partner_a.couple, partner_a.user, measure="milestone", target=4)

    assert goal.target is None


def test_a_due_date_before_the_start_is_refused(partner_a, today):
    with pytest.raises(ValidationError, match="due date"):
        _shared_goal(partner_a.couple, partner_a.user, due_on=today - datetime.timedelta(days=1))


def test_finished_goals_move_no_further(partner_a, clinician):
    goal = GoalFactory(couple=partner_a.couple, status=Goal.Status.ACHIEVED)

    with pytest.raises(ValidationError, match="cannot become"):
        services.goal_transition(goal=goal, to_status=Goal.Status.ACTIVE, by=clinician.user)


def test_logging_the_same_day_again_updates_the_entry(partner_a, today):
    goal = GoalFactory(couple=partner_a.couple)

    services.progress_log(goal=goal, partner=partner_a, day=today, value=0)
    services.progress_log(goal=goal, partner=partner_a, day=today, value=1, note="We did it")

    entry = ProgressEntry.objects.get()
    assert (entry.value, entry.note) == (1, "We did it")


def test_progress_cannot_be_logged_for_tomorrow(partner_a, today):
    goal = GoalFactory(couple=partner_a.couple)

    with pytest.raises(ValidationError, match="has not come yet"):
        services.progress_log(
            goal=goal, partner=partner_a, day=today + datetime.timedelta(days=1), value=1
        )


def test_entries_older_than_seven_days_are_locked(partner_a, today):
    goal = GoalFactory(couple=partner_a.couple)

    services.progress_log(
        goal=goal, partner=partner_a, day=today - datetime.timedelta(days=7), value=1
    )
    with pytest.raises(ValidationError, match="locked"):
        services.progress_log(
            goal=goal, partner=partner_a, day=today - datetime.timedelta(days=8), value=1
        )


@pytest.mark.parametrize(
    ("measure", "value"), [("yes_no", 2), ("rating", 0), ("rating", 11), ("count", 101)]
)
def test_values_outside_the_measure_are_refused(partner_a, today, measure, value):
    goal = GoalFactory(
        couple=partner_a.couple, measure=measure, target=None if measure == "milestone" else 5
    )

    with pytest.raises(ValidationError):
        services.progress_log(goal=goal, partner=partner_a, day=today, value=value)
    assert not ProgressEntry.objects.exists()


def test_the_database_refuses_a_value_the_service_would_refuse(partner_a, today):
    goal = GoalFactory(couple=partner_a.couple, measure="rating", target=8)

    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressEntry.objects.create(
            goal=goal, partner=partner_a, day=today, measure="rating", value=12, recorded_on=today
        )


def test_a_partner_cannot_log_on_the_other_partners_goal(partner_a, partner_b, today):
    goal = GoalFactory(couple=partner_a.couple, partner=partner_b)

    with pytest.raises(ValidationError, match="your own"):
        services.progress_log(goal=goal, partner=partner_a, day=today, value=1)


def test_progress_is_logged_only_on_active_goals(partner_a, today):
    goal = GoalFactory(couple=partner_a.couple, status=Goal.Status.PROPOSED)

    with pytest.raises(ValidationError, match="active goals"):
        services.progress_log(goal=goal, partner=partner_a, day=today, value=1)


def _checkin(partner, day, **changes):
    values = {
        "is_sober": True,
        "craving": 2,
        "mood": 4,
        "had_trust_discussion": True,
        "attended_meeting": False,
        "note": "",
    }
    return services.checkin_record(partner=partner, day=day, **{**values, **changes})


def test_one_checkin_per_partner_per_day_and_a_second_one_corrects_it(partner_a, today):
    _checkin(partner_a, today, craving=7)
    _checkin(partner_a, today, craving=3)

    assert CheckIn.objects.get().craving == 3


@pytest.mark.parametrize(
    ("field", "value"),
    [("craving", 11), ("craving", -1), ("mood", 0), ("mood", 6), ("note", "x" * 1001)],
)
def test_checkin_values_outside_their_range_are_refused(partner_a, today, field, value):
    with pytest.raises(ValidationError) as refused:
        _checkin(partner_a, today, **{field: value})
    assert field in refused.value.message_dict
    assert not CheckIn.objects.exists()


def test_a_correction_outside_the_range_is_refused_and_keeps_the_saved_checkin(partner_a, today):
    _checkin(partner_a, today, craving=4)

    with pytest.raises(ValidationError, match="from 0 to 10"):
        _checkin(partner_a, today, craving=12)

    assert CheckIn.objects.get().craving == 4


def test_the_database_refuses_a_checkin_the_service_would_refuse(partner_a, today):
    with pytest.raises(IntegrityError), transaction.atomic():
        CheckIn.objects.create(
            partner=partner_a,
            day=today,
            is_sober=True,
            craving=11,
            mood=3,
            had_trust_discussion=False,
            attended_meeting=False,
            recorded_on=today,
        )


def test_a_checkin_that_raced_another_for_the_same_day_corrects_it(partner_a, today, monkeypatch):
    _checkin(partner_a, today, craving=7)
    # The second submission looked for the day's check-in before the first one was saved.
    first = QuerySet.first
    monkeypatch.setattr(
        QuerySet, "first", lambda queryset: None if queryset.model is CheckIn else first(queryset)
    )

    checkin = _checkin(partner_a, today, craving=3)

    assert list(CheckIn.objects.values_list("pk", "craving")) == [(checkin.pk, 3)]
    last = AuditEvent.objects.filter(target_type="goals.CheckIn").latest("seq")
    assert (last.action, last.target_id) == (AuditEvent.Action.UPDATE, str(checkin.pk))


def test_checkins_for_future_or_locked_days_are_refused(partner_a, today):
    with pytest.raises(ValidationError, match="not come yet"):
        _checkin(partner_a, today + datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match="locked"):
        _checkin(partner_a, today - datetime.timedelta(days=8))


def test_checkins_are_audited_against_the_patient(partner_a, today):
    _checkin(partner_a, today)

    assert AuditEvent.objects.filter(target_type="goals.CheckIn", patient=partner_a).count() == 1
