import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from audit import services as audit_services
from audit.models import AuditEvent
from couples import queries, services
from couples.models import CareAssignment, CareRole
from tests.factories import ClinicianFactory, PartnerFactory

pytestmark = pytest.mark.timeshift


@pytest.fixture
def care_team(partner_a, partner_b, clinician, staff):
    services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=staff
    )
    return clinician


def test_partners_see_only_their_own_couple(partner_a, outsider):
    assert list(queries.couple_list_for_user(user=partner_a.user)) == [partner_a.couple]
    assert list(queries.couple_list_for_user(user=outsider.user)) == [outsider.couple]


def test_a_clinician_sees_the_couples_whose_care_team_they_are_on(care_team, partner_a, outsider):
    assert list(queries.couple_list_for_user(user=care_team.user)) == [partner_a.couple]


def test_staff_see_no_couples_through_the_clinical_access_layer(staff, partner_a):
    assert list(queries.couple_list_for_user(user=staff)) == []


def test_an_outsider_gets_404_and_the_attempt_is_audited(outsider, partner_a):
    with pytest.raises(Http404):
        queries.couple_get_for_user(user=outsider.user, pk=partner_a.couple_id)

    denied = AuditEvent.objects.get(allowed=False)
    assert denied.actor == outsider.user
    assert denied.detail == {"target_type": "couples.Couple", "target_id": str(partner_a.couple_id)}


def test_a_clinician_whose_assignment_ended_loses_access(care_team, partner_a, staff):
    successor = ClinicianFactory()
    services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=successor, by=staff
    )

    with pytest.raises(Http404):
        queries.couple_get_for_user(user=care_team.user, pk=partner_a.couple_id)
    assert queries.couple_get_for_user(user=successor.user, pk=partner_a.couple_id)


def test_a_partner_sees_their_own_individual_items(partner_a):
    access = queries.individual_items_access(viewer=partner_a.user, owner=partner_a)

    assert access.goals and access.checkins and not access.is_disclosure


def test_the_care_team_sees_individual_items_without_consent(care_team, partner_a):
    access = queries.individual_items_access(viewer=care_team.user, owner=partner_a)

    assert access.goals and access.checkins


def test_a_clinician_off_the_team_sees_nothing(partner_a, db):
    stranger = ClinicianFactory()

    assert (
        queries.individual_items_access(viewer=stranger.user, owner=partner_a) == queries.NO_ACCESS
    )


def test_the_other_partner_sees_nothing_without_consent(partner_a, partner_b):
    assert (
        queries.individual_items_access(viewer=partner_b.user, owner=partner_a) == queries.NO_ACCESS
    )


def test_consent_shares_exactly_what_was_granted(partner_a, partner_b):
    consent = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=False, by=partner_a.user
    )

    access = queries.individual_items_access(viewer=partner_b.user, owner=partner_a)

    assert access.goals is True
    assert access.checkins is False
    assert access.consent == consent


def test_revoking_consent_hides_items_at_once(partner_a, partner_b):
    consent = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    services.consent_revoke(consent=consent, by=partner_a.user)

    assert (
        queries.individual_items_access(viewer=partner_b.user, owner=partner_a) == queries.NO_ACCESS
    )
    consent.refresh_from_db()
    assert consent.revoked_by == partner_a.user


def test_an_expired_consent_stops_sharing_by_itself(partner_a, partner_b):
    services.consent_grant(
        partner=partner_a,
        shares_goals=True,
        shares_checkins=True,
        expires_on=timezone.localdate(),
        by=partner_a.user,
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    assert queries.consent_active_for(partner=partner_a) is not None
    assert queries.consent_active_for(partner=partner_a, today=tomorrow) is None


def test_a_consent_ending_in_the_past_is_refused(partner_a, partner_b):
    with pytest.raises(Exception, match="cannot be in the past"):
        services.consent_grant(
            partner=partner_a,
            shares_goals=True,
            shares_checkins=True,
            expires_on=timezone.localdate() - datetime.timedelta(days=1),
            by=partner_a.user,
        )


def test_a_new_grant_replaces_the_open_one_and_keeps_the_history(partner_a, partner_b):
    first = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )
    second = services.consent_grant(
        partner=partner_a, shares_goals=False, shares_checkins=True, by=partner_a.user
    )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert queries.consent_active_for(partner=partner_a) == second
    assert list(queries.consent_history_for_partner(partner=partner_a)) == [second, first]


