"""A partner's copy of their own record: asked for on the portal, built by a Celery task, kept
for a day (HIPAA's right of access, 45 CFR 164.524).

What the copy carries is records.fhir.collect's to decide (their own data, the couple's shared
data, the other partner's individual items only where that partner's consent shares them);
this module turns it into two files, the FHIR R4 bundle as JSON and a printable summary (PDF,
or a page to print where the server cannot make PDFs), and records the copy in the partner's
accounting of disclosures, as a release to the patient themselves.
"""

import dataclasses
import datetime
import logging
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.zones import zone_named
from couples.models import Partner, User
from records import pdf
from records.documents import Handover, document_html
from records.fhir.bundle import bundle_json
from records.fhir.collect import PartnerRecord, record_for_partner
from records.fhir.mapping_visits import note_text
from records.models import (
    EXPORT_LIFETIME_HOURS,
    Disclosure,
    RecordExport,
    RecordKind,
    RecordsRequest,
)
from records.queries import Release
from records.services import disclosure_record

logger = logging.getLogger(__name__)

# A copy still queued or working this long after it was asked for has lost its worker (a
# crash, a deploy): it is marked failed so that asking again makes a new one.
STALE_AFTER = datetime.timedelta(hours=1)
DESCRIPTION = "A copy of my record (FHIR R4 bundle and printable summary)"
# The only error a partner reads: what went wrong inside stays in the server's log.
FAILED_ERROR = "The copy could not be prepared ({kind}). Ask again, or ask the clinic."
IN_PROGRESS_ERROR = "A copy of this patient's record is being prepared already: try again shortly."


def export_request(
    *,
    partner: Partner,
    by: User,
    request: HttpRequest | None = None,
    reuse_in_progress: bool = True,
) -> RecordExport:
    """A new export, queued, or the one already in progress (two taps make one: the
    partial unique constraint decides between two requests arriving together). The build
    task is sent once the row is committed. Records staff producing a copy for a request
    (records.services_requests) pass `reuse_in_progress=False`: a copy someone else is
    having made is not theirs to take, so one in progress is refused."""
    with transaction.atomic():
        _fail_stale(partner=partner)
        current = _in_progress(partner)
        if current is not None:
            if not reuse_in_progress:
                raise ValidationError(IN_PROGRESS_ERROR)
            return current
        export = RecordExport(
            partner=partner,
            requested_by=by,
            status=RecordExport.Status.QUEUED,
            requested_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                export.save()
        except IntegrityError:
            if not reuse_in_progress:
                raise ValidationError(IN_PROGRESS_ERROR) from None
            return _in_progress(partner)
        audit_record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            target=export,
            patient=partner,
            request=request,
        )
        transaction.on_commit(lambda: _enqueue(export.pk))
    return export


def _in_progress(partner: Partner) -> RecordExport | None:
    return RecordExport.objects.filter(partner=partner, status__in=RecordExport.IN_PROGRESS).first()


def _enqueue(export_id: int) -> None:
    from records.tasks import export_build_task  # tasks import this module

    export_build_task.delay(export_id)


def _fail_stale(*, partner: Partner | None = None) -> int:
    stale = RecordExport.objects.filter(
        status__in=RecordExport.IN_PROGRESS, requested_at__lt=timezone.now() - STALE_AFTER
    )
    if partner is not None:
        stale = stale.filter(partner=partner)
    return stale.update(
        status=RecordExport.Status.FAILED, progress=0, error=FAILED_ERROR.format(kind="timed out")
    )


