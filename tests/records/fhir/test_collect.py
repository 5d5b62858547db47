"""What one partner's copy of their record carries (records.fhir.collect)."""

import datetime

import pytest
from django.utils import timezone

from couples import services as couple_services
from couples.queries import couple_today
from records.fhir.collect import RECORD_QUERIES, record_for_partner
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory, session_written
from tests.notes.conftest import attended_session, written
from tests.records.fhir.conftest import checkins, progress, scored


def pks(rows) -> set[int]:
    return {row.pk for row in rows}


def share(partner, *, goals=True, checkins=True, expires_on=None):
    return couple_services.consent_grant(
        partner=partner,
        shares_goals=goals,
        shares_checkins=checkins,
        expires_on=expires_on,
        by=partner.user,
    )


# The other partner's individual items follow their consent.


def test_without_consent_the_other_partners_goal_progress_and_checkins_are_absent(
    partner_record_data,
):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    assert record.other == data.alex
    assert not record.other_goals_shared and not record.other_checkins_shared
    assert ours.second_goal.pk not in pks(record.goals)
    assert ours.second_progress.pk not in pks(record.progress)
    assert not pks(ours.second_checkins) & pks(record.checkins)
    assert pks(ours.first_checkins) <= pks(record.checkins)
    assert ours.first_goal.pk in pks(record.goals)
    assert ours.first_progress.pk in pks(record.progress)


def test_with_consent_the_other_partners_goal_progress_and_checkins_are_present(
    partner_record_data,
):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex)

    record = record_for_partner(partner=data.jordan)

    assert record.other_goals_shared and record.other_checkins_shared
    assert ours.second_goal.pk in pks(record.goals)
    assert ours.second_progress.pk in pks(record.progress)
    assert pks(ours.second_checkins) <= pks(record.checkins)
    # The consent is Alex's to Jordan: Alex's own copy is unchanged by it, and Jordan's
    # items reach Alex only by Jordan's consent.
    alexs = record_for_partner(partner=data.alex)
    assert ours.first_goal.pk not in pks(alexs.goals)
    assert not pks(ours.first_checkins) & pks(alexs.checkins)


def test_the_other_partners_cancelled_goals_stay_out_even_with_consent(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex)

    record = record_for_partner(partner=data.jordan)

    assert ours.second_cancelled.pk not in pks(record.goals)


def test_a_consent_sharing_only_checkins_shares_no_goals(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex, goals=False, checkins=True)

    record = record_for_partner(partner=data.jordan)

    assert not record.other_goals_shared and record.other_checkins_shared
    assert ours.second_goal.pk not in pks(record.goals)
    assert ours.second_progress.pk not in pks(record.progress)
    assert pks(ours.second_checkins) <= pks(record.checkins)


def test_after_revocation_the_other_partners_items_are_absent_again(
    partner_record_data, time_machine
):
    data, ours = partner_record_data, partner_record_data.ours
    consent = share(data.alex)
    before = timezone.now()
    time_machine.move_to(before + datetime.timedelta(minutes=1), tick=False)
    couple_services.consent_revoke(consent=consent, by=data.alex.user)

    record = record_for_partner(partner=data.jordan)

    assert not record.other_goals_shared and not record.other_checkins_shared
    assert ours.second_goal.pk not in pks(record.goals)
    assert not pks(ours.second_checkins) & pks(record.checkins)
    # The revocation is in the record; a copy for a moment before it still shared.
    assert consent.pk in pks(record.consents)
    assert record_for_partner(partner=data.jordan, at=before).other_goals_shared


def test_after_expiry_the_other_partners_items_are_absent_again(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex, expires_on=couple_today(couple=data.alex.couple))

    today = record_for_partner(partner=data.jordan)
    tomorrow = record_for_partner(
        partner=data.jordan, at=timezone.now() + datetime.timedelta(days=1)
    )

    assert today.other_goals_shared and ours.second_goal.pk in pks(today.goals)
    assert not tomorrow.other_goals_shared and not tomorrow.other_checkins_shared
    assert ours.second_goal.pk not in pks(tomorrow.goals)
    assert not pks(ours.second_checkins) & pks(tomorrow.checkins)


def test_a_copy_for_a_moment_before_the_consent_was_given_shares_nothing(
    partner_record_data, time_machine
):
    data = partner_record_data
    before = timezone.now()
    time_machine.move_to(before + datetime.timedelta(minutes=1), tick=False)
    share(data.alex)

    record = record_for_partner(partner=data.jordan, at=before)

    assert not record.other_goals_shared and not record.other_checkins_shared
    assert record.generated_at == before


# Goals and progress.


