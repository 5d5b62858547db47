"""The care team's measures: the couple page's Measures tab (pages/couple.py composes it), a
partner's schedule, a measure given in session, and one response's answers.

For the clinicians whose role covers the partner (couples.queries.CareCoverage: the couples
therapist both, an individual therapist, counselor or medical provider their own patient).
Every page looks the couple (or the response) up in the viewer's scope first (outsiders get
the audited 404), then checks the role (the couple's own partners get 403), then whether
the role covers the partner (the other partner's own therapist gets the audited 404).
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import access_denied_record, audit_record
from common.forms import attach_service_error
from couples.models import Couple, Partner
from couples.permissions import role_check
from couples.queries import (
    CareCoverage,
    couple_get_for_user,
    couple_time_zone,
    couple_today,
    partner_list_for_couple,
)
from couples.roles import Role
from measures import charts, queries, services
from measures.forms_clinic import ResponseEntryForm, ScheduleForm
from measures.instruments import CSI4, CSSRS, INSTRUMENTS, SCHEDULED, Instrument, instrument_get
from measures.models import MeasureResponse, MeasureSchedule
from measures.schedule import Due


@dataclass(frozen=True)
class ScheduleRow:
    instrument: Instrument
    form: ScheduleForm
    current: str


@dataclass(frozen=True)
class PartnerMeasures:
    partner: Partner
    may_see: bool
    trends: list[charts.Trend] = field(default_factory=list)
    due: list[tuple[Instrument, Due]] = field(default_factory=list)
    schedule_rows: list[ScheduleRow] = field(default_factory=list)
    schedule_url: str = ""
    enter_links: list[tuple[Instrument, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CoupleSatisfaction:
    """Both partners' latest CSI-4 side by side, and how far apart they are."""

    rows: list[tuple[Partner, MeasureResponse | None]]
    divergence: int | None
    words: str


# Pages


@login_required
@require_POST
def schedule_set(request: HttpRequest, couple_pk: int, partner_pk: int) -> HttpResponse:
    couple, partner = _covered_partner(request, couple_pk, partner_pk)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Schedule not changed. " + _errors_in_words(form))
        return _back_to_tab(couple, partner)
    instrument = instrument_get(form.cleaned_data["instrument"])
    cadence = form.cleaned_data["cadence"]
    try:
        services.schedule_set(
            partner=partner,
            instrument=instrument.code,
            cadence=cadence,
            starts_on=form.cleaned_data["starts_on"] or couple_today(couple=couple),
            by=request.user,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, f"{instrument.name} schedule not changed. " + _words(error))
    else:
        messages.success(request, _schedule_message(instrument, partner, form.cleaned_data))
    return _back_to_tab(couple, partner)


@login_required
def response_enter(
    request: HttpRequest, couple_pk: int, partner_pk: int, code: str
) -> HttpResponse:
    couple, partner = _covered_partner(request, couple_pk, partner_pk)
    instrument = INSTRUMENTS.get(code)
    if instrument is None:
        raise Http404("No such measure.")
    follows = _follows(request, partner, instrument)
    form = ResponseEntryForm(
        request.POST if request.method == "POST" else None, instrument=instrument
    )
    if form.is_valid():
        try:
            response = _enter_in_session(
                request, couple, partner, instrument, form.answers(), follows
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _entered_message(instrument, partner, response))
            return redirect("measures:clinic_response_detail", pk=response.pk)
    context = {
        "form": form,
        "items": [(item, form[item.key]) for item in instrument.items],
        "instrument": instrument,
        "couple": couple,
        "partner": partner,
        "follows": follows,
        "time_zone": couple_time_zone(couple=couple),
    }
    return render(request, "measures/clinic_response_form.html", context)


