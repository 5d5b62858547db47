"""The care-team rule, in one place for the model, the services and the admin.

The couples therapist is a different clinician from each partner's individual
therapist and counselor; a partner's individual therapist is not also their
counselor; a clinician holds only the roles their profile allows.
"""

from dataclasses import dataclass

from couples.models import ROLE_CAPABILITY, CareAssignment, CareRole, Clinician

THERAPY_ROLES = frozenset({CareRole.INDIVIDUAL_THERAPIST, CareRole.COUNSELOR})


@dataclass(frozen=True)
class TeamSlot:
    role: str
    clinician: Clinician
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


def slot_for(assignment: CareAssignment) -> TeamSlot:
    partner = assignment.partner
    return TeamSlot(
        role=assignment.role,
        clinician=assignment.clinician,
        partner_key=partner.pk if partner else None,
        partner_name=partner.display_name if partner else "",
    )


def current_team_with(
    assignment: CareAssignment, *, exclude_pk: int | None = None
) -> list[TeamSlot]:
    """The couple's current team as it would be with `assignment` in its slot."""
    current = (
        CareAssignment.objects.filter(couple_id=assignment.couple_id, ended_at__isnull=True)
        .exclude(pk=exclude_pk)
        .select_related("clinician__user", "partner__user")
    )
    slots = [
        slot_for(other)
        for other in current
        if not (other.role == assignment.role and other.partner_id == assignment.partner_id)
    ]
    return [*slots, slot_for(assignment)]
