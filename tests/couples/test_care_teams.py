import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from couples import services
from couples.models import CareAssignment, CareRole, Couple, Partner, User
from tests.factories import ClinicianFactory

TODAY = datetime.date(2026, 11, 1)
# Couples are admitted on TODAY, and the clock reads it (noon in New York, after the clocks
# went back that night), so a discharge dated today is not before the admission.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 11, 1, 17, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]


def _people(team, **changes):
    people = [
        {
            "email": "jo@example.test",
            "first_name": "Jo",
            "last_name": "March",
            "preferred_name": "",
            "individual_therapist": team["therapist"],
            "counselor": team["counselor"],
        },
        {
            "email": "sam@example.test",
            "first_name": "Sam",
            "last_name": "March",
            "preferred_name": "Sammy",
            "individual_therapist": team["therapist"],
            "counselor": team["counselor"],
        },
    ]
    people[0].update(changes)
    return people


def _admit(team, staff, couples_therapist=None, **changes):
    return services.couple_admit(
        partners=_people(team, **changes),
        time_zone="America/Chicago",
        admitted_on=TODAY,
        couples_therapist=couples_therapist or team["couples"],
        by=staff,
    )


def test_admitting_a_couple_invites_both_partners_and_assigns_the_whole_team(
    team, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        couple = _admit(team, staff)

    assert couple.status == Couple.Status.ACTIVE
    assert couple.partners.count() == 2
    assert CareAssignment.objects.filter(couple=couple, ended_at__isnull=True).count() == 5
    assert sorted(message.to[0] for message in mail.outbox) == [
        "jo@example.test",
        "sam@example.test",
    ]


def test_the_couples_therapist_cannot_be_a_partners_individual_therapist(team, staff):
    with pytest.raises(ValidationError) as error:
        _admit(
            team, staff, couples_therapist=team["versatile"], individual_therapist=team["versatile"]
        )

    assert "is the couples therapist, so cannot also be Jo's individual therapist" in str(
        error.value
    )
    assert not Couple.objects.exists()
    assert not User.objects.filter(email="jo@example.test").exists()


def test_the_couples_therapist_cannot_be_a_partners_counselor(team, staff):
    with pytest.raises(ValidationError, match="cannot also be Jo's drug & alcohol counselor"):
        _admit(team, staff, couples_therapist=team["versatile"], counselor=team["versatile"])


def test_a_partners_individual_therapist_cannot_also_be_their_counselor(team, staff):
    with pytest.raises(
        ValidationError, match="Jo's individual therapist and drug & alcohol counselor"
    ):
        _admit(team, staff, individual_therapist=team["versatile"], counselor=team["versatile"])

    assert not Partner.objects.exists()


def test_a_clinician_only_holds_roles_their_profile_allows(team, staff):
    with pytest.raises(ValidationError, match="cannot be a couples therapist"):
        _admit(team, staff, couples_therapist=team["therapist"])


def test_two_partners_need_two_email_addresses(team, staff):
    with pytest.raises(ValidationError, match="different email"):
        _admit(team, staff, email="SAM@example.test")


def test_changing_a_therapist_keeps_who_treated_them_before(team, staff):
    couple = _admit(team, staff)
    partner = couple.partners.get(user__first_name="Jo")
    newcomer = ClinicianFactory(can_be_couples_therapist=False, can_be_individual_therapist=True)

    services.care_team_assign(
        couple=couple,
        partner=partner,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=newcomer,
        by=staff,
    )

    history = CareAssignment.objects.filter(partner=partner, role=CareRole.INDIVIDUAL_THERAPIST)
    assert history.count() == 2
    old = history.get(clinician=team["therapist"])
    assert old.ended_at is not None
    assert history.get(clinician=newcomer).ended_at is None


def test_reassigning_refuses_a_change_that_breaks_the_rule_and_changes_nothing(team, staff):
    couple = _admit(team, staff)
    partner = couple.partners.get(user__first_name="Jo")

    with pytest.raises(ValidationError, match="is the couples therapist"):
        services.care_team_assign(
            couple=couple,
            partner=partner,
            role=CareRole.INDIVIDUAL_THERAPIST,
            clinician=team["couples"].__class__.objects.get(pk=team["couples"].pk),
            by=staff,
        )

    assert CareAssignment.objects.filter(partner=partner, ended_at__isnull=True).count() == 2


def test_model_validation_applies_the_same_rule(team, staff):
    couple = _admit(team, staff)
    partner = couple.partners.first()
    assignment = CareAssignment(
        couple=couple, partner=partner, role=CareRole.COUNSELOR, clinician=team["couples"]
    )

    with pytest.raises(ValidationError) as error:
        assignment.full_clean()

    assert "cannot be a drug & alcohol counselor" in str(error.value)


def test_the_database_refuses_two_current_couples_therapists(team, staff):
    from django.db import IntegrityError, transaction

    couple = _admit(team, staff)

    with pytest.raises(IntegrityError), transaction.atomic():
        CareAssignment.objects.create(
            couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=team["versatile"]
        )


def test_discharge_keeps_every_record(team, staff):
    couple = _admit(team, staff)

    services.couple_discharge(couple=couple, discharged_on=timezone.localdate(), by=staff)

    couple.refresh_from_db()
    assert couple.status == Couple.Status.DISCHARGED
    assert couple.partners.count() == 2
    assert CareAssignment.objects.filter(couple=couple).count() == 5
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, target_id=str(couple.pk)
    ).exists()


