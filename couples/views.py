from allauth.account import signals as account_signals
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.internal.flows.login import record_authentication
from allauth.account.views import LoginView as AllauthLoginView
from allauth.account.views import PasswordResetView as AllauthPasswordResetView
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base.views import IndexView as MFAIndexView
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.views import ViewRecoveryCodesView
from allauth.usersessions.views import ListUserSessionsView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import base36_to_int, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from couples import queries, services, views_welcome
from couples.devices import device_name
from couples.forms import ConsentGrantForm, InvitationAcceptForm
from couples.models import SharingConsent, User
from couples.permissions import partner_required
from couples.roles import home_url_for, requires_mfa, roles_for_user

RECORD_ACCESS_PER_PAGE = 25
# Set when a clinician or staff member accepts their invitation; their first run ends, after
# the authenticator and the recovery codes, at first_run_done.
FIRST_RUN_KEY = "couples_first_run"


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
    day = consent.expires_on
    until = f" until the end of {day:%B} {day.day}, {day.year}" if day else ""
    name = consent.recipient.display_name
    return f"You are now sharing your {consent.scope_words} with {name}{until}."


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
    user = _invitee(uidb36)
    if user is None or not services.invitation_tokens.check_token(user, token):
        return _invitation_invalid(request, user)
    # A partner whose welcome is open starts it here: this page is its step 1 of 3.
    welcome_partner = views_welcome.welcome_partner_for(user)
    form = InvitationAcceptForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_accept(
            user=user, password=form.cleaned_data["new_password1"], request=request
        )
        # Following the emailed link and choosing a password is a sign-in: no second trip
        # through the sign-in page. Clinicians and staff set up their authenticator next.
        _sign_in(request, user)
        if requires_mfa(user):
            request.session[FIRST_RUN_KEY] = True
            messages.success(
                request,
                "Your password is set. One more step: clinic pages hold patient records, so "
                "set up two-factor sign-in with an authenticator app now.",
            )
            return redirect("mfa_activate_totp")
        messages.success(request, "Your password is set and you are signed in.")
        if welcome_partner is not None:
            return redirect("couples:welcome")
        return redirect(home_url_for(user))
    context = {"form": form, "invitee": user, "is_welcome": welcome_partner is not None}
    if welcome_partner is not None:
        context.update(views_welcome.step_context(welcome_partner, step=1))
    return render(request, "couples/invitation_accept.html", context)


def _sign_in(request: HttpRequest, user: User) -> None:
    """Sign in as allauth's own sign-in does, so its receivers hear of it too (the list of
    signed-in devices, and every session a deactivation or a reset ends)."""
    get_account_adapter(request).login(request, user)
    # Just typed, so it counts as fresh for the pages that ask for the password again.
    record_authentication(
        request, user, "password", email=user.email, invitation=True, reauthenticated=True
    )
    account_signals.user_logged_in.send(sender=User, request=request, response=None, user=user)


def _invitee(uidb36: str) -> User | None:
    try:
        return User.objects.filter(pk=base36_to_int(uidb36), is_active=True).first()
    except ValueError:
        return None


def _invitation_invalid(request: HttpRequest, user: User | None) -> HttpResponse:
    """A spent, expired or made-up link. The sign-in starts with the person's email only when
    the link proves it was made for them (see services.invitation_email_check)."""
    email = (
        services.invitation_email_for(user=user, check=request.GET.get("check", "")) if user else ""
    )
    query = f"?{urlencode({'email': email})}" if email else ""
    context = {
        "email": email,
        "is_used": bool(email) and user.has_usable_password(),
        "login_url": reverse("account_login") + query,
        "reset_url": reverse("account_reset_password") + query,
    }
    return render(request, "couples/invitation_invalid.html", context, status=404)


# allauth's pages, with what the app adds to them


def email_from_link(value: str) -> str:
    """An email address passed in a link (?email=), or "" for anything that is not one."""
    value = value.strip()
    try:
        validate_email(value)
    except ValidationError:
        return ""
    return value if len(value) <= 254 else ""


class EmailFromLinkMixin:
    """Start the form with the email a link carried (?email=): the invitation's pages send
    people here knowing who they are, so they type only their password."""

    email_field = "email"

    def get_initial(self) -> dict:
        initial = super().get_initial()
        email = email_from_link(self.request.GET.get("email", ""))
        if email:
            initial[self.email_field] = email
        return initial


class LoginView(EmailFromLinkMixin, AllauthLoginView):
    email_field = "login"


class PasswordResetView(EmailFromLinkMixin, AllauthPasswordResetView):
    pass


class SecurityView(MFAIndexView):
    """The menu's "Security" page: whether this person may turn two-factor sign-in off
    (clinicians and staff may not, couples.adapters.MFAAdapter)."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        totp = context["authenticators"].get(Authenticator.Type.TOTP)
        context["can_turn_off"] = bool(totp) and get_mfa_adapter().can_delete_authenticator(
            totp.instance
        )
        return context


class RecoveryCodesView(ViewRecoveryCodesView):
    """The recovery codes, and on a first run the way on to the person's home."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["is_first_run"] = bool(self.request.session.get(FIRST_RUN_KEY))
        return context


class SignedInDevicesView(ListUserSessionsView):
    """allauth's list of sessions, each named by its browser ("Chrome on Android")."""

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["devices"] = [
            {"session": session, "name": device_name(session.user_agent)}
            for session in context["sessions"]
        ]
        return context


@login_required
@require_POST
def first_run_done(request: HttpRequest) -> HttpResponse:
    """A clinician's or staff member's first run ends here, on their home."""
    if request.session.pop(FIRST_RUN_KEY, False):
        name = f", {request.user.first_name}" if request.user.first_name else ""
        messages.success(
            request,
            f"You're all set{name}. Two-factor sign-in is on: each time you sign in, "
            "enter the code your authenticator app shows.",
        )
    return redirect(home_url_for(request.user))
