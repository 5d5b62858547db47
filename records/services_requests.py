"""Records requests worked by records staff in the admin: logged, produced, delivered or
withdrawn, each step audited in its own transaction.

A request comes from the patient (HIPAA's right of access: a copy to the patient within 30
days, 45 CFR 164.524) or with the patient's Part 2 written consent naming someone else
(42 CFR 2.31). The copy is made by the same path as "Download my record"
(records.services_export), which leaves its disclosure to this module: the partner's
accounting records the copy when it is delivered, to the request's recipient and purpose.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import date_within, years_after
from couples.models import Partner, User
from records import services_export
from records.models import (
    DELIVERY_NOTE_MAX_LENGTH,
    REQUEST_DAYS,
    Purpose,
    RecordExport,
    RecordsRequest,
)
from records.services import disclosure_record

Source = RecordsRequest.Source
Status = RecordsRequest.Status

# What each form of the copy is called in the partner's accounting (no health detail).
FORM_WORDS = {
    RecordsRequest.Form.FHIR: "a copy of the record (FHIR R4 bundle)",
    RecordsRequest.Form.SUMMARY: "a copy of the record (printable summary)",
    RecordsRequest.Form.BOTH: "a copy of the record (FHIR R4 bundle and printable summary)",
}
# A delivery recorded for an earlier day is placed at noon of that day, clinic time: the
# accounting keeps the day the copy left, which is what it owes the patient.
EARLIER_DAY_AT = datetime.time(12)


def clinic_today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def records_request_log(
    *,
    partner: Partner,
    source: str,
    received_on: datetime.date,
    form: str,
    by: User,
    recipient: str = "",
    consent_reference: str = "",
    purpose: str = "",
    purpose_other: str = "",
    request: HttpRequest | None = None,
) -> RecordsRequest:
    """A new open request, its 30 days counted from the day it arrived."""
    recipient, consent_reference = recipient.strip(), consent_reference.strip()
    purpose_other = purpose_other.strip()
    today = clinic_today()
    # Every refusal at once, each on its field, so one round of corrections is enough.
    errors = {}
    for check in (
        lambda: date_within(
            received_on,
            earliest=years_after(today, -1),
            latest=today,
            field="received_on",
            label="the day the request arrived (not after today, at most a year ago)",
        ),
        lambda: _check_source(source, recipient, consent_reference, purpose, purpose_other),
    ):
        try:
            check()
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    if source == Source.PATIENT:
        recipient = services_export.own_copy_recipient(partner)
        purpose, purpose_other = Purpose.PATIENT, ""
    if purpose != Purpose.OTHER:
        purpose_other = ""
    records_request = RecordsRequest(
        partner=partner,
        source=source,
        recipient=recipient,
        consent_reference=consent_reference,
        purpose=purpose,
        purpose_other=purpose_other,
        received_on=received_on,
        due_on=received_on + datetime.timedelta(days=REQUEST_DAYS),
        form=form,
        status=Status.OPEN,
        logged_by=by,
        logged_at=timezone.now(),
    )
    records_request.full_clean(exclude=["partner", "logged_by", "export", "delivered_by"])
    records_request.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=records_request,
        patient=partner,
        request=request,
        detail={"step": "logged", "source": source, "due_on": str(records_request.due_on)},
    )
    return records_request


def _check_source(
    source: str, recipient: str, consent_reference: str, purpose: str, purpose_other: str
) -> None:
    if source == Source.PATIENT:
        _check_patient_request(recipient, consent_reference, purpose)
    elif source == Source.CONSENT:
        _check_consent_request(recipient, consent_reference, purpose, purpose_other)
    else:
        raise ValidationError({"source": "Say who asked: the patient, or a consent."})


def _check_patient_request(recipient: str, consent_reference: str, purpose: str) -> None:
    errors = {}
    if recipient:
        errors["recipient"] = (
            "A patient's own request goes to the patient: leave the recipient empty, or log "
            "the Part 2 consent that names someone else."
        )
    if consent_reference:
        errors["consent_reference"] = "Only a request under a consent has a consent on file."
    if purpose and purpose != Purpose.PATIENT:
        errors["purpose"] = "A patient's own request is for the patient: leave the purpose empty."
    if errors:
        raise ValidationError(errors)


def _check_consent_request(
    recipient: str, consent_reference: str, purpose: str, purpose_other: str
) -> None:
    errors = {}
    if not recipient:
        errors["recipient"] = "Name the recipient, as the signed consent names them."
    if not consent_reference:
        errors["consent_reference"] = "Say where the signed consent is filed."
    if purpose not in RecordsRequest.CONSENT_PURPOSES:
        errors["purpose"] = "Choose what the consent releases the record for."
    elif purpose == Purpose.OTHER and not purpose_other:
        errors["purpose_other"] = "Say what the record is for, as the consent says it."
    if errors:
        raise ValidationError(errors)


def records_request_produce(
    *, records_request: RecordsRequest, by: User, request: HttpRequest | None = None
) -> RecordsRequest:
    """Have the copy made (records.services_export, built by its Celery task once this
    commits). Again after a copy failed or expired; refused while one is being made or
    ready, and once the request is delivered or withdrawn."""
    with transaction.atomic():
        locked = _locked(records_request)
        _check_waiting(locked)
        if locked.export_id is not None:
            export = RecordExport.objects.defer("bundle", "summary").get(pk=locked.export_id)
            if export.is_in_progress:
                raise ValidationError("The copy is being prepared: wait for it.")
            if export.status == RecordExport.Status.READY and export.expires_at > timezone.now():
                raise ValidationError("The copy is ready: download it, then record its delivery.")
        export = services_export.export_request(
            partner=locked.partner, by=by, request=request, reuse_in_progress=False
        )
        locked.export, locked.status = export, Status.PRODUCED
        locked.save(update_fields=["export", "status"])
        _audit_step(locked, step="produced", by=by, request=request, export=export.pk)
    return locked


@transaction.atomic
def records_request_deliver(
    *,
    records_request: RecordsRequest,
    delivered_on: datetime.date,
    method: str,
    note: str = "",
    by: User,
    request: HttpRequest | None = None,
) -> RecordsRequest:
    """Record that the copy left the clinic: the request delivered, one row in the
    partner's accounting of disclosures (to the request's recipient, for its purpose) with
    its "disclose" audit event, and the step's own audit event, all in one transaction."""
    locked = _locked(records_request)
    if locked.status != Status.PRODUCED:
        _check_waiting(locked)
        raise ValidationError("Produce the copy first.")
    export = RecordExport.objects.defer("bundle", "summary").get(pk=locked.export_id)
    if export.ready_at is None:
        if export.status == RecordExport.Status.FAILED:
            raise ValidationError("The copy could not be prepared: produce it again.")
        raise ValidationError("The copy is not ready yet.")
    note = note.strip()
    errors = {}
    if method not in RecordsRequest.DeliveryMethod.values:
        errors["delivery_method"] = "Choose how the copy was delivered."
    if len(note) > DELIVERY_NOTE_MAX_LENGTH:
        errors["delivery_note"] = f"Keep the note to {DELIVERY_NOTE_MAX_LENGTH} characters."
    if errors:
        raise ValidationError(errors)
    today = clinic_today()
    date_within(
        delivered_on,
        earliest=max(locked.received_on, timezone.localdate(export.ready_at)),
        latest=today,
        field="delivered_on",
        label="the day it was delivered (from the day the copy was ready, not after today)",
    )
    locked.status = Status.DELIVERED
    locked.delivered_on, locked.delivery_method = delivered_on, method
    locked.delivery_note, locked.delivered_by = note, by
    locked.save(
        update_fields=[
            "status",
            "delivered_on",
            "delivery_method",
            "delivery_note",
            "delivered_by",
        ]
    )
    disclosure_record(
        partners=[locked.partner],
        record=export,
        recipient=locked.recipient,
        purpose=locked.purpose,
        purpose_other=locked.purpose_other,
        description=f"{FORM_WORDS[locked.form].capitalize()}, for a records request, "
        f"by {locked.get_delivery_method_display().lower()}",
        by=by,
        at=_disclosed_at(delivered_on, today),
        request=request,
    )
    _audit_step(
        locked,
        step="delivered",
        by=by,
        request=request,
        method=method,
        delivered_on=str(delivered_on),
    )
    return locked