def test_consent_must_share_something(partner_a, partner_b):
    with pytest.raises(Exception, match="at least one"):
        services.consent_grant(
            partner=partner_a, shares_goals=False, shares_checkins=False, by=partner_a.user
        )


def test_consent_never_reaches_someone_outside_the_couple(partner_a, partner_b, outsider):
    services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    assert (
        queries.individual_items_access(viewer=outsider.user, owner=partner_a) == queries.NO_ACCESS
    )


def test_record_access_lists_reads_and_disclosures_of_my_record_only(
    care_team, partner_a, partner_b, outsider
):
    consent = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )
    audit_services.audit_record(
        actor=care_team.user, action=AuditEvent.Action.READ, patient=partner_a
    )
    services.disclosure_record(
        viewer=partner_b.user, owner=partner_a, consent=consent, what="goals", request=None
    )
    audit_services.audit_record(
        actor=care_team.user, action=AuditEvent.Action.READ, patient=outsider
    )

    rows = list(queries.record_access_list_for_partner(partner=partner_a))

    assert [row.actor for row in rows] == [partner_b.user, care_team.user]
    assert rows[0].action == AuditEvent.Action.DISCLOSE


def test_the_caseload_lists_my_current_couples_with_my_roles(care_team, partner_a, staff, db):
    other = PartnerFactory()
    services.care_team_assign(
        couple=other.couple,
        partner=other,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=ClinicianFactory(can_be_individual_therapist=True),
        by=staff,
    )

    couples = list(queries.caseload_for_clinician(user=care_team.user))

    assert couples == [partner_a.couple]
    assert [a.role for a in couples[0].my_assignments] == [CareRole.COUPLES_THERAPIST]
    assert CareAssignment.objects.count() == 2


# Granted in February 2030: an end date of 1 March is still ahead (one in the past is refused).
@pytest.mark.time_machine(datetime.datetime(2030, 2, 1, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_consent_ends_at_midnight_where_the_couple_lives(partner_a, partner_b, time_machine):
    partner_a.couple.time_zone = "Pacific/Honolulu"
    partner_a.couple.save()
    consent = services.consent_grant(
        partner=partner_a,
        shares_goals=True,
        shares_checkins=True,
        expires_on=datetime.date(2030, 3, 1),
        by=partner_a.user,
    )
    # 09:00 UTC on 2 March is still 1 March (23:00) in Honolulu.
    late_evening = datetime.datetime(2030, 3, 2, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(late_evening, tick=False)
    assert queries.consent_active_for(partner=partner_a) == consent

    time_machine.move_to(late_evening + datetime.timedelta(hours=1), tick=False)
    assert queries.consent_active_for(partner=partner_a) is None


def test_granting_the_same_sharing_again_changes_nothing(partner_a, partner_b):
    first = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    again = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    assert again == first
    assert partner_a.consents_given.count() == 1


def test_the_record_access_list_reaches_back_three_calendar_years(
    partner_a, care_team, time_machine
):
    now = datetime.datetime(2028, 2, 29, 12, 0, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)
    audit_services.audit_record(
        actor=care_team.user, action=AuditEvent.Action.READ, patient=partner_a
    )

    assert queries.years_before(now, 3) == datetime.datetime(
        2025, 2, 28, 12, 0, tzinfo=datetime.UTC
    )
    assert queries.record_access_list_for_partner(partner=partner_a).count() == 1
