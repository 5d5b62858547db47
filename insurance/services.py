import datetime

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import AUTHORIZATION_LENGTH, COVERAGE_LENGTH, COVERAGE_START, date_within
from couples.models import User
from insurance.models import Coverage, CoverageCard, CoverageStatusChange

# Which status may follow which. Re-verification sends a coverage back to pending.
TRANSITIONS = {
    Coverage.Status.UNVERIFIED: {
        Coverage.Status.PENDING,
        Coverage.Status.VERIFIED,
        Coverage.Status.DENIED,
    },
    Coverage.Status.PENDING: {Coverage.Status.VERIFIED, Coverage.Status.DENIED},
    Coverage.Status.VERIFIED: {Coverage.Status.PENDING, Coverage.Status.EXPIRED},
    Coverage.Status.DENIED: {Coverage.Status.PENDING},
    Coverage.Status.EXPIRED: {Coverage.Status.PENDING},
}
# A verification is trusted this long before it is checked again.
REVERIFY_AFTER = datetime.timedelta(days=90)


def coverage_dates_check(
    *,
    effective_on: datetime.date,
    terminates_on: datetime.date | None = None,
    reverify_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> None:
    """A plan's dates within sensible bounds, each refused on its own field: it starts
    within 20 years back (an old employer plan) and a year ahead (next year's open
    enrolment), and it ends, and is checked again, within 20 years of that start.

    Pass only the dates being set: a plan entered years ago keeps its start.
    """
    today = today or timezone.localdate()
    earliest, latest = COVERAGE_START.around(today)
    date_within(
        effective_on, earliest=earliest, latest=latest, field="effective_on", label="a start date"
    )
    date_within(
        terminates_on,
        earliest=effective_on,
        latest=COVERAGE_LENGTH.around(effective_on)[1],
        field="terminates_on",
        label="an end date",
    )
    _reverify_check(reverify_on, effective_on=effective_on, today=today)


def _reverify_check(
    reverify_on: datetime.date | None, *, effective_on: datetime.date, today: datetime.date
) -> None:
    # Not before today: a check already due the day it is set would only add to the queue.
    date_within(
        reverify_on,
        earliest=today,
        latest=COVERAGE_LENGTH.around(effective_on)[1],
        field="reverify_on",
        label="a date to check again",
    )


def authorization_dates_check(*, starts_on: datetime.date, ends_on: datetime.date) -> None:
    """An authorization ends on or after its first day and within two years of it (payers
    authorize IOP for weeks or months; a longer span is a typing slip)."""
    date_within(
        ends_on,
        earliest=starts_on,
        latest=AUTHORIZATION_LENGTH.around(starts_on)[1],
        field="ends_on",
        label="an end date",
    )


def _change(
    coverage: Coverage, *, to_status: str, by: User | None, note: str, request: HttpRequest | None
) -> Coverage:
    if to_status not in TRANSITIONS[coverage.status]:
        raise ValidationError(
            f"This coverage is {coverage.get_status_display().lower()}, so it cannot become "
            f"{Coverage.Status(to_status).label.lower()}."
        )
    from_status = coverage.status
    coverage.status = to_status
    coverage.full_clean()
    coverage.save()
    CoverageStatusChange.objects.create(
        coverage=coverage, from_status=from_status, to_status=to_status, by=by, note=note
    )
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=coverage,
        patient=coverage.partner,
        request=request,
        detail={"status": to_status},
    )
    return coverage