@login_required
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    response = queries.response_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    instrument = instrument_get(response.instrument)
    follow_ups = queries.follow_ups_for_response(response=response)
    is_safety_pending = services.safety_follow_up_needed(response) and not follow_ups
    enter_screen = reverse(
        "measures:clinic_response_enter",
        kwargs={
            "couple_pk": response.couple_id,
            "partner_pk": response.partner_id,
            "code": "cssrs",
        },
    )
    context = {
        "response": response,
        "instrument": instrument,
        "partner": response.partner,
        "answers": _answer_rows(instrument, response.answers),
        "badge": charts.BAND_BADGES.get(response.band_level, "text-bg-secondary"),
        "flags": [charts.FLAG_WORDS.get(flag, flag) for flag in response.flags or []],
        "entered": charts.entered_words(response, name=response.partner.display_name),
        "follow_ups": follow_ups,
        "safety_screen_url": f"{enter_screen}?follows={response.pk}" if is_safety_pending else "",
        "time_zone": couple_time_zone(couple=response.partner.couple),
    }
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=response,
        patient=response.partner,
        request=request,
    )
    return render(request, "measures/clinic_response_detail.html", context)


# The couple page's Measures tab (pages/couple.py composes it)


def couple_measures_context(
    *, request: HttpRequest, couple: Couple, partners: list[Partner], coverage: CareCoverage
) -> dict:
    """Each partner's trends, what is due and their schedule, for the Measures tab.

    The couple is already scope- and role-checked by the caller, which audits the read of the
    partners the viewer's role covers; the others read "Not shared with you" and are not read
    at all. Four queries, however many responses there are.
    """
    today, zone = couple_today(couple=couple), couple_time_zone(couple=couple)
    shown = [partner.pk for partner in partners if coverage.covers(partner.pk)]
    completed = queries.completed_with_enterers_for_partners(partner_ids=shown)
    schedules = queries.schedules_current_for_partners(partner_ids=shown)
    due = queries.due_for_partners(partner_ids=shown, today=today)
    sections = []
    for partner in partners:
        if partner.pk not in shown:
            sections.append(PartnerMeasures(partner=partner, may_see=False))
            continue
        responses = completed.get(partner.pk, [])
        current = {s.instrument: s for s in schedules if s.partner_id == partner.pk}
        sections.append(
            PartnerMeasures(
                partner=partner,
                may_see=True,
                trends=charts.trends_for(name=partner.display_name, responses=responses, zone=zone),
                due=[(instrument_get(d.instrument), d) for d in due.get(partner.pk, [])],
                schedule_rows=_schedule_rows(partner, current, today, zone),
                schedule_url=_url("measures:clinic_schedule_set", couple, partner),
                enter_links=[
                    (i, _url("measures:clinic_response_enter", couple, partner, code=i.code))
                    for i in charts.TREND_ORDER
                ],
            )
        )
    return {
        "measure_sections": sections,
        # Comparing the two partners' views of the relationship reads both records: only
        # for a viewer whose role covers both.
        "satisfaction": _side_by_side(partners, completed)
        if coverage.both and len(partners) == 2
        else None,
    }


def _schedule_rows(partner, current: dict[str, MeasureSchedule], today, zone) -> list:
    rows = []
    for instrument in SCHEDULED:
        schedule = current.get(instrument.code)
        form = ScheduleForm(
            initial={
                "instrument": instrument.code,
                **ScheduleForm.initial_for(schedule, today=today),
            },
            auto_id=f"schedule-{partner.pk}-{instrument.code}-%s",
        )
        rows.append(
            ScheduleRow(instrument=instrument, form=form, current=_schedule_words(schedule, zone))
        )
    return rows


def _side_by_side(partners: list[Partner], completed: dict) -> CoupleSatisfaction:
    rows = []
    for partner in partners:
        mine = [r for r in completed.get(partner.pk, []) if r.instrument == CSI4.code]
        rows.append((partner, mine[-1] if mine else None))
    latest = [response for _, response in rows if response is not None]
    if len(latest) < 2:
        words = "Both partners’ CSI-4 appear here side by side once each has filled one."
        return CoupleSatisfaction(rows=rows, divergence=None, words=words)
    divergence = abs(latest[0].total - latest[1].total)
    names = " and ".join(partner.display_name for partner in partners)
    apart = "the same" if divergence == 0 else f"{divergence} point{'s' * (divergence != 1)} apart"
    words = f"{names} see the relationship {apart} (latest CSI-4 totals, 0 to 21)."
    return CoupleSatisfaction(rows=rows, divergence=divergence, words=words)


