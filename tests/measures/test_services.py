"""Schedules, answers kept while filled, completing, and what a score raises for the team."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples.queries import couple_today
from measures import services
from measures.models import MeasureResponse, MeasureSchedule
from measures.queries import due_for_partner
from tests.measures.answers import phq9
from triage.models import TriageItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(couple, time_machine):
    # Hold the clock: a day that turns mid-test would move the due dates under it.
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


def fill(partner, code, answers, *, due_on=None, by=None):
    response = services.response_start(
        partner=partner, instrument=code, due_on=due_on, by=by or partner.user
    )
    return services.response_complete(response=response, answers=answers, by=by or partner.user)


def test_a_weekly_schedule_is_due_from_its_start_and_again_each_week(partner_a, clinician, today):
    services.schedule_set(
        partner=partner_a,
        instrument="phq9",
        cadence="weekly",
        starts_on=today - datetime.timedelta(days=8),
        by=clinician.user,
    )

    (due,) = due_for_partner(partner=partner_a, today=today)

    assert (due.instrument, due.due_on) == ("phq9", today - datetime.timedelta(days=1))
    assert not due.overdue
    fill(partner_a, "phq9", phq9(3), due_on=due.due_on)
    assert due_for_partner(partner=partner_a, today=today) == []
    assert due_for_partner(partner=partner_a, today=today + datetime.timedelta(days=6))[
        0
    ].due_on == (today + datetime.timedelta(days=6))


def test_an_occurrence_not_filled_for_three_days_is_overdue(partner_a, clinician, today):
    services.schedule_set(
        partner=partner_a,
        instrument="gad7",
        cadence="weekly",
        starts_on=today - datetime.timedelta(days=3),
        by=clinician.user,
    )

    (due,) = due_for_partner(partner=partner_a, today=today)

    assert due.overdue


def test_changing_a_schedule_ends_the_old_one_and_keeps_it(partner_a, clinician, today):
    first = services.schedule_set(
        partner=partner_a, instrument="bam", cadence="weekly", starts_on=today, by=clinician.user
    )
    services.schedule_set(
        partner=partner_a,
        instrument="bam",
        cadence="fortnightly",
        starts_on=today,
        by=clinician.user,
    )
    services.schedule_set(
        partner=partner_a, instrument="bam", cadence="none", starts_on=today, by=clinician.user
    )

    first.refresh_from_db()
    assert first.ended_at is not None
    assert MeasureSchedule.objects.filter(partner=partner_a).count() == 2
    assert not MeasureSchedule.objects.filter(partner=partner_a, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(target_type="measures.MeasureSchedule").count() == 3


def test_a_start_far_from_today_is_refused(partner_a, clinician, today):
    with pytest.raises(ValidationError, match="Start within"):
        services.schedule_set(
            partner=partner_a,
            instrument="phq9",
            cadence="weekly",
            starts_on=today + datetime.timedelta(days=400),
            by=clinician.user,
        )
    assert not MeasureSchedule.objects.exists()


def test_answers_are_kept_and_coming_back_continues_the_same_response(partner_a, today):
    response = services.response_start(
        partner=partner_a, instrument="phq9", due_on=None, by=partner_a.user
    )
    services.response_save(response=response, answers={"q1": "2", "q2": "1"}, by=partner_a.user)

    again = services.response_start(
        partner=partner_a, instrument="phq9", due_on=None, by=partner_a.user
    )

    assert again.pk == response.pk
    again.refresh_from_db()
    assert again.answers == {"q1": 2, "q2": 1}


def test_finishing_with_answers_missing_names_them_and_keeps_the_others(partner_a, today):
    response = services.response_start(
        partner=partner_a, instrument="phq9", due_on=None, by=partner_a.user
    )

    with pytest.raises(ValidationError, match="still to answer: 3, 4, 5, 6, 7, 8, 9"):
        services.response_complete(response=response, answers={"q1": 1, "q2": 1}, by=partner_a.user)

    response.refresh_from_db()
    assert response.status == MeasureResponse.Status.IN_PROGRESS
    assert response.answers == {"q1": 1, "q2": 1}


def test_a_completed_response_is_scored_and_cannot_change(partner_a, today):
    response = fill(partner_a, "phq9", phq9(12))

    assert (response.total, response.band_label, response.band_level) == (12, "Moderate", 2)
    with pytest.raises(ValidationError, match="already complete"):
        services.response_save(response=response, answers={"q1": 0}, by=partner_a.user)
    with pytest.raises(ValidationError, match="already complete"):
        services.response_complete(response=response, answers={}, by=partner_a.user)


def test_one_filling_per_scheduled_occurrence_is_a_database_rule(partner_a, today):
    fill(partner_a, "gad7", {f"q{n}": 0 for n in range(1, 8)}, due_on=today)

    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureResponse.objects.create(
            couple=partner_a.couple,
            partner=partner_a,
            instrument="gad7",
            due_on=today,
            started_at=timezone.now(),
        )


def test_a_score_is_only_stored_with_its_completion(partner_a, today):
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureResponse.objects.create(
            couple=partner_a.couple,
            partner=partner_a,
            instrument="gad7",
            started_at=timezone.now(),
            total=5,
        )


def test_phq9_item_9_raises_one_urgent_item_and_the_screen_adds_to_it(partner_a, today):
    phq = fill(partner_a, "phq9", phq9(6, item9=1))

    assert services.safety_follow_up_needed(phq)
    item = TriageItem.objects.get()
    assert (item.kind, item.severity, item.partner) == ("safety", 1, partner_a)

    screen = services.response_start(
        partner=partner_a, instrument="cssrs", due_on=None, by=partner_a.user, follows=phq
    )
    services.response_complete(
        response=screen,
        answers={"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0},
        by=partner_a.user,
    )

    item.refresh_from_db()
    assert TriageItem.objects.count() == 1
    assert "C-SSRS screen: moderate risk" in item.summary


def test_skipped_screen_questions_are_not_kept(partner_a, today):
    screen = fill(partner_a, "cssrs", {"q1": 1, "q2": 0, "q3": 1, "q4": 1, "q5": 1, "q6": 0})

    assert screen.answers == {"q1": 1, "q2": 0, "q6": 0}
    assert screen.band_label == "Low risk"


def test_a_severe_band_raises_a_high_item(partner_a, today):
    fill(partner_a, "phq9", phq9(21))

    item = TriageItem.objects.get()
    assert (item.kind, item.severity) == ("measure", 2)
    assert "PHQ-9 total is 21 (severe): in the severe band" in item.summary


def test_a_meaningful_worsening_since_baseline_raises_a_high_item(partner_a, today):
    fill(partner_a, "phq9", phq9(4))
    fill(partner_a, "phq9", phq9(8))
    assert not TriageItem.objects.exists()  # 4 points: not meaningful

    fill(partner_a, "phq9", phq9(9))

    assert "up 5 from 4 at the first one" in TriageItem.objects.get().summary


def test_csi4_below_the_cutoff_is_routine(partner_a, today):
    fill(partner_a, "csi4", {"q1": 2, "q2": 2, "q3": 2, "q4": 2})

    item = TriageItem.objects.get()
    assert (item.kind, item.severity) == ("measure", 3)


def test_filling_an_overdue_measure_ends_its_item(partner_a, today):
    due_on = today - datetime.timedelta(days=4)
    item = TriageItem.objects.create(
        couple=partner_a.couple,
        partner=partner_a,
        kind="measure_overdue",
        severity=3,
        summary="GAD-7 overdue",
        source_ref=f"measures.due:{partner_a.pk}:gad7:{due_on}",
        raised_at=timezone.now(),
    )

    fill(partner_a, "gad7", {f"q{n}": 0 for n in range(1, 8)}, due_on=due_on)

    item.refresh_from_db()
    assert item.resolved_at is not None
    assert item.resolution == "GAD-7 filled"


def test_a_clinician_entering_one_in_session_is_recorded(partner_a, couples_therapist, today):
    response = fill(partner_a, "gad7", {f"q{n}": 1 for n in range(1, 8)}, by=couples_therapist.user)

    assert response.entered_by == couples_therapist.user
    assert AuditEvent.objects.filter(
        actor=couples_therapist.user, target_type="measures.MeasureResponse"
    ).exists()


def test_a_measure_given_in_session_ends_its_overdue_item_too(partner_a, couples_therapist, today):
    due_on = today - datetime.timedelta(days=4)
    item = TriageItem.objects.create(
        couple=partner_a.couple,
        partner=partner_a,
        kind="measure_overdue",
        severity=3,
        summary="GAD-7 overdue",
        source_ref=f"measures.due:{partner_a.pk}:gad7:{due_on}",
        raised_at=timezone.now(),
    )

    fill(partner_a, "gad7", {f"q{n}": 0 for n in range(1, 8)}, by=couples_therapist.user)

    item.refresh_from_db()
    assert item.resolved_at is not None


def test_a_clinician_finishing_what_the_partner_began_is_recorded(
    partner_a, couples_therapist, today
):
    begun = services.response_start(
        partner=partner_a, instrument="gad7", due_on=None, by=partner_a.user
    )
    services.response_save(response=begun, answers={"q1": 3}, by=partner_a.user)

    done = fill(partner_a, "gad7", {f"q{n}": 1 for n in range(1, 8)}, by=couples_therapist.user)

    assert done.pk == begun.pk
    assert done.entered_by == couples_therapist.user
    assert done.answers["q1"] == 1  # the clinician's answers win


def test_stopping_a_schedule_that_does_not_exist_changes_nothing(partner_a, clinician, today):
    assert (
        services.schedule_set(
            partner=partner_a, instrument="phq9", cadence="none", starts_on=today, by=clinician.user
        )
        is None
    )
    assert not AuditEvent.objects.filter(target_type="measures.MeasureSchedule").exists()


def test_a_screen_left_half_way_starts_again_for_a_newer_phq9(partner_a, today):
    first = fill(partner_a, "phq9", phq9(3, item9=1))
    stale = services.response_start(
        partner=partner_a, instrument="cssrs", due_on=None, by=partner_a.user, follows=first
    )
    services.response_save(response=stale, answers={"q1": 1}, by=partner_a.user)
    second = fill(partner_a, "phq9", phq9(4, item9=1))

    screen = services.response_start(
        partner=partner_a, instrument="cssrs", due_on=None, by=partner_a.user, follows=second
    )

    assert (screen.pk, screen.follows_id, screen.answers) == (stale.pk, second.pk, {})