def export_build(*, export_id: int) -> RecordExport | None:
    """Build the copy; None when there was nothing to do (missing, or claimed already).

    1. Claim it: queued → working, continuing only if this call changed the row.
    2. Read the record (records.fhir.collect: a fixed number of queries).
    3. The FHIR bundle as JSON, then the summary (PDF, or a page to print without Pango),
       saving the progress between the steps for the portal's progress bar.
    4. In one transaction: ready with both files, the disclosure row and its audit event.
    A failure marks it failed with a short error that names no health detail."""
    claimed = RecordExport.objects.filter(pk=export_id, status=RecordExport.Status.QUEUED).update(
        status=RecordExport.Status.WORKING, started_at=timezone.now(), progress=5
    )
    if claimed != 1:
        return None
    export = RecordExport.objects.select_related("partner__user", "requested_by").get(pk=export_id)
    try:
        records_request = _records_request_of(export)
        record = record_for_partner(partner=export.partner)
        if records_request is not None and records_request.source != records_request.Source.PATIENT:
            record = without_other_partners_items(record)
        _progress(export, 30)
        bundle = bundle_json(record)
        _progress(export, 60)
        summary, summary_format = _summary(
            record=record, export=export, records_request=records_request
        )
        _progress(export, 90)
        _finish(export=export, bundle=bundle, summary=summary, summary_format=summary_format)
    except Exception as error:
        logger.exception("Record export %s failed", export_id)
        export.error = FAILED_ERROR.format(kind=type(error).__name__)[:200]
        RecordExport.objects.filter(pk=export_id, status=RecordExport.Status.WORKING).update(
            status=RecordExport.Status.FAILED, progress=0, error=export.error
        )
        export.status = RecordExport.Status.FAILED
    return export


def _progress(export: RecordExport, percent: int) -> None:
    export.progress = percent
    RecordExport.objects.filter(pk=export.pk, status=RecordExport.Status.WORKING).update(
        progress=percent
    )


@transaction.atomic
def _finish(*, export: RecordExport, bundle: str, summary: bytes, summary_format: str) -> None:
    now = timezone.now()
    export.status = RecordExport.Status.READY
    export.progress = 100
    export.ready_at = now
    export.expires_at = now + datetime.timedelta(hours=EXPORT_LIFETIME_HOURS)
    export.bundle, export.bundle_size = bundle, len(bundle.encode())
    export.summary, export.summary_size = summary, len(summary)
    export.summary_format = summary_format
    export.save(
        update_fields=[
            "status",
            "progress",
            "ready_at",
            "expires_at",
            "bundle",
            "bundle_size",
            "summary",
            "summary_size",
            "summary_format",
        ]
    )
    if not is_own_copy(export):
        # Made by records staff for a records request: its disclosure, to the request's
        # recipient, is recorded when the copy is delivered (records.services_requests).
        return
    disclosure_record(
        partners=[export.partner],
        record=export,
        recipient=own_copy_recipient(export.partner),
        purpose=Disclosure.Purpose.PATIENT,
        description=DESCRIPTION,
        by=export.requested_by,
        at=now,
    )


def is_own_copy(export: RecordExport) -> bool:
    """Asked for by the partner on the portal (not by records staff for a request)."""
    return export.requested_by_id == export.partner.user_id


def own_copy_recipient(partner: Partner) -> str:
    return f"{partner.user.get_full_name() or partner.display_name} (patient's own copy)"


def export_expire() -> int:
    """Clear the files of every copy past its expiry (and fail those whose worker was lost):
    the number cleared. Idempotent: an expired copy holds nothing left to clear."""
    _fail_stale()
    return RecordExport.objects.filter(
        status=RecordExport.Status.READY, expires_at__lte=timezone.now()
    ).update(status=RecordExport.Status.EXPIRED, bundle="", summary=None)


# The printable summary


def _summary(
    *, record: PartnerRecord, export: RecordExport, records_request: RecordsRequest | None
) -> tuple[bytes, str]:
    release = summary_release(record=record, export=export)
    handover = _handover(record=record, export=export, records_request=records_request)
    if pdf.pdf_available():
        html = document_html(release=release, handover=handover)
        return pdf.render_pdf(html), RecordExport.SummaryFormat.PDF
    html = document_html(release=release, handover=handover, for_pdf=False)
    return html.encode(), RecordExport.SummaryFormat.HTML


def _records_request_of(export: RecordExport) -> RecordsRequest | None:
    """The records request a copy was made for (one query), None for the partner's own."""
    if is_own_copy(export):
        return None
    return RecordsRequest.objects.get(export=export)


