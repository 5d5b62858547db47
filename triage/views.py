"""The triage queue's two actions: a partner asks to be contacted, a clinician acknowledges.
The queue itself is drawn on the clinician's home (pages.views.clinic_home)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from couples.permissions import clinician_required, partner_required
from couples.queries import couple_today, partner_get_for_user
from triage import queries, services


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
    item = queries.item_get_for_user(user=request.user, pk=pk, request=request)
    try:
        services.item_acknowledge(
            item=item, by=request.user, note=request.POST.get("note", ""), request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Acknowledged: {item.summary}.")
    return redirect(f"{reverse('pages:clinic_home')}#triage-heading")
