"""The partner's measures on the portal: what to fill, filling (answers kept as they go), the
page after finishing (with the safety screen when a PHQ-9 asks for it), and their own results.

Everything here is the signed-in partner's own, except the list's section of the other
partner's scores, shown while that partner's consent in force shares them (each showing a
disclosure in their accounting). Clinicians read measures on the clinic pages.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import access_denied_record
from common.dates import medium_date
from common.forms import attach_service_error
from couples import services as couple_services
from couples.models import Partner
from couples.permissions import partner_required
from couples.queries import (
    care_team_for_partner,
    consent_active_for,
    couple_time_zone,
    couple_today,
    partner_get_for_user,
    partner_other,
)
from measures import charts, queries, services
from measures.forms import MeasureForm, answers_from
from measures.instruments import CSSRS, INSTRUMENTS, Instrument, instrument_get
from measures.models import MeasureResponse
from measures.schedule import Due

STARTED = MeasureResponse.Status.IN_PROGRESS
COMPLETED = MeasureResponse.Status.COMPLETED
# What a partner may fill on the portal, in the order the pages list them.
SELF_REPORT = [instrument for instrument in INSTRUMENTS.values() if instrument.self_report]


@dataclass(frozen=True)
class ToFill:
    """One measure to fill now, as the list and the home show it."""

    instrument: Instrument
    url: str
    due_on: datetime.date | None = None
    is_overdue: bool = False
    is_started: bool = False
    # Required questions answered so far, when the started response was read (else None).
    answered: int | None = None
    total: int = 0


@dataclass(frozen=True)
class Result:
    """One measure the partner has completed: the latest, the change since the first, a trend."""

    instrument: Instrument
    latest: MeasureResponse
    score_name: str
    change: str
    direction: str
    chart: str
    label: str
    rows: list[MeasureResponse]


@dataclass(frozen=True)
class SharedScores:
    """The other partner's scores, shared with this partner by their consent."""

    name: str
    results: list[Result]


# How the results speak of whose they are: the partner's own, or the other partner's.
@dataclass(frozen=True)
class Voice:
    whose: str  # "Your", "Alex's"
    first: str  # "your first", "their first"
    first_one: str


OWN = Voice("Your", "your first", "Your first one: the next ones will show how things change.")
DISCLOSED_MEASURES = "questionnaire scores"


# Pages


@require_GET
@partner_required
def measure_list(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user)
    other = partner_other(partner=partner)
    sharing = queries.shared_by_consent(user=request.user, partner=other) if other else None
    zone = couple_time_zone(couple=partner.couple)
    due = queries.due_for_partner(partner=partner, today=timezone.localdate(timezone=zone))
    started = list(partner.measure_responses.filter(status=STARTED).order_by("started_at"))
    readers = [partner.pk, other.pk] if sharing else [partner.pk]
    completed = queries.completed_for_partners(partner_ids=readers)
    to_fill = _to_fill(due, started=started)
    listed = {row.instrument.code for row in to_fill}
    context = {
        "to_fill": to_fill,
        "any_time": [i for i in SELF_REPORT if i.code not in listed],
        "results": _results(completed.get(partner.pk, []), zone=zone),
        "shared": _shared_scores(request, other, sharing, completed.get(other.pk, []), zone)
        if sharing
        else None,
        "time_zone": zone,
    }
    return render(request, "measures/portal_list.html", context)


@require_http_methods(["GET", "POST"])
@partner_required
def measure_fill(request: HttpRequest, code: str) -> HttpResponse:
    instrument = _self_report_or_404(code)
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    # Opening the page writes nothing: the response starts with the first answers saved.
    started = partner.measure_responses.filter(instrument=code, status=STARTED).first()
    kept = started.answers if started else {}
    if request.method == "POST":
        given = answers_from(request.POST, instrument=instrument)
        finish = "finish" in request.POST
        try:
            return _fill_post(request, partner=partner, code=code, given=given, finish=finish)
        except ValidationError as error:
            answers = {**kept, **given}
            missing = instrument.missing(answers) if finish else []
            form = MeasureForm(instrument=instrument, answers=answers, missing=missing)
            attach_service_error(form, error)
    else:
        form = MeasureForm(instrument=instrument, answers=kept)
    return _fill_page(request, form=form, started=started)


@require_GET
@partner_required
def measure_done(request: HttpRequest, pk: int) -> HttpResponse:
    response = _own_completed(request, pk)
    if not instrument_get(response.instrument).self_report:
        # The safety screen is answered on the page of the PHQ-9 it follows.
        if response.follows_id is None:
            raise Http404("No such measure.")
        return redirect("measures:portal_done", pk=response.follows_id)
    return _done_page(request, response=response)


