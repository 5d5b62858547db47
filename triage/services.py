"""Raising triage items from what partners tell the app, and acknowledging them."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from triage.models import NOTE_MAX_LENGTH, TriageItem


def item_raise(
    *,
    partner: Partner,
    kind: str,
    severity: int,
    summary: str,
    source_ref: str,
    at: datetime.datetime | None = None,
) -> tuple[TriageItem, bool]:
    """The item for this event, raised once: the same event (kind and source) never raises a
    second one, even after the first was acknowledged. Returns (item, raised now)."""
    return TriageItem.objects.get_or_create(
        kind=kind,
        source_ref=source_ref,
        defaults={
            "couple_id": partner.couple_id,
            "partner": partner,
            "severity": severity,
            "summary": summary[:200],
            "raised_at": at or timezone.now(),
        },
    )


def reported_use_raise(*, checkin) -> TriageItem:
    """A check-in that reports a use: a high item for the partner's care team."""
    partner = checkin.partner
    item, _ = item_raise(
        partner=partner,
        kind=TriageItem.Kind.REPORTED_USE,
        severity=TriageItem.Severity.HIGH,
        summary=f"{partner.display_name} reported a use on {checkin.day:%a %b} {checkin.day.day}",
        source_ref=f"goals.checkin:{checkin.pk}",
    )
    return item


@transaction.atomic
def contact_request_raise(
    *, partner: Partner, day: datetime.date, request: HttpRequest | None = None
) -> tuple[TriageItem, bool]:
    """The partner asks their care team to contact them today: one high item a day, however
    often they tap. Audited."""
    item, raised = item_raise(
        partner=partner,
        kind=TriageItem.Kind.CONTACT_REQUEST,
        severity=TriageItem.Severity.HIGH,
        summary=f"{partner.display_name} asked to be contacted today",
        source_ref=f"couples.partner:{partner.pk}:{day.isoformat()}",
    )
    if raised:
        audit_record(
            actor=partner.user,
            action=AuditEvent.Action.CREATE,
            target=item,
            patient=partner,
            request=request,
        )
    return item, raised


@transaction.atomic
def item_acknowledge(
    *, item: TriageItem, by: User, note: str, request: HttpRequest | None = None
) -> TriageItem:
    """Someone on the care team has it in hand: the item leaves everyone's queue, with who,
    when and their note kept on it. Audited."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say in a few words what you did or will do."})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters."})
    updated = TriageItem.objects.filter(
        pk=item.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(acknowledged_at=timezone.now(), acknowledged_by=by, acknowledgement_note=note)
    if not updated:
        raise ValidationError(
            "Someone on the care team has already acknowledged this item, or its cause ended."
        )
    item.refresh_from_db()
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=item,
        patient=item.partner,
        request=request,
        detail={"change": "acknowledged"},
    )
    return item


def items_resolve(*, kind: str, source_refs: list[str], resolution: str) -> int:
    """The cause of these open items ended (an overdue measure was filled): they leave the
    queue by themselves, with why. Acknowledged items are left as they were."""
    return TriageItem.objects.filter(
        kind=kind,
        source_ref__in=source_refs,
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
    ).update(resolved_at=timezone.now(), resolution=resolution[:200])


def item_summary_update(*, item: TriageItem, summary: str) -> None:
    """Say more on an open item (the safety screen's answers after the PHQ-9 that raised it)."""
    TriageItem.objects.filter(pk=item.pk).update(summary=summary[:200])
    item.summary = summary[:200]