def without_other_partners_items(record: PartnerRecord) -> PartnerRecord:
    """The record for a recipient outside the couple, under this partner's Part 2 consent:
    the other partner's own goals, check-ins, progress and consents leave out, since that
    partner's sharing with this one is no consent to pass them on."""
    if record.other is None:
        return record
    other_id = record.other.pk
    goals = [goal for goal in record.goals if goal.partner_id != other_id]
    return dataclasses.replace(
        record,
        other_goals_shared=False,
        other_checkins_shared=False,
        goals=goals,
        progress=[entry for entry in record.progress if entry.partner_id != other_id],
        checkins=[checkin for checkin in record.checkins if checkin.partner_id != other_id],
        consents=[consent for consent in record.consents if consent.partner_id != other_id],
        other_measures_shared=False,
        other_measures=[],
    )


def _handover(
    *, record: PartnerRecord, export: RecordExport, records_request: RecordsRequest | None
) -> Handover:
    if records_request is None:
        return Handover(
            recipient=own_copy_recipient(record.partner),
            purpose=Disclosure.Purpose.PATIENT.label,
            at=record.generated_at,
            by="the patient portal, at the patient's request",
        )
    # A copy for a records request names the request's recipient and purpose.
    return Handover(
        recipient=records_request.recipient,
        purpose=records_request.purpose_words,
        at=record.generated_at,
        by="the clinic's records staff, for a records request",
    )


def summary_release(*, record: PartnerRecord, export: RecordExport) -> Release:
    """The summary as a document (records.documents): its parts come from the record as read,
    with no further query."""
    zone = zone_named(record.couple.time_zone)
    day = timezone.localtime(record.generated_at, zone).date()
    return Release(
        kind=RecordKind.EXPORT,
        record=export,
        title="Copy of my record",
        partners=[record.partner],
        time_zone=zone,
        filename=export_filename(export, "pdf"),
        template="records/summary.html",
        parts=summary_parts(record=record, day=day),
    )


def export_filename(export: RecordExport, extension: str) -> str:
    """`record-2026-12-07.json`: no name, no health detail."""
    moment = export.ready_at or export.requested_at
    return f"record-{moment:%Y-%m-%d}.{extension}"


def summary_parts(*, record: PartnerRecord, day: datetime.date) -> dict:
    partner, other = record.partner, record.other
    goals = [_goal_row(goal, record) for goal in record.goals]
    places = {place.session_id: place for place in record.attendance}
    return {
        "partner": partner,
        "other": other,
        "other_goals_shared": record.other_goals_shared,
        "other_checkins_shared": record.other_checkins_shared,
        "goals": goals,
        "checkins": record.checkins,
        "checkins_show_whose": record.other_checkins_shared,
        "measures": _measure_series(record.measures),
        # The other partner's scores, where their consent shares them (never their answers).
        "other_measures": _measure_series(
            record.other_measures if record.other_measures_shared else []
        ),
        "other_measures_shared": record.other_measures_shared,
        "sessions": [(session, places.get(session.pk)) for session in record.sessions],
        "coverages": record.coverages,
        "consents": [(consent, consent.is_active_on(day)) for consent in record.consents],
        "care_team": record.care_team,
        "notes": [(note, note_text(note)) for note in record.notes],
        "generated_at": record.generated_at,
    }


def _goal_row(goal, record: PartnerRecord) -> dict:
    if goal.partner_id is None:
        whose = "Shared (couple)"
    elif goal.partner_id == record.partner.pk:
        whose = "Mine"
    else:
        whose = f"{record.other.display_name}'s (shared with me)"
    entries = [entry for entry in record.progress if entry.goal_id == goal.pk]
    return {
        "goal": goal,
        "whose": whose,
        "entries": len(entries),
        "last_day": entries[-1].day if entries else None,
    }


def _measure_series(responses: list) -> list[dict]:
    """Per instrument: its scores oldest first and the change from the first to the latest."""
    series = defaultdict(list)
    for response in responses:
        series[response.instrument].append(response)
    rows = []
    for responses in series.values():
        first, latest = responses[0], responses[-1]
        change = (latest.total or 0) - (first.total or 0)
        if len(responses) == 1:
            trend = "One score so far"
        elif change == 0:
            trend = f"No change since the first ({first.total})"
        else:
            direction = "Up" if change > 0 else "Down"
            trend = f"{direction} {abs(change)} since the first ({first.total} → {latest.total})"
        rows.append(
            {"name": latest.get_instrument_display(), "responses": responses, "trend": trend}
        )
    return rows
