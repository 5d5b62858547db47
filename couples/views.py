from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import record_authentication
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import base36_to_int
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from couples import queries, services
from couples.forms import ConsentGrantForm, InvitationAcceptForm
from couples.models import SharingConsent, User
from couples.permissions import partner_required
from couples.roles import home_url_for, requires_mfa, roles_for_user

RECORD_ACCESS_PER_PAGE = 25


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(request.user))
    return redirect(settings.LOGIN_URL)


@partner_required
def consent(request: HttpRequest) -> HttpResponse:
    partner = queries.partner_get_for_user(user=request.user)
    overview = queries.consent_overview_for_partner(partner=partner)
    current = overview.status.consent if overview.status.is_active else None
    form = ConsentGrantForm(request.POST if request.method == "POST" else None, current=current)
    if form.is_valid():
        try:
            granted = services.consent_grant(
                partner=partner, by=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _sharing_message(granted))
            return redirect("couples:consent")
    context = {
        "partner": partner,
        "other_partner": queries.partner_other(partner=partner),
        "overview": overview,
        "purpose": SharingConsent.DEFAULT_PURPOSE,
        "form": form,
        "time_zone": queries.couple_time_zone(couple=partner.couple),
    }
    return render(request, "couples/consent_form.html", context)


@partner_required
@require_POST
def consent_revoke(request: HttpRequest) -> HttpResponse:
    partner = queries.partner_get_for_user(user=request.user)
    open_consent = queries.consent_open_for(partner=partner)
    if open_consent is None:
        messages.info(request, "You were not sharing anything, so nothing changed.")
    else:
        services.consent_revoke(consent=open_consent, by=request.user, request=request)
        name = open_consent.recipient.display_name
        messages.success(request, f"You stopped sharing with {name}. This takes effect now.")
    return redirect("couples:consent")


@partner_required
def record_access(request: HttpRequest) -> HttpResponse:
    partner = queries.partner_get_for_user(user=request.user)
    events = queries.record_access_list_for_partner(partner=partner)
    page = Paginator(events, RECORD_ACCESS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": queries.record_access_rows(events=page.object_list, partner=partner),
        "lookback_years": queries.DISCLOSURE_LOOKBACK_YEARS,
        "time_zone": queries.couple_time_zone(couple=partner.couple),
    }
    return render(request, "couples/record_access_list.html", context)


def _sharing_message(consent: SharingConsent) -> str:
    shared = " and ".join(consent.scope_labels)
    day = consent.expires_on
    until = f" until the end of {day:%B} {day.day}, {day.year}" if day else ""
    return f"You are now sharing your {shared} with {consent.recipient.display_name}{until}."


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    # Signed in, but not (yet) a partner, clinician or staff member.
    if roles_for_user(request.user):
        return redirect(home_url_for(request.user))
    return render(request, "couples/no_role.html")


def page_not_found(request: HttpRequest) -> HttpResponse:
    raise Http404


@never_cache
def invitation_accept(request: HttpRequest, uidb36: str, token: str) -> HttpResponse:
    user = _invited_user(uidb36, token)
    if user is None:
        return render(request, "couples/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_accept(
            user=user, password=form.cleaned_data["new_password1"], request=request
        )
        # Following the emailed link and choosing a password is a sign-in: no second trip
        # through the sign-in page. Clinicians and staff set up their authenticator next.
        get_account_adapter(request).login(request, user)
        # Just typed, so it counts as fresh for the pages that ask for the password again.
        record_authentication(
            request, user, "password", email=user.email, invitation=True, reauthenticated=True
        )
        if requires_mfa(user):
            messages.success(
                request,
                "Your password is set. One more step: clinic pages hold patient records, so "
                "set up two-factor sign-in with an authenticator app now.",
            )
            return redirect("mfa_activate_totp")
        messages.success(request, "Your password is set. Welcome!")
        return redirect(home_url_for(user))
    return render(request, "couples/invitation_accept.html", {"form": form, "invitee": user})


def _invited_user(uidb36: str, token: str) -> User | None:
    try:
        user = User.objects.filter(pk=base36_to_int(uidb36), is_active=True).first()
    except ValueError:
        return None
    if user is None or not services.invitation_tokens.check_token(user, token):
        return None
    return user
