"""The care-team rule, in one place for the model, the services and the admin.

The couples therapist is a different clinician from each partner's individual
therapist and counselor; a partner's individual therapist is not also their
counselor; a clinician holds only the roles their profile allows.
"""

from dataclasses import dataclass

from django.db import models

# The rule's words live here and the models use them (couples.models re-exports them), so
# that the model's validation can call the rule without the rule importing the models.


class CareRole(models.TextChoices):
    COUPLES_THERAPIST = "couples_therapist", "Couples therapist"
    INDIVIDUAL_THERAPIST = "individual_therapist", "Individual therapist"
    COUNSELOR = "counselor", "Drug & alcohol counselor"
    MEDICAL_PROVIDER = "medical_provider", "Medical provider"


# Roles held for one partner; the couples therapist is held for the couple.
PARTNER_ROLES = frozenset(
    {CareRole.INDIVIDUAL_THERAPIST, CareRole.COUNSELOR, CareRole.MEDICAL_PROVIDER}
)
# The Clinician flag that allows each role.
ROLE_CAPABILITY = {
    CareRole.COUPLES_THERAPIST: "can_be_couples_therapist",
    CareRole.INDIVIDUAL_THERAPIST: "can_be_individual_therapist",
    CareRole.COUNSELOR: "can_be_counselor",
    CareRole.MEDICAL_PROVIDER: "can_be_medical_provider",
}


THERAPY_ROLES = frozenset({CareRole.INDIVIDUAL_THERAPIST, CareRole.COUNSELOR})


@dataclass(frozen=True)
class TeamSlot:
    role: str
    clinician: object  # a couples.models.Clinician
    partner_key: object = None  # None for the couples therapist
    partner_name: str = ""


def care_team_conflicts(slots: list[TeamSlot]) -> list[str]:
    """Every way the proposed team breaks the rule, as messages naming the conflict."""
    problems = []
    for slot in slots:
        if not getattr(slot.clinician, ROLE_CAPABILITY[slot.role]):
            problems.append(
                f"{slot.clinician} cannot be a {CareRole(slot.role).label.lower()}: "
                "their clinician profile does not include that role."
            )
    couples_therapists = [s for s in slots if s.role == CareRole.COUPLES_THERAPIST]
    # The rule is about the clinicians who treat the relationship and each person's
    # recovery; a medical provider may be anyone allowed to be one.
    partner_slots = [s for s in slots if s.role in THERAPY_ROLES]
    for therapist in couples_therapists:
        for slot in partner_slots:
            if slot.clinician.pk == therapist.clinician.pk:
                problems.append(
                    f"{slot.clinician} is the couples therapist, so cannot also be "
                    f"{slot.partner_name}'s {CareRole(slot.role).label.lower()}."
                )
    by_partner: dict[object, dict[str, TeamSlot]] = {}
    for slot in partner_slots:
        by_partner.setdefault(slot.partner_key, {})[slot.role] = slot
    for roles in by_partner.values():
        therapist = roles.get(CareRole.INDIVIDUAL_THERAPIST)
        counselor = roles.get(CareRole.COUNSELOR)
        if therapist and counselor and therapist.clinician.pk == counselor.clinician.pk:
            problems.append(
                f"{therapist.partner_name}'s individual therapist and drug & alcohol counselor "
                f"must be different clinicians ({therapist.clinician} holds both)."
            )
    return problems


def slot_for(assignment) -> TeamSlot:
    """The slot a CareAssignment fills."""
    partner = assignment.partner
    return TeamSlot(
        role=assignment.role,
        clinician=assignment.clinician,
        partner_key=partner.pk if partner else None,
        partner_name=partner.display_name if partner else "",
    )


def current_team_with(assignment, *, exclude_pk: int | None = None) -> list[TeamSlot]:
    """The couple's current team as it would be with `assignment` (a CareAssignment) in its
    slot."""
    current = (
        type(assignment)
        .objects.filter(couple_id=assignment.couple_id, ended_at__isnull=True)
        .exclude(pk=exclude_pk)
        .select_related("clinician__user", "partner__user")
    )
    slots = [
        slot_for(other)
        for other in current
        if not (other.role == assignment.role and other.partner_id == assignment.partner_id)
    ]
    return [*slots, slot_for(assignment)]