def test_shared_goals_carry_both_partners_progress(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    on_shared = [entry for entry in record.progress if entry.goal_id == ours.shared.pk]
    assert {entry.partner_id for entry in on_shared} == {data.jordan.pk, data.alex.pk}
    assert pks(ours.shared_progress) == pks(on_shared)


def test_shared_and_own_goals_are_carried_in_every_status(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    assert pks(record.goals) == pks(
        [
            ours.shared,
            ours.shared_proposed,
            ours.shared_cancelled,
            ours.first_goal,
            ours.first_cancelled,
        ]
    )
    assert {goal.status for goal in record.goals} == {"active", "proposed", "cancelled"}


def test_measures_are_this_partners_completed_ones_only(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex)  # no consent shares measures

    record = record_for_partner(partner=data.jordan)

    assert pks(record.measures) == {ours.first_measure.pk}


# Sessions, care team, coverage, consents.


def test_sessions_are_those_this_partner_was_booked_into_with_their_own_attendance(
    partner_record_data,
):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    booked = {
        ours.couples_note.session_id,
        ours.first_note.session_id,
        ours.first_psychotherapy_note.session_id,
        ours.first_draft.session_id,
        ours.upcoming.pk,
        ours.cancelled.pk,
        data.group_note.session_id,
    }
    assert pks(record.sessions) == booked  # never Alex's individual session
    assert {place.partner_id for place in record.attendance} == {data.jordan.pk}
    assert {place.session_id for place in record.attendance} == booked
    for session in record.sessions:
        assert [place.partner_id for place in session.attendances.all()] == [data.jordan.pk]


def test_care_team_is_the_couples_therapist_and_this_partners_own_clinicians(
    partner_record_data,
):
    data = partner_record_data

    record = record_for_partner(partner=data.jordan)

    assert {a.clinician_id for a in record.care_team} == {
        data.maya.pk,
        data.jordans_therapist.pk,
    }
    assert all(a.ended_at is None for a in record.care_team)


def test_an_ended_assignment_is_not_on_the_care_team(partner_record_data):
    data = partner_record_data
    assignment = data.jordans_therapist.care_assignments.get()
    couple_services.care_assignment_end(assignment=assignment, by=None)

    record = record_for_partner(partner=data.jordan)

    assert data.jordans_therapist.pk not in {a.clinician_id for a in record.care_team}


def test_coverages_are_this_partners_with_their_payer(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    assert pks(record.coverages) == {ours.coverage_first.pk}
    assert record.coverages[0].payer.name == "Blue Cross PPO"


def test_consents_given_and_received_are_carried(partner_record_data):
    data = partner_record_data
    given = share(data.jordan)
    received = share(data.alex, goals=False)

    record = record_for_partner(partner=data.jordan)

    assert pks(record.consents) == {given.pk, received.pk}


# Notes.


def test_psychotherapy_notes_drafts_and_the_other_partners_notes_never_appear(
    partner_record_data,
):
    data, ours = partner_record_data, partner_record_data.ours
    share(data.alex)

    record = record_for_partner(partner=data.jordan)

    assert pks(record.notes) == {
        ours.couples_note.pk,
        ours.first_note.pk,
        data.group_note.pk,
    }
    assert all(note.status == "signed" and not note.is_psychotherapy_note for note in record.notes)


def test_a_note_awaiting_cosignature_does_not_appear(partner_record_data):
    data = partner_record_data
    data.jordans_therapist.supervisor = ClinicianFactory(can_be_individual_therapist=True)
    data.jordans_therapist.save(update_fields=["supervisor"])
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=data.jordans_therapist,
        couple=data.jordan.couple,
        partners=[data.jordan],
    )
    waiting = written(session)
    assert waiting.status == "awaiting_cosign"

    assert waiting.pk not in pks(record_for_partner(partner=data.jordan).notes)


def test_a_group_note_carries_only_this_partners_entry(partner_record_data):
    data = partner_record_data

    record = record_for_partner(partner=data.jordan)

    group = next(note for note in record.notes if note.pk == data.group_note.pk)
    assert [entry.partner_id for entry in group.entries_for_partner] == [data.jordan.pk]
    assert group.entries_for_partner[0].text == f"Part of {data.jordan.pk}"


def test_a_couples_note_carries_only_this_partners_part(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    couples = next(note for note in record.notes if note.pk == ours.couples_note.pk)
    assert [entry.partner_id for entry in couples.entries_for_partner] == [data.jordan.pk]


def test_a_notes_addenda_come_with_it(partner_record_data):
    data, ours = partner_record_data, partner_record_data.ours

    record = record_for_partner(partner=data.jordan)

    note = next(note for note in record.notes if note.pk == ours.first_note.pk)
    assert [addendum.text for addendum in note.addenda.all()] == ["Added later."]


# Other couples.


def test_another_couples_data_never_appears(partner_record_data):
    data, theirs = partner_record_data, partner_record_data.theirs
    share(data.alex)

    record = record_for_partner(partner=data.jordan)

    their_goals = [
        theirs.shared,
        theirs.shared_proposed,
        theirs.shared_cancelled,
        theirs.first_goal,
        theirs.second_goal,
    ]
    assert not pks(their_goals) & pks(record.goals)
    assert not pks([*theirs.shared_progress, theirs.first_progress]) & pks(record.progress)
    assert not pks([*theirs.first_checkins, *theirs.second_checkins]) & pks(record.checkins)
    assert not pks([theirs.first_measure, theirs.second_measure]) & pks(record.measures)
    assert not pks([theirs.coverage_first, theirs.coverage_second]) & pks(record.coverages)
    assert not pks([theirs.couples_note, theirs.first_note]) & pks(record.notes)
    assert {c.partner_id for c in record.consents} <= {data.jordan.pk, data.alex.pk}
    assert {a.couple_id for a in record.care_team} == {data.jordan.couple_id}
    assert theirs.upcoming.pk not in pks(record.sessions)
    group = next(note for note in record.notes if note.pk == data.group_note.pk)
    assert data.sam.pk not in {entry.partner_id for entry in group.entries_for_partner}


def test_a_partner_without_a_partner_yet_gets_their_own_record(db):
    alone = PartnerFactory()
    goal = GoalFactory(couple=alone.couple, created_by=alone.user)

    record = record_for_partner(partner=alone)

    assert record.other is None and not record.other_goals_shared
    assert pks(record.goals) == {goal.pk}


# Queries.


def grow(data) -> None:
    """Make Jordan's record large: 60 days of check-ins each, 10 more goals with progress,
    8 more sessions, 3 more measures and 3 more signed notes."""
    data.jordan.checkins.all().delete()
    data.alex.checkins.all().delete()
    checkins(data.jordan, days=60)
    checkins(data.alex, days=60)
    made = {"couple": data.jordan.couple, "created_by": data.jordan.user}
    for number in range(10):
        goal = GoalFactory(**made, partner=[None, data.jordan, data.alex][number % 3])
        for days_ago in (3, 4):
            for person in [data.jordan, data.alex] if goal.partner is None else [goal.partner]:
                progress(goal, person, days_ago=days_ago)
    for number in range(8):
        session_written(
            data.maya,
            [data.jordan, data.alex],
            starts_at=timezone.now() + datetime.timedelta(days=4 + number),
            kind=SessionKind.COUPLES_THERAPY,
            minutes=50,
        )
    for code in ("gad7", "bam", "csi4"):
        scored(data.jordan, code, total=3, days_ago=5)
    for number in range(3):
        written(
            attended_session(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=data.maya,
                couple=data.jordan.couple,
                partners=[data.jordan, data.alex],
                hours_ago=30 + number,
            )
        )


def walk(record) -> None:
    """Everything a mapper reads of the record, related rows included."""
    for person in [record.partner, record.other]:
        str(person.user.email), str(person.couple.time_zone)
    for assignment in record.care_team:
        str(assignment.clinician.user.email), str(assignment.partner), str(assignment.couple)
    for goal in record.goals:
        str(goal.partner), str(goal.couple), str(goal.created_by.email)
    for entry in record.progress:
        str(entry.goal.title), str(entry.partner.user.email)
    for checkin in record.checkins:
        str(checkin.partner.user.email)
    for response in record.measures:
        str(response.partner.user.email), str(response.entered_by), response.answers
    for session in record.sessions:
        str(session.clinician.user.email), str(session.couple), list(session.attendances.all())
    for place in record.attendance:
        str(place.session.kind), str(place.partner.user.email)
    for coverage in record.coverages:
        str(coverage.payer.name), str(coverage.partner.user.email)
    for consent in record.consents:
        str(consent.partner.user.email), str(consent.recipient.user.email)
        str(consent.granted_by), str(consent.revoked_by)
    for note in record.notes:
        str(note.session.kind), str(note.author.user.email), str(note.couple), str(note.partner)
        [(entry.text, entry.partner.user.email) for entry in note.entries_for_partner]
        [(addendum.text, addendum.author.user.email) for addendum in note.addenda.all()]


@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_the_query_count_is_the_same_for_a_small_and_a_large_record(
    partner_record_data, large, django_assert_max_num_queries
):
    data = partner_record_data
    share(data.alex)
    share(data.jordan)
    if large:
        grow(data)

    # The partners; the consents; the care team; goals; progress; check-ins; measures;
    # sessions and Jordan's places in them; coverages; note entries; addenda.
    with django_assert_max_num_queries(RECORD_QUERIES):
        record = record_for_partner(partner=data.jordan)
    with django_assert_max_num_queries(0):
        walk(record)

    assert RECORD_QUERIES == 12
    if large:
        assert len(record.checkins) == 120
        assert len(record.goals) == 6 + 10  # Alex shares: their active goal too
        assert len(record.sessions) == 7 + 8 + 3
        assert len(record.measures) == 4
        assert len(record.notes) == 3 + 3


def test_generated_at_is_the_moment_asked_for_or_now(partner_record_data):
    data = partner_record_data
    moment = timezone.now() - datetime.timedelta(hours=1)

    assert record_for_partner(partner=data.jordan, at=moment).generated_at == moment
    before = timezone.now()
    assert before <= record_for_partner(partner=data.jordan).generated_at <= timezone.now()
