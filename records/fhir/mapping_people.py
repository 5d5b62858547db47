"""People and organisations as FHIR: partners, the couple, clinicians, the care team, the
clinic and payers. Conventions in `records.fhir.mapping`."""

from django.conf import settings
from fhir.resources.R4B.careteam import CareTeam, CareTeamParticipant
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.group import Group, GroupMember
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner, PractitionerQualification
from fhir.resources.R4B.relatedperson import RelatedPerson

from couples.models import CareAssignment, Clinician, Couple, Partner, User
from insurance.models import Payer
from records.fhir.mapping import (
    EXT_SOBRIETY_DATE,
    EXT_TIME_ZONE,
    PAYER_ID_SYSTEM,
    clinic_slug,
    concept,
    identifier,
    ours,
    reference,
    resource_id,
)

# v3 RoleCode: "significant other", the relationship of one partner to the other.
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


def human_name(user: User, preferred_name: str = "") -> HumanName:
    """The name as the person gave it: first and last, and the name they go by."""
    return HumanName(
        use="official",
        given=[user.first_name] if user.first_name else None,
        family=user.last_name or None,
        text=preferred_name or user.get_full_name() or None,
    )


def patient_reference(partner: Partner):
    return reference("partner", partner.pk, partner.display_name)


def patient_of(partner: Partner, *, owner: bool = False) -> Patient:
    """A partner: their name and our identifier. The copy's `owner` also carries their own
    email, date of birth and sobriety date (what another program receiving them needs: the
    account, who they are, the streak); the other partner in it, nothing more."""
    extension = None
    if owner and partner.sobriety_date is not None:
        extension = [Extension(url=EXT_SOBRIETY_DATE, valueDate=partner.sobriety_date)]
    return Patient(
        id=resource_id("partner", partner.pk),
        identifier=identifier("partner", partner.pk),
        active=True,
        name=[human_name(partner.user, partner.preferred_name)],
        telecom=[ContactPoint(system="email", value=partner.user.email)] if owner else None,
        birthDate=partner.date_of_birth if owner else None,
        extension=extension,
    )


def group_of(couple: Couple, partners: list[Partner]) -> Group:
    """The couple: the unit of care, whose members are both partners' Patients."""
    return Group(
        id=resource_id("couple", couple.pk),
        identifier=identifier("couple", couple.pk),
        type="person",
        actual=True,
        name=f"Couple #{couple.pk}",
        extension=[Extension(url=EXT_TIME_ZONE, valueString=couple.time_zone)],
        quantity=len(partners),
        member=[GroupMember(entity=patient_reference(p)) for p in partners],
    )


def related_person_of(partner: Partner, other: Partner) -> RelatedPerson:
    """The other partner as related to this one: name and relationship only."""
    return RelatedPerson(
        id=resource_id("related-person", f"{partner.pk}:{other.pk}"),
        patient=patient_reference(partner),
        relationship=[concept(ROLE_CODE, "SIGOTHR", "significant other")],
        name=[human_name(other.user, other.preferred_name)],
    )


def practitioner_of(clinician: Clinician) -> Practitioner:
    qualification = None
    if clinician.credentials:
        qualification = [
            PractitionerQualification(code=CodeableConcept(text=clinician.credentials))
        ]
    return Practitioner(
        id=resource_id("clinician", clinician.pk),
        identifier=identifier("clinician", clinician.pk),
        name=[human_name(clinician.user)],
        qualification=qualification,
    )


def practitioner_reference(clinician: Clinician):
    return reference("clinician", clinician.pk, str(clinician))


def care_team_of(couple: Couple, assignments: list[CareAssignment]) -> CareTeam:
    """The couple's care team: each assignment a participant, in its role and period."""
    participants = [
        CareTeamParticipant(
            role=[ours("care-role", a.role, a.get_role_display())],
            member=practitioner_reference(a.clinician),
            period=Period(start=a.started_at, end=a.ended_at),
        )
        for a in assignments
    ]
    return CareTeam(
        id=resource_id("care-team", couple.pk),
        identifier=identifier("care-team", couple.pk),
        status="active",
        name=f"Care team of couple #{couple.pk}",
        subject=reference("couple", couple.pk),
        participant=participants or None,
    )


def clinic_organization() -> Organization:
    """The clinic that keeps the record and makes the export."""
    return Organization(
        id=resource_id("clinic", clinic_slug()),
        identifier=identifier("clinic", clinic_slug()),
        active=True,
        name=settings.CLINIC_NAME,
    )


def clinic_reference():
    return reference("clinic", clinic_slug(), settings.CLINIC_NAME)


def payer_organization(payer: Payer) -> Organization:
    identifiers = identifier("payer", payer.pk)
    if payer.payer_id:
        identifiers.append(Identifier(system=PAYER_ID_SYSTEM, value=payer.payer_id))
    return Organization(
        id=resource_id("payer", payer.pk),
        identifier=identifiers,
        active=True,
        name=payer.name,
    )