@transaction.atomic
def coverage_mark_verified(
    *,
    coverage: Coverage,
    method: str,
    reference_number: str,
    by: User,
    reverify_on: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Coverage:
    """Record a verification: how it was checked and the payer's reference number."""
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    reference_number = reference_number.strip()
    if method not in Coverage.Method.values:
        raise ValidationError({"method": "Choose how the coverage was verified."})
    if not reference_number:
        raise ValidationError({"reference_number": "Enter the payer's reference number."})
    today = timezone.localdate()
    if reverify_on is not None:
        _reverify_check(reverify_on, effective_on=coverage.effective_on, today=today)
    coverage.verification_method = method
    coverage.reference_number = reference_number
    coverage.verified_by, coverage.verified_at = by, timezone.now()
    coverage.reverify_on = reverify_on or (today + REVERIFY_AFTER)
    return _change(
        coverage,
        to_status=Coverage.Status.VERIFIED,
        by=by,
        note=f"{Coverage.Method(method).label}, reference {reference_number}",
        request=request,
    )


@transaction.atomic
def coverage_mark_denied(
    *, coverage: Coverage, reason: str, by: User, request: HttpRequest | None = None
) -> Coverage:
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the payer denied it."})
    return _change(
        coverage, to_status=Coverage.Status.DENIED, by=by, note=reason.strip(), request=request
    )


@transaction.atomic
def coverage_request_reverification(
    *, coverage: Coverage, by: User, note: str = "", request: HttpRequest | None = None
) -> Coverage:
    """Send a coverage back to pending so staff check it with the payer again."""
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    return _change(
        coverage,
        to_status=Coverage.Status.PENDING,
        by=by,
        note=note.strip() or "Re-verification requested",
        request=request,
    )


# Card images: checked by their content (the first bytes), not by the name or the
# browser's claimed type. Pillow is not a dependency, so the signatures are checked here.
CARD_MAX_BYTES = 5 * 1024 * 1024
CARD_SIGNATURES = [
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]


def _card_content_type(head: bytes) -> str | None:
    for signature, content_type in CARD_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def card_image_content_type(file: File) -> str:
    """The image's type, read from its first bytes; refuses anything else or over 5 MB."""
    if file.size > CARD_MAX_BYTES:
        raise ValidationError(f"The image is {file.size / 1024 / 1024:.1f} MB; the limit is 5 MB.")
    file.seek(0)
    content_type = _card_content_type(file.read(12))
    file.seek(0)
    if content_type is None:
        raise ValidationError("Upload a photo of the card as a JPEG, PNG or WebP image.")
    return content_type


@transaction.atomic
def coverage_card_upload(
    *,
    coverage: Coverage,
    side: str,
    file: File,
    by: User,
    request: HttpRequest | None = None,
) -> CoverageCard:
    """Store (or replace) one side of the insurance card. Only JPEG, PNG or WebP images
    up to 5 MB; a refused file leaves nothing behind."""
    if side not in CoverageCard.Side.values:
        raise ValidationError({"side": "Choose the front or the back of the card."})
    try:
        content_type = card_image_content_type(file)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    card = CoverageCard.objects.select_for_update().filter(
        coverage=coverage, side=side
    ).first() or CoverageCard(coverage=coverage, side=side)
    old_name = card.image.name if card.pk else ""
    card.content_type, card.uploaded_by = content_type, by
    card.image.save("card", file, save=False)
    try:
        card.full_clean()
        card.save()
    except Exception:
        card.image.storage.delete(card.image.name)
        raise
    if old_name:
        # Replaced, not kept: the audit log records that an earlier image existed.
        transaction.on_commit(lambda: card.image.storage.delete(old_name))
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE if old_name else AuditEvent.Action.CREATE,
        target=card,
        patient=coverage.partner,
        request=request,
        detail={"side": side, "content_type": content_type, "size": file.size},
    )
    return card


@transaction.atomic
def coverages_expire(*, today: datetime.date) -> int:
    """Verified coverage whose plan has ended becomes expired, with a history row each.

    Idempotent: a second run the same day finds nothing left to change.
    """
    ended = Coverage.objects.select_for_update().filter(
        status=Coverage.Status.VERIFIED, terminates_on__lt=today
    )
    count = 0
    for coverage in ended:
        _change(
            coverage,
            to_status=Coverage.Status.EXPIRED,
            by=None,
            note=f"The plan ended on {coverage.terminates_on:%B} {coverage.terminates_on.day}.",
            request=None,
        )
        count += 1
    return count
