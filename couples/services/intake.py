"""A couple's stay: admission with both partners and the whole care team, and discharge."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import ADMISSION, date_within
from common.zones import zone_named
from couples.models import CareRole, Clinician, Couple, Partner, User
from couples.rules import TeamSlot, care_team_conflicts
from couples.services.accounts import user_invite
from couples.services.care_teams import care_team_assign


@transaction.atomic
def couple_admit(
    *,
    partners: list[dict],
    time_zone: str,
    admitted_on,
    couples_therapist: Clinician,
    by: User | None,
    request: HttpRequest | None = None,
) -> Couple:
    """Admit a couple in one step: both partners invited, the whole care team assigned.

    `partners` holds two dicts with email, first_name, last_name, preferred_name,
    individual_therapist and counselor.

    1. Check the two partners and the whole proposed team against the rule: a conflict
       saves nothing.
    2. Write the couple, with its couples therapist.
    3. For each partner: invite them, write their record, assign their individual
       therapist and counselor.
    """
    _admission_check(partners=partners, couples_therapist=couples_therapist)
    # Within three years back (a late entry) and 90 days ahead (booked intake), in the
    # couple's own calendar.
    earliest, latest = ADMISSION.around(timezone.localdate(timezone=zone_named(time_zone)))
    date_within(
        admitted_on,
        earliest=earliest,
        latest=latest,
        field="admitted_on",
        label="an admission date",
    )
    couple = Couple(status=Couple.Status.ACTIVE, admitted_on=admitted_on, time_zone=time_zone)
    couple.full_clean()
    couple.save()
    audit_record(actor=by, action=AuditEvent.Action.CREATE, target=couple, request=request)
    care_team_assign(
        couple=couple,
        role=CareRole.COUPLES_THERAPIST,
        clinician=couples_therapist,
        by=by,
        request=request,
    )
    for person in partners:
        _partner_admit(couple=couple, person=person, by=by, request=request)
    return couple


# Each partner's own clinicians at admission: (role, the key naming them in a partner's dict).
PARTNER_TEAM = [
    (CareRole.INDIVIDUAL_THERAPIST, "individual_therapist"),
    (CareRole.COUNSELOR, "counselor"),
]


def _admission_check(*, partners: list[dict], couples_therapist: Clinician) -> None:
    if len(partners) != 2:
        raise ValidationError("A couple is two partners.")
    emails = [p["email"].strip().lower() for p in partners]
    if emails[0] == emails[1]:
        raise ValidationError("The two partners need different email addresses.")
    slots = [TeamSlot(role=CareRole.COUPLES_THERAPIST, clinician=couples_therapist)]
    for index, person in enumerate(partners):
        name = person.get("preferred_name") or person["first_name"]
        slots += [
            TeamSlot(role=role, clinician=person[key], partner_key=index, partner_name=name)
            for role, key in PARTNER_TEAM
        ]
    conflicts = care_team_conflicts(slots)
    if conflicts:
        raise ValidationError(conflicts)


def _partner_admit(*, couple: Couple, person: dict, by: User | None, request) -> Partner:
    user = user_invite(
        email=person["email"],
        first_name=person["first_name"],
        last_name=person["last_name"],
        invited_by=by,
        request=request,
    )
    partner = Partner(user=user, couple=couple, preferred_name=person.get("preferred_name", ""))
    partner.full_clean()
    partner.save()
    audit_record(
        actor=by, action=AuditEvent.Action.CREATE, target=partner, patient=partner, request=request
    )
    for role, key in PARTNER_TEAM:
        care_team_assign(
            couple=couple, partner=partner, role=role, clinician=person[key], by=by, request=request
        )
    return partner


@transaction.atomic
def couple_discharge(
    *, couple: Couple, discharged_on, by: User | None, request: HttpRequest | None = None
) -> Couple:
    """Discharge keeps every record and the care team's read access; it deletes nothing."""
    couple.status = Couple.Status.DISCHARGED
    couple.discharged_on = discharged_on
    couple.full_clean()
    couple.save(update_fields=["status", "discharged_on"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=couple,
        request=request,
        detail={"status": couple.status, "discharged_on": discharged_on.isoformat()},
    )
    return couple
