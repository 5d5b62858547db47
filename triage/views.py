"""The triage queue's actions: a partner asks to be contacted; a clinician acknowledges an
item, marks that they reached the partner, or snoozes it. The queue itself is drawn on the
clinician's home (pages.views.clinic_home)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from couples.permissions import clinician_required, partner_required
from couples.queries import couple_today, partner_get_for_user
from triage import queries, services
from triage.forms import AcknowledgeForm, SnoozeForm, form_errors
from triage.models import TriageItem


@require_POST
@partner_required
def contact_request(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    today = couple_today(couple=partner.couple)
    _, raised = services.contact_request_raise(partner=partner, day=today, request=request)
    if raised:
        messages.success(
            request, "Your care team has your request. Someone will contact you today."
        )
    else:
        messages.info(request, "You already asked today: your care team has your request.")
    return redirect(f"{reverse('goals:checkin_saved')}?day={today.isoformat()}")


@require_POST
@clinician_required
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Every action on an item posts here, named by `action` (acknowledge when absent), so
    one permission check covers them all."""
    item = queries.item_get_for_user(user=request.user, pk=pk, request=request)
    act = ACTIONS.get(request.POST.get("action") or "acknowledge")
    try:
        if act is None:
            raise ValidationError("Unknown action.")
        done = act(request, item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(f"{reverse('pages:clinic_home')}#triage-heading")


def _acknowledge(request: HttpRequest, item: TriageItem) -> str:
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    services.item_acknowledge(item=item, by=request.user, request=request, **form.cleaned_data)
    return f"Acknowledged: {item.summary}."


def _mark_contacted(request: HttpRequest, item: TriageItem) -> str:
    services.item_mark_contacted(item=item, by=request.user, request=request)
    return f"Marked contacted: {item.summary}. It stays here until someone acknowledges it."


def _snooze(request: HttpRequest, item: TriageItem) -> str:
    form = SnoozeForm(request.POST)
    if not form.is_valid():
        raise ValidationError(form_errors(form))
    until = form.cleaned_data["until"]
    services.item_snooze(item=item, by=request.user, until=until, request=request)
    return f"Snoozed until {until:%a %b} {until.day}: {item.summary}."


ACTIONS = {"acknowledge": _acknowledge, "contacted": _mark_contacted, "snooze": _snooze}