def test_discharge_before_admission_is_refused(team, staff):
    couple = _admit(team, staff)

    with pytest.raises(ValidationError):
        services.couple_discharge(
            couple=couple, discharged_on=TODAY - datetime.timedelta(days=1), by=staff
        )

    couple.refresh_from_db()
    assert couple.status == Couple.Status.ACTIVE


def test_every_assignment_is_audited(team, staff):
    _admit(team, staff)

    created = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, target_type="couples.CareAssignment"
    )
    assert created.count() == 5


def test_a_capability_cannot_be_removed_while_the_role_is_held(team, staff):
    couple = _admit(team, staff)
    therapist = team["therapist"]
    therapist.can_be_individual_therapist = False

    with pytest.raises(ValidationError) as error:
        therapist.full_clean()

    assert f"is still individual therapist for Couple #{couple.pk}" in str(error.value)


def test_a_capability_can_be_removed_once_the_role_is_handed_over(team, staff):
    couple = _admit(team, staff)
    for assignment in CareAssignment.objects.filter(clinician=team["therapist"], couple=couple):
        services.care_assignment_end(assignment=assignment, by=staff)
    therapist = team["therapist"]
    therapist.can_be_individual_therapist = False

    therapist.full_clean()


def test_ending_an_assignment_keeps_it_as_history_and_is_audited(team, staff):
    couple = _admit(team, staff)
    assignment = CareAssignment.objects.get(couple=couple, role=CareRole.COUPLES_THERAPIST)

    services.care_assignment_end(assignment=assignment, by=staff)

    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, target_id=str(assignment.pk), detail={"ended": True}
    ).exists()


def test_a_patient_cannot_also_be_a_clinician(partner_a):
    from couples.models import Clinician

    with pytest.raises(ValidationError, match="is a patient"):
        Clinician(user=partner_a.user, can_be_couples_therapist=True).full_clean()


def test_a_clinician_cannot_also_be_a_patient(clinician, couple):
    with pytest.raises(ValidationError, match="is a clinician"):
        Partner(user=clinician.user, couple=couple).full_clean()


def test_the_couples_therapist_may_also_be_a_partners_medical_provider(partner_a, staff):
    doctor = ClinicianFactory(can_be_couples_therapist=True, can_be_medical_provider=True)
    couple_services_assign = services.care_team_assign
    couple_services_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=doctor, by=staff
    )

    assignment = couple_services_assign(
        couple=partner_a.couple,
        partner=partner_a,
        role=CareRole.MEDICAL_PROVIDER,
        clinician=doctor,
        by=staff,
    )

    assert assignment.is_current