@require_POST
@partner_required
def measure_safety(request: HttpRequest, pk: int) -> HttpResponse:
    """The C-SSRS screen after a PHQ-9 whose safety question was above 0."""
    response = _own_completed(request, pk)
    if not services.safety_follow_up_needed(response) or _screen_of(response):
        return redirect("measures:portal_done", pk=response.pk)
    given = answers_from(request.POST, instrument=CSSRS)
    screen = None
    try:
        screen = services.response_start(
            partner=response.partner,
            instrument=CSSRS.code,
            due_on=None,
            by=request.user,
            follows=response,
        )
        services.response_complete(response=screen, answers=given, by=request.user, request=request)
    except ValidationError as error:
        answers = {**(screen.answers if screen else {}), **given}
        form = MeasureForm(instrument=CSSRS, answers=answers, missing=CSSRS.missing(answers))
        attach_service_error(form, error)
        return _done_page(request, response=response, screen_form=form)
    return redirect("measures:portal_done", pk=response.pk)


def home_context(*, request: HttpRequest, partner: Partner) -> dict:
    """The portal home's "Measures to fill": what is due now, with a link to start or go on.
    One query without a schedule, two with."""
    due = queries.due_for_partner(partner=partner, today=couple_today(couple=partner.couple))
    return {"measures_due": _to_fill(due, started=[])}


# Helpers


def _shared_scores(request, other: Partner, sharing, completed: list, zone) -> SharedScores:
    """The other partner's scores under their consent: the read is a disclosure, recorded
    before the page is served (no record, no page)."""
    couple_services.disclosure_record(
        viewer=request.user, owner=other, consent=sharing, what=DISCLOSED_MEASURES, request=request
    )
    name = other.display_name
    voice = Voice(f"{name}'s", "their first", f"{name}'s first one so far.")
    return SharedScores(name=name, results=_results(completed, zone=zone, voice=voice))


def _self_report_or_404(code: str) -> Instrument:
    instrument = INSTRUMENTS.get(code)
    if instrument is None or not instrument.self_report:
        raise Http404("No such measure.")
    return instrument


def _own_completed(request: HttpRequest, pk: int) -> MeasureResponse:
    """The partner's own completed response; anyone else's is an audited 404. Reading rights
    are not enough (a clinician who is also a patient here reads others' on the clinic
    pages): this page is the owner's alone."""
    response = queries.response_get_for_user(user=request.user, pk=pk, request=request)
    if response.partner.user_id != request.user.pk:
        access_denied_record(
            user=request.user, request=request, target_type="measures.MeasureResponse", target_id=pk
        )
        raise Http404("No such measure.")
    if response.status != COMPLETED:
        raise Http404("This measure is not finished yet.")
    return response


def _fill_post(
    request: HttpRequest, *, partner: Partner, code: str, given: dict[str, int], finish: bool
) -> HttpResponse:
    """Start the response (or go on with the one started), then keep the answers or finish:
    the scheduled occurrence it answers, if any, is the one due now."""
    response = services.response_start(
        partner=partner, instrument=code, due_on=_due_on(partner, code=code), by=request.user
    )
    if finish:
        response = services.response_complete(
            response=response, answers=given, by=request.user, request=request
        )
        return redirect("measures:portal_done", pk=response.pk)
    services.response_save(response=response, answers=given, by=request.user, request=request)
    messages.success(request, f"Saved — you can finish your {instrument_get(code).name} later.")
    return redirect("measures:portal_list")


def _due_on(partner: Partner, *, code: str) -> datetime.date | None:
    """The scheduled occurrence this filling answers, or None when it is filled unasked."""
    today = couple_today(couple=partner.couple)
    due = queries.due_for_partner(partner=partner, today=today)
    return next((row.due_on for row in due if row.instrument == code), None)


def _screen_of(response: MeasureResponse) -> MeasureResponse | None:
    return response.follow_ups.filter(instrument=CSSRS.code, status=COMPLETED).first()


def _fill_page(
    request: HttpRequest, *, form: MeasureForm, started: MeasureResponse | None
) -> HttpResponse:
    context = {
        "form": form,
        "instrument": form.instrument,
        "is_started": started is not None,
        "has_skips": any(question.shown_if for question in form.questions),
    }
    return render(request, "measures/portal_fill.html", context)


def _done_page(
    request: HttpRequest, *, response: MeasureResponse, screen_form: MeasureForm | None = None
) -> HttpResponse:
    instrument = instrument_get(response.instrument)
    needs_screen = services.safety_follow_up_needed(response)
    screen = _screen_of(response) if needs_screen and screen_form is None else None
    if needs_screen and screen is None and screen_form is None:
        # A screen begun for this PHQ-9 and left half-way: its answers are kept.
        begun = response.follow_ups.filter(status=STARTED).first()
        screen_form = MeasureForm(instrument=CSSRS, answers=begun.answers if begun else {})
    on_call = settings.CLINIC_ON_CALL_PHONE
    context = {
        "response": response,
        "instrument": instrument,
        "needs_screen": needs_screen,
        "screen": screen,
        "screen_form": screen_form,
        "score_name": _score_name(instrument),
        "direction": _better(instrument),
        "care_team": list(care_team_for_partner(partner=response.partner)),
        "shared_with": _scores_shared_with(response.partner),
        "on_call_phone": on_call,
        "on_call_tel": "".join(c for c in on_call if c.isdigit() or c == "+"),
    }
    return render(request, "measures/portal_done.html", context)


