"""Raising triage items from what partners tell the app, and the care team's actions on them:
acknowledge (with the safety follow-up for a safety item), mark contacted, snooze."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from triage import notifications
from triage.models import DETAIL_MAX_LENGTH, NOTE_MAX_LENGTH, SNOOZE_MAX_DAYS, TriageItem

Risk = TriageItem.Risk


@transaction.atomic
def item_raise(
    *,
    partner: Partner,
    kind: str,
    severity: int,
    summary: str,
    source_ref: str,
    at: datetime.datetime | None = None,
    detail: str = "",
) -> tuple[TriageItem, bool]:
    """The item for this event, raised once: the same event (kind and source) never raises a
    second one, even after the first was acknowledged. Returns (item, raised now).

    A new urgent item queues its alerts in this transaction (triage/notifications.py): the
    covering clinicians at once, the on-call contact if nobody acknowledges it in time."""
    item, raised = TriageItem.objects.get_or_create(
        kind=kind,
        source_ref=source_ref,
        defaults={
            "couple_id": partner.couple_id,
            "partner": partner,
            "severity": severity,
            "summary": summary[:200],
            "raised_at": at or timezone.now(),
            "detail": detail[:DETAIL_MAX_LENGTH],
        },
    )
    if raised and item.severity == TriageItem.Severity.URGENT:
        notifications.urgent_alerts_queue(item=item)
    return item, raised


def reported_use_raise(*, checkin) -> TriageItem:
    """A check-in that reports a use: a high item for the partner's care team, with what the
    partner wrote. A corrected check-in brings its new note to the item while it is open."""
    partner = checkin.partner
    item, raised = item_raise(
        partner=partner,
        kind=TriageItem.Kind.REPORTED_USE,
        severity=TriageItem.Severity.HIGH,
        summary=f"{partner.display_name} reported a use on {checkin.day:%a %b} {checkin.day.day}",
        source_ref=f"goals.checkin:{checkin.pk}",
        detail=checkin.note,
    )
    if not raised and item.detail != checkin.note and item.acknowledged_at is None:
        item.detail = checkin.note[:DETAIL_MAX_LENGTH]
        item.save(update_fields=["detail"])
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


def _follow_up_clean(
    item: TriageItem, *, contacted: bool | None, risk: str, plan_reviewed: bool | None
) -> dict:
    """The safety follow-up as fields to store, or ValidationError saying what is missing.
    Not a safety item: nothing (what was given is ignored)."""
    if not item.needs_follow_up:
        return {}
    errors = {}
    if contacted is None:
        errors["contacted"] = "Say whether you reached the partner."
    elif contacted:
        if risk not in Risk.values:
            errors["risk"] = "Choose the risk level after your contact."
        if plan_reviewed is None:
            errors["plan_reviewed"] = "Say whether you reviewed the safety plan together."
    elif risk or plan_reviewed:
        errors["contacted"] = (
            "Without reaching the partner there is no risk level after contact and no safety "
            "plan review: leave those empty, and say in the note what you did instead."
        )
    if errors:
        raise ValidationError(errors)
    return {
        "follow_up_contacted": contacted,
        "follow_up_risk": risk if contacted else "",
        "follow_up_plan_reviewed": bool(plan_reviewed) if contacted else False,
    }


@transaction.atomic
def item_acknowledge(
    *,
    item: TriageItem,
    by: User,
    note: str,
    contacted: bool | None = None,
    risk: str = "",
    plan_reviewed: bool | None = None,
    request: HttpRequest | None = None,
) -> TriageItem:
    """Someone on the care team has it in hand: the item leaves everyone's queue, with who,
    when and their note kept on it, and its alerts not sent yet are withdrawn. A safety item
    also takes its follow-up (database constraint): whether they reached the partner and, if
    so, the risk after contact and whether they reviewed the safety plan. Audited."""
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say in a few words what you did or will do."})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": f"Keep the note to {NOTE_MAX_LENGTH} characters."})
    follow_up = _follow_up_clean(item, contacted=contacted, risk=risk, plan_reviewed=plan_reviewed)
    updated = TriageItem.objects.filter(
        pk=item.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(
        acknowledged_at=timezone.now(), acknowledged_by=by, acknowledgement_note=note, **follow_up
    )
    if not updated:
        raise ValidationError(
            "Someone on the care team has already acknowledged this item, or its cause ended."
        )
    item.refresh_from_db()
    notifications.urgent_alerts_withdraw(item=item, reason="Acknowledged already")
    detail = {"change": "acknowledged"}
    if follow_up:
        detail.update(
            contacted=item.follow_up_contacted,
            risk=item.follow_up_risk,
            safety_plan_reviewed=item.follow_up_plan_reviewed,
        )
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=item,
        patient=item.partner,
        request=request,
        detail=detail,
    )
    return item


@transaction.atomic
def item_mark_contacted(
    *, item: TriageItem, by: User, request: HttpRequest | None = None
) -> TriageItem:
    """Someone on the care team reached the partner. The item stays open until acknowledged
    (the acknowledgement documents what came of it), but the team sees who reached them and
    when, and the on-call escalation is withdrawn. Audited."""
    updated = TriageItem.objects.filter(
        pk=item.pk,
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
        contacted_at__isnull=True,
    ).update(contacted_at=timezone.now(), contacted_by=by)
    if not updated:
        raise ValidationError(
            "Someone on the care team has already marked this item contacted, acknowledged "
            "it, or its cause ended."
        )
    item.refresh_from_db()
    notifications.urgent_alerts_withdraw(
        item=item, reason="Someone on the care team reached the partner"
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=item,
        patient=item.partner,
        request=request,
        detail={"change": "contacted"},
    )
    return item


@transaction.atomic
def item_snooze(
    *,
    item: TriageItem,
    by: User,
    until: datetime.date,
    request: HttpRequest | None = None,
) -> TriageItem:
    """Out of the queue until `until` (the clinic's day), back on that day: from tomorrow to
    SNOOZE_MAX_DAYS ahead, never for an urgent item. Audited."""
    if item.severity == TriageItem.Severity.URGENT:
        raise ValidationError("An urgent item cannot be snoozed: acknowledge it when handled.")
    today = timezone.localdate()
    if not today < until <= today + datetime.timedelta(days=SNOOZE_MAX_DAYS):
        raise ValidationError(
            {"until": f"Snooze until a day from tomorrow to {SNOOZE_MAX_DAYS} days ahead."}
        )
    updated = TriageItem.objects.filter(
        pk=item.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(snoozed_until=until, snoozed_by=by)
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
        detail={"change": "snoozed", "until": until.isoformat()},
    )
    return item


def items_resolve(*, kind: str, source_prefix: str, resolution: str) -> int:
    """The cause of these open items ended (an overdue measure was filled): the open items
    of `kind` whose source starts with `source_prefix` leave the queue by themselves, with
    why. Acknowledged items are left as they were."""
    return TriageItem.objects.filter(
        kind=kind,
        source_ref__startswith=source_prefix,
        acknowledged_at__isnull=True,
        resolved_at__isnull=True,
    ).update(resolved_at=timezone.now(), resolution=resolution[:200])


def item_summary_update(*, item: TriageItem, summary: str) -> None:
    """Say more on an open item (the safety screen's answers after the PHQ-9 that raised it)."""
    TriageItem.objects.filter(pk=item.pk).update(summary=summary[:200])
    item.summary = summary[:200]
