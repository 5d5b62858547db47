"""Every write about measures: schedules, answers kept as the partner goes, completing (scored,
and what the score says reaches the care team's queue). Audited in the same transaction."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from couples.queries import couple_today
from measures.instruments import CSSRS, PHQ9, SAFETY_FLAG, SEVERE, instrument_get
from measures.instruments.recovery import USE_FLAG
from measures.models import MeasureResponse, MeasureSchedule
from triage import services as triage_services
from triage.models import TriageItem

# How far back and ahead a clinician may start a schedule.
SCHEDULE_START_DAYS = 90


def response_ref(pk: int) -> str:
    return f"measures.measureresponse:{pk}"


@transaction.atomic
def schedule_set(
    *,
    partner: Partner,
    instrument: str,
    cadence: str,
    starts_on: datetime.date,
    by: User,
    request: HttpRequest | None = None,
) -> MeasureSchedule | None:
    """Ask the partner to fill `instrument` from `starts_on` at `cadence` ("" or "none": stop
    asking). The current schedule, if any, ends; the new one starts. Audited."""
    today = couple_today(couple=partner.couple)
    if abs((starts_on - today).days) > SCHEDULE_START_DAYS:
        raise ValidationError({"starts_on": f"Start within {SCHEDULE_START_DAYS} days of today."})
    if cadence not in {"", "none", *MeasureSchedule.Cadence.values}:
        raise ValidationError({"cadence": "Choose how often."})
    now = timezone.now()
    current = (
        MeasureSchedule.objects.select_for_update()
        .filter(partner=partner, instrument=instrument, ended_at__isnull=True)
        .first()
    )
    if current is None and cadence in {"", "none"}:
        return None  # not asked, and still not asked: nothing changed
    if current is not None:
        if current.cadence == cadence and current.starts_on == starts_on:
            return current
        current.ended_at = now
        current.save(update_fields=["ended_at"])
    schedule = None
    if cadence not in {"", "none"}:
        schedule = MeasureSchedule(
            partner=partner,
            instrument=instrument,
            cadence=cadence,
            starts_on=starts_on,
            set_by=by,
            set_at=now,
        )
        schedule.full_clean(exclude=["partner", "set_by"], validate_constraints=False)
        schedule.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE if current else AuditEvent.Action.CREATE,
        target=schedule or current,
        patient=partner,
        request=request,
        detail={"instrument": instrument, "cadence": cadence or "none"},
    )
    return schedule


@transaction.atomic
def response_start(
    *,
    partner: Partner,
    instrument: str,
    due_on: datetime.date | None,
    by: User,
    follows: MeasureResponse | None = None,
) -> MeasureResponse:
    """The response the partner (or a clinician in session) fills now: the one already
    started for this measure if there is one (coming back continues it), else a new one."""
    started = (
        MeasureResponse.objects.select_for_update()
        .filter(partner=partner, instrument=instrument, status=MeasureResponse.Status.IN_PROGRESS)
        .first()
    )
    if started is not None and follows is not None and started.follows_id != follows.pk:
        # A screen left half-way after an earlier PHQ-9: this one follows the newer PHQ-9,
        # and starts again (the old answers are kept in the audit event, not carried over).
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=started,
            patient=partner,
            detail={"change": "restarted for a newer PHQ-9", "answers": started.answers},
        )
        started.follows, started.answers = follows, {}
        started.save(update_fields=["follows", "answers"])
    if started is not None:
        if by.pk != partner.user_id and started.entered_by_id != by.pk:
            # A clinician giving it in session completes what the partner began on the
            # portal: the response then records the clinician, and their answers win.
            started.entered_by = by
            started.save(update_fields=["entered_by"])
        return started
    response = MeasureResponse(
        couple_id=partner.couple_id,
        partner=partner,
        instrument=instrument,
        due_on=due_on,
        started_at=timezone.now(),
        entered_by=None if by.pk == partner.user_id else by,
        follows=follows,
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        # Already filled for this occurrence (a second tab), or started a moment ago.
        raise ValidationError("This measure was just started or filled; open it again.") from None
    return response


@transaction.atomic
def response_save(
    *, response: MeasureResponse, answers: dict, by: User, request: HttpRequest | None = None
) -> MeasureResponse:
    """Keep the answers given so far (the partner may stop and come back)."""
    response = MeasureResponse.objects.select_for_update().get(pk=response.pk)
    if response.status != MeasureResponse.Status.IN_PROGRESS:
        raise ValidationError("This measure is already complete; it cannot be changed.")
    instrument = instrument_get(response.instrument)
    response.answers = {**response.answers, **instrument.clean(answers)}
    response.save(update_fields=["answers"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=response,
        patient=response.partner,
        request=request,
        detail={"change": "answers saved"},
    )
    return response


def response_complete(
    *, response: MeasureResponse, answers: dict, by: User, request: HttpRequest | None = None
) -> MeasureResponse:
    """Score the response once every required item is answered; what the score says (a
    safety answer, a severe band, a meaningful worsening, any use) raises the care team's
    item in the same transaction. With an answer missing, the answers given are kept (saved,
    committed) and ValidationError names the questions still to answer."""
    with transaction.atomic():
        response, missing = _complete(response=response, answers=answers, by=by, request=request)
    if missing:
        raise ValidationError(
            f"Answer every question to finish (still to answer: {missing}). "
            "Your other answers are saved."
        )
    return response


def _complete(
    *, response: MeasureResponse, answers: dict, by: User, request: HttpRequest | None
) -> tuple[MeasureResponse, str]:
    response = (
        MeasureResponse.objects.select_for_update()
        .select_related("partner__user", "partner__couple")
        .get(pk=response.pk)
    )
    if response.status != MeasureResponse.Status.IN_PROGRESS:
        raise ValidationError("This measure is already complete; it cannot be changed.")
    instrument = instrument_get(response.instrument)
    response.answers = {**response.answers, **instrument.clean(answers)}
    missing = instrument.missing(response.answers)
    if missing:
        response.save(update_fields=["answers"])
        return response, ", ".join(str(instrument.items.index(item) + 1) for item in missing)
    if instrument.required is not None:
        # Questions its skip logic did not ask (C-SSRS 3-5 after a no to 2) are not kept.
        required = set(instrument.required_keys(response.answers))
        response.answers = {k: v for k, v in response.answers.items() if k in required}
    score = instrument.score(response.answers)
    response.status = MeasureResponse.Status.COMPLETED
    response.completed_at = timezone.now()
    response.total = score.total
    response.subscales = score.subscales
    response.band_label = score.band.label if score.band else ""
    response.band_level = score.band.level if score.band else None
    response.flags = list(score.flags)
    response.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=response,
        patient=response.partner,
        request=request,
        detail={"change": "completed", "instrument": instrument.code},
    )
    response_items_raise(response)
    return response, ""


def _baseline(response: MeasureResponse) -> MeasureResponse | None:
    return (
        MeasureResponse.objects.filter(
            partner_id=response.partner_id,
            instrument=response.instrument,
            status=MeasureResponse.Status.COMPLETED,
        )
        .exclude(pk=response.pk)
        .order_by("completed_at", "pk")
        .first()
    )


def response_items_raise(response: MeasureResponse) -> None:
    """Raise what a completed response says that the care team must act on (an item once per
    response and kind: calling again raises nothing new)."""
    partner = response.partner
    instrument = instrument_get(response.instrument)
    name = partner.display_name
    ref = response_ref(response.pk)
    triage_services.items_resolve(
        kind=TriageItem.Kind.MEASURE_OVERDUE,
        # Whichever occurrence was overdue: filled now (on the portal or in session), the
        # measure is no longer missing.
        source_prefix=f"measures.due:{partner.pk}:{instrument.code}:",
        resolution=f"{instrument.name} filled",
    )
    if response.instrument == CSSRS.code:
        _safety_screen_answered(response)
        return
    if SAFETY_FLAG in response.flags:
        triage_services.item_raise(
            partner=partner,
            kind=TriageItem.Kind.SAFETY,
            severity=TriageItem.Severity.URGENT,
            summary=f"{name} answered the {instrument.name} safety question above 0",
            source_ref=ref,
        )
    reasons = []
    if response.band_level is not None and response.band_level >= SEVERE:
        reasons.append("in the severe band")
    baseline = _baseline(response)
    if baseline is not None and instrument.change_is_worse(baseline.total, response.total):
        change = abs(response.total - baseline.total)
        way = "up" if instrument.higher_is_worse else "down"
        reasons.append(f"{way} {change} from {baseline.total} at the first one")
    if USE_FLAG in response.flags:
        reasons.append(f"use reported (Use {response.subscales.get('Use')})")
    if instrument.code == "bam" and "risk" in response.flags:
        reasons.append("the cut-off is 12")
    if instrument.code == "csi4" and response.band_level:
        reasons.append("the cut-off is 13.5")
    if reasons:
        triage_services.item_raise(
            partner=partner,
            kind=TriageItem.Kind.MEASURE,
            severity=TriageItem.Severity.ROUTINE
            if instrument.code == "csi4"
            else TriageItem.Severity.HIGH,
            summary=f"{name}'s {instrument.name} {instrument.headline.lower()} is "
            f"{response.total} ({response.band_label.lower()}): " + "; ".join(reasons),
            source_ref=ref,
        )


def _safety_screen_answered(response: MeasureResponse) -> None:
    """The C-SSRS answers reach the urgent item of the PHQ-9 they follow (or raise one of
    their own when a clinician gave the screen on its own and it shows any risk)."""
    partner = response.partner
    said = f"C-SSRS screen: {response.band_label.lower()}"
    if response.follows_id is not None:
        item = TriageItem.objects.filter(
            kind=TriageItem.Kind.SAFETY, source_ref=response_ref(response.follows_id)
        ).first()
        if item is not None:
            triage_services.item_summary_update(
                item=item, summary=f"{partner.display_name}: PHQ-9 safety question above 0; {said}"
            )
            return
    if SAFETY_FLAG in response.flags:
        triage_services.item_raise(
            partner=partner,
            kind=TriageItem.Kind.SAFETY,
            severity=TriageItem.Severity.URGENT,
            summary=f"{partner.display_name}: {said}",
            source_ref=response_ref(response.pk),
        )


def safety_follow_up_needed(response: MeasureResponse) -> bool:
    """A completed PHQ-9 whose safety question was above 0 asks for the C-SSRS screen."""
    return response.instrument == PHQ9.code and SAFETY_FLAG in (response.flags or [])
