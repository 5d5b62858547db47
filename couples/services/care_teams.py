"""Care teams: giving a clinician a role on a couple's team, and ending it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import CareAssignment, Clinician, Couple, Partner, User
from couples.rules import care_team_conflicts, current_team_with


@transaction.atomic
def care_team_assign(
    *,
    couple: Couple,
    role: str,
    clinician: Clinician,
    partner: Partner | None = None,
    by: User | None,
    request: HttpRequest | None = None,
) -> CareAssignment:
    """Give a clinician a care-team role, ending whoever held it before.

    Raises ValidationError naming the conflict when the care-team rule would
    break; nothing is saved then.
    """
    # Lock the couple so two simultaneous changes cannot together break the rule.
    Couple.objects.select_for_update().get(pk=couple.pk)
    if partner is not None and partner.couple_id != couple.pk:
        raise ValidationError("This partner belongs to another couple.")
    current = CareAssignment.objects.filter(
        couple=couple, partner=partner, role=role, ended_at__isnull=True
    ).first()
    if current is not None and current.clinician_id == clinician.pk:
        return current
    assignment = CareAssignment(
        couple=couple, partner=partner, clinician=clinician, role=role, assigned_by=by
    )
    conflicts = care_team_conflicts(current_team_with(assignment))
    if conflicts:
        raise ValidationError(conflicts)
    if current is not None:
        care_assignment_end(assignment=current, by=by, request=request)
    assignment.started_at = timezone.now()
    assignment.full_clean()
    assignment.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=assignment,
        patient=partner,
        request=request,
    )
    return assignment


@transaction.atomic
def care_assignment_end(
    *, assignment: CareAssignment, by: User | None, request: HttpRequest | None = None
) -> CareAssignment:
    """End a role without a successor (a clinician leaves); the row stays as history."""
    if assignment.ended_at is not None:
        return assignment
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=assignment,
        patient=assignment.partner,
        request=request,
        detail={"ended": True},
    )
    return assignment