# Helpers


def _covered_partner(
    request: HttpRequest, couple_pk: int, partner_pk: int
) -> tuple[Couple, Partner]:
    """The couple in the viewer's scope and one of its partners whose measures the viewer's
    role covers; anyone else gets the audited 404."""
    couple = couple_get_for_user(user=request.user, pk=couple_pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    partner = partner_list_for_couple(couple=couple).filter(pk=partner_pk).first()
    if partner is None or not queries.may_read(user=request.user, partner=partner):
        access_denied_record(
            user=request.user, request=request, target_type="couples.Partner", target_id=partner_pk
        )
        raise Http404
    return couple, partner


def _follows(request: HttpRequest, partner: Partner, instrument: Instrument):
    """The PHQ-9 a safety screen given now follows (?follows=), if it is this partner's and
    asked for one; a response the viewer may not read is the audited 404."""
    raw = request.GET.get("follows", "")
    if instrument.code != CSSRS.code or not raw.isdigit() or len(raw) > 12:
        return None
    response = queries.response_get_for_user(user=request.user, pk=int(raw), request=request)
    if response.partner_id != partner.pk or not services.safety_follow_up_needed(response):
        return None
    return response


@transaction.atomic
def _enter_in_session(request, couple, partner, instrument, answers, follows) -> MeasureResponse:
    """Start and complete in one go: a refusal leaves nothing started behind. A measure
    given while one is due answers that occurrence, so its overdue item ends with it."""
    due = queries.due_for_partner(partner=partner, today=couple_today(couple=couple))
    response = services.response_start(
        partner=partner,
        instrument=instrument.code,
        due_on=next((d.due_on for d in due if d.instrument == instrument.code), None),
        by=request.user,
        follows=follows,
    )
    return services.response_complete(
        response=response, answers=answers, by=request.user, request=request
    )


def _answer_rows(instrument: Instrument, answers: dict) -> list[tuple]:
    """(number, item, the answer's label or why there is none) for every item."""
    required = set(instrument.required_keys(answers))
    rows = []
    for number, item in enumerate(instrument.items, start=1):
        if item.key in answers:
            value = answers[item.key]
            said = f"{dict(item.choices).get(value, value)} ({value})"
        elif instrument.required is not None and item.key not in required:
            said = "Not asked (its skip logic)"
        else:
            said = "Not answered"
        rows.append((number, item, said))
    return rows


def _schedule_words(schedule: MeasureSchedule | None, zone) -> str:
    if schedule is None:
        return "Not asked."
    set_on = timezone.localtime(schedule.set_at, zone).date()
    return (
        f"{schedule.get_cadence_display()} from {schedule.starts_on:%b} {schedule.starts_on.day}, "
        f"set by {charts.person_name(schedule.set_by)} on {set_on:%b} {set_on.day}."
    )


def _schedule_message(instrument: Instrument, partner: Partner, data: dict) -> str:
    if data["cadence"] == "none":
        return f"{partner.display_name} is no longer asked to fill the {instrument.name}."
    cadence = MeasureSchedule.Cadence(data["cadence"]).label.lower()
    starts = data["starts_on"]
    name = partner.display_name
    return f"{name} is asked to fill the {instrument.name} {cadence} from {starts:%b} {starts.day}."


def _entered_message(instrument: Instrument, partner: Partner, response: MeasureResponse) -> str:
    band = f" ({response.band_label.lower()})" if response.band_label else ""
    return f"{partner.display_name}’s {instrument.name} is saved: {response.total}{band}."


def _errors_in_words(form) -> str:
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _words(error: ValidationError) -> str:
    return " ".join(error.messages)


def _back_to_tab(couple: Couple, partner: Partner) -> HttpResponse:
    tab = reverse("pages:couple_measures", kwargs={"pk": couple.pk})
    return redirect(f"{tab}#schedule-{partner.pk}")


def _url(name: str, couple: Couple, partner: Partner, **kwargs) -> str:
    return reverse(name, kwargs={"couple_pk": couple.pk, "partner_pk": partner.pk, **kwargs})