@transaction.atomic
def records_request_withdraw(
    *, records_request: RecordsRequest, by: User, request: HttpRequest | None = None
) -> RecordsRequest:
    """The requester took it back (or the consent was revoked) before anything left."""
    locked = _locked(records_request)
    _check_waiting(locked)
    locked.status = Status.WITHDRAWN
    locked.save(update_fields=["status"])
    _audit_step(locked, step="withdrawn", by=by, request=request)
    return locked


def _locked(records_request: RecordsRequest) -> RecordsRequest:
    # Two staff pressing the same button: the second waits, then sees the first's result.
    return (
        RecordsRequest.objects.select_for_update(of=("self",))
        .select_related("partner__user")
        .get(pk=records_request.pk)
    )


def _check_waiting(records_request: RecordsRequest) -> None:
    if records_request.status == Status.DELIVERED:
        raise ValidationError("This request was delivered already.")
    if records_request.status == Status.WITHDRAWN:
        raise ValidationError("This request was withdrawn.")


def _disclosed_at(delivered_on: datetime.date, today: datetime.date) -> datetime.datetime:
    if delivered_on == today:
        return timezone.now()
    return datetime.datetime.combine(
        delivered_on, EARLIER_DAY_AT, tzinfo=timezone.get_current_timezone()
    )


def _audit_step(records_request: RecordsRequest, *, step: str, by: User, request, **detail) -> None:
    """A later step of a request (produced, delivered, withdrawn), audited on its patient."""
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=records_request,
        patient=records_request.partner,
        request=request,
        detail={"step": step, **detail},
    )
