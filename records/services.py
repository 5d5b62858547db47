"""Recording a release: the accounting rows and their audit events, written together."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record_many
from couples.models import Partner, User
from notes.models import Note
from plans.models import PlanVersion
from records.models import Disclosure, RecordExport, RecordKind


@transaction.atomic
def disclosure_record(
    *,
    partners: list[Partner],
    record: Note | PlanVersion | RecordExport,
    recipient: str,
    purpose: str,
    purpose_other: str = "",
    description: str,
    by: User,
    at: datetime.datetime | None = None,
    request: HttpRequest | None = None,
) -> list[Disclosure]:
    """One accounting row per partner whose information the released record carries, and one
    audit event of action "disclose" for each (what the partner's "Who has seen my records"
    lists), in one transaction: four queries, however many partners.

    The caller has checked that `by` may read the record and that it may be released; this
    refuses what no release may lack (a recipient, a purpose, a partner)."""
    if not partners:
        raise ValidationError("A release names at least one patient.")
    at = at or timezone.now()
    kind = _kind_of(record)
    disclosures = [
        Disclosure(
            partner=partner,
            kind=kind,
            note=record if kind == RecordKind.NOTE else None,
            plan_version=record if kind == RecordKind.PLAN else None,
            export=record if kind == RecordKind.EXPORT else None,
            recipient=recipient.strip(),
            purpose=purpose,
            purpose_other=purpose_other.strip() if purpose == Disclosure.Purpose.OTHER else "",
            description=description,
            disclosed_at=at,
            disclosed_by=by,
        )
        for partner in partners
    ]
    # The rows differ only in their partner: checking one checks them all. Its constraints
    # are the database's to enforce (each would be a query here); the two a person can break
    # are said in words first.
    first = disclosures[0]
    if not first.recipient:
        raise ValidationError({"recipient": "Name the recipient."})
    if first.purpose == Disclosure.Purpose.OTHER and not first.purpose_other:
        raise ValidationError({"purpose_other": "Say what the record is for."})
    first.full_clean(
        exclude=["partner", "note", "plan_version", "export", "disclosed_by"],
        validate_constraints=False,
    )
    Disclosure.objects.bulk_create(disclosures)
    audit_record_many(
        actor=by,
        action=AuditEvent.Action.DISCLOSE,
        target=record,
        patients=partners,
        request=request,
        detail={
            # The patient's accounting shows "what": say to whom and why in it too.
            "what": f"{description}, released to {first.recipient} ({first.purpose_words})",
            "to": first.recipient,
            "purpose": first.purpose,
            "disclosures": [disclosure.pk for disclosure in disclosures],
            # The patient's own copy, taken by the patient: their accounting says so in
            # their words. A copy records staff delivered for a request reads as a release.
            **(
                {"export": record.pk}
                if kind == RecordKind.EXPORT and by.pk == partners[0].user_id
                else {}
            ),
        },
    )
    return disclosures


def _kind_of(record: Note | PlanVersion | RecordExport) -> str:
    if isinstance(record, Note):
        return RecordKind.NOTE
    if isinstance(record, PlanVersion):
        return RecordKind.PLAN
    return RecordKind.EXPORT