def _scores_shared_with(partner: Partner) -> str:
    """The other partner's name while this partner's consent shares their scores, else ""."""
    consent = consent_active_for(partner=partner)
    return consent.recipient.display_name if consent and consent.shares_measures else ""


def _to_fill(due: list[Due], *, started: list[MeasureResponse]) -> list[ToFill]:
    """What is due (oldest first), then what was started without being asked. A C-SSRS
    screen left half-way goes back to the page of the PHQ-9 it follows. Without `started`
    (the home) a started one says so, without counting its answers."""
    by_pk = {response.pk: response for response in started}
    rows = [
        _row(
            instrument_get(item.instrument),
            response=by_pk.pop(item.started_pk, None),
            is_started=item.started_pk is not None,
            due_on=item.due_on,
            is_overdue=item.overdue,
        )
        for item in due
    ]
    due_codes = {item.instrument for item in due}
    for response in by_pk.values():
        instrument = instrument_get(response.instrument)
        if instrument.self_report and response.instrument not in due_codes:
            rows.append(_row(instrument, response=response, is_started=True))
        elif not instrument.self_report and response.follows_id:
            url = reverse("measures:portal_done", args=[response.follows_id])
            rows.append(ToFill(instrument=instrument, url=url, is_started=True))
    return rows


def _row(
    instrument: Instrument, *, response: MeasureResponse | None, is_started: bool, **due
) -> ToFill:
    answered, total = None, len(instrument.required_keys({}))
    if response is not None:
        required = instrument.required_keys(response.answers)
        answered = sum(1 for key in required if response.answers.get(key) is not None)
        total = len(required)
    return ToFill(
        instrument=instrument,
        url=_fill_url(instrument),
        is_started=is_started,
        answered=answered,
        total=total,
        **due,
    )


def _fill_url(instrument: Instrument) -> str:
    return reverse("measures:portal_fill", args=[instrument.code])


def _results(
    completed: list[MeasureResponse], *, zone: datetime.tzinfo, voice: Voice = OWN
) -> list[Result]:
    """Each self-report measure the partner has completed, in the registry's order. The
    C-SSRS screen is not shown back to them (nor to the other partner): it is a question for
    the care team."""
    results = []
    for instrument in SELF_REPORT:
        rows = [row for row in completed if row.instrument == instrument.code]
        if not rows:
            continue
        days = [timezone.localdate(row.completed_at, zone) for row in rows]
        first, latest = (rows[0], days[0]), (rows[-1], days[-1])
        points = [
            charts.Point(day=day, value=row.total) for row, day in zip(rows, days, strict=True)
        ]
        label = _trend_label(instrument, first=first, latest=latest, count=len(rows), voice=voice)
        results.append(
            Result(
                instrument=instrument,
                latest=rows[-1],
                score_name=_score_name(instrument),
                change=_change_words(first=first, latest=latest, count=len(rows), voice=voice),
                direction=_better(instrument),
                chart=charts.trend_chart(instrument=instrument, points=points, label=label),
                label=label,
                rows=rows[::-1],
            )
        )
    return results


def _change_words(*, first: tuple, latest: tuple, count: int, voice: Voice = OWN) -> str:
    """The latest against the first, in plain words, without a verdict. Each is a
    (response, day) pair."""
    if count < 2:
        return voice.first_one
    (first_row, first_day), (latest_row, _) = first, latest
    since = f"{voice.first} ({first_row.total} on {medium_date(first_day)})"
    delta = latest_row.total - first_row.total
    if delta == 0:
        return f"The same as {since}."
    points = "point" if abs(delta) == 1 else "points"
    return f"{abs(delta)} {points} {'higher' if delta > 0 else 'lower'} than {since}."


def _trend_label(
    instrument: Instrument, *, first: tuple, latest: tuple, count: int, voice: Voice = OWN
) -> str:
    """What the chart shows, in one sentence (its accessible name)."""
    (first_row, first_day), (latest_row, latest_day) = first, latest
    scale = f"on a scale of 0 to {instrument.max_total}"
    latest_on = medium_date(latest_day)
    if count < 2:
        return f"{voice.whose} {instrument.name}: {latest_row.total} on {latest_on}, {scale}."
    return (
        f"{voice.whose} {instrument.name}, {count} times from {medium_date(first_day)} "
        f"to {latest_on}: first {first_row.total}, latest {latest_row.total}, {scale}."
    )


def _score_name(instrument: Instrument) -> str:
    """What the headline number is called on the page: the BAM's is its "Risk score"."""
    return "Score" if instrument.headline == "Total" else f"{instrument.headline} score"


def _better(instrument: Instrument) -> str:
    return "Lower" if instrument.higher_is_worse else "Higher"
