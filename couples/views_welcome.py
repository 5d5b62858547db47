"""A partner's welcome: three steps from the invitation email to their first check-in.

1. The invitation page itself (couples.views.invitation_accept): what the portal is for, and
   the password. 2. `/portal/welcome/`, "How we reach you": the reminders (the preferences
   page's form and service) and the name the app calls them by, on one page saved by one
   POST. 3. Their first check-in (goals:checkin), introduced by a message. Each step works
   without JavaScript. Finishing step 2 or skipping it is recorded (`Partner.welcomed_at`):
   it is shown once, and it sends anyone else home.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from common.forms import attach_service_error
from common.moments import zone_label
from couples import notifications, queries, services
from couples.forms import NotificationPreferenceForm, WelcomeNameForm
from couples.models import NotificationPreference, Partner, User
from couples.roles import Role, home_url_for, requires_mfa, roles_for_user

STEPS = 3
# The reminders a partner chooses in the welcome: the rest keep their defaults.
WELCOME_PREFERENCE_FIELDS = (
    "email_enabled",
    "in_app_enabled",
    "checkin_prompts",
    "checkin_prompt_time",
    "quiet_hours_start",
    "quiet_hours_end",
)


def welcome_partner_for(user: User) -> Partner | None:
    """The person's partner profile while their welcome is still open; None for clinicians
    and staff (their first run is the authenticator) and for a partner already welcomed."""
    if requires_mfa(user) or Role.PARTNER not in roles_for_user(user):
        return None
    partner = queries.partner_get_for_user(user=user, with_couple_partners=False)
    return partner if partner.welcomed_at is None else None


def step_context(partner: Partner, *, step: int) -> dict:
    """What the welcome's templates (couples/_welcome.html) need on every step."""
    return {"partner": partner, "step": step, "steps": STEPS}


def welcome_step(view):
    """Partners whose welcome is still open get the step; everyone else goes home."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if Role.PARTNER not in roles_for_user(request.user):
            return redirect(home_url_for(request.user))
        partner = queries.partner_get_for_user(user=request.user, with_couple_partners=False)
        if partner.welcomed_at is not None:
            return redirect(home_url_for(request.user))
        return view(request, partner, *args, **kwargs)

    return wrapper


@require_http_methods(["GET", "POST"])
@welcome_step
def welcome(request: HttpRequest, partner: Partner) -> HttpResponse:
    """Step 2 of 3: the reminders and the name, then on to the first check-in."""
    data = request.POST if request.method == "POST" else None
    preference = queries.notification_preference_for_user(user=request.user)
    reminders = _reminders_form(data, preference)
    name = WelcomeNameForm(
        data,
        initial={"preferred_name": partner.preferred_name},
        first_name=partner.user.first_name,
    )
    if data is not None and _save(request, partner, reminders=reminders, name=name):
        messages.success(
            request,
            f"Saved, {partner.display_name}. Step 3 of 3: your first check-in. "
            "It takes about a minute.",
        )
        return redirect("goals:checkin")
    zone = notifications.zone_for(request.user, preference, couple_zone=partner.couple.time_zone)
    context = {
        **step_context(partner, step=2),
        "form": reminders,
        "name_form": name,
        "zone": zone_label(str(zone)),
        "discreet_name": settings.CLINIC_DISCREET_NAME,
    }
    return render(request, "couples/welcome.html", context)


@require_POST
@welcome_step
def welcome_skip(request: HttpRequest, partner: Partner) -> HttpResponse:
    services.partner_welcome_end(partner=partner, request=request)
    messages.info(
        request,
        "Welcome! Reminders keep their usual settings: change them any time under "
        "Notifications, then Notification settings.",
    )
    return redirect(home_url_for(request.user))


def _reminders_form(data, preference: NotificationPreference) -> NotificationPreferenceForm:
    form = NotificationPreferenceForm(
        data,
        initial={name: getattr(preference, name) for name in WELCOME_PREFERENCE_FIELDS},
        fields=WELCOME_PREFERENCE_FIELDS,
        default_zone_label="",
        session_reminders_default=True,
    )
    form.fields["checkin_prompts"].label = "Remind me to check in each day"
    return form


def _save(
    request: HttpRequest,
    partner: Partner,
    *,
    reminders: NotificationPreferenceForm,
    name: WelcomeNameForm,
) -> bool:
    """Save both parts or neither: both forms are checked first (each shows its own errors),
    then both services run in one transaction, and a refusal from either undoes the other."""
    if not all([reminders.is_valid(), name.is_valid()]):  # a list: both are checked
        return False
    with transaction.atomic():
        try:
            services.notification_preference_update(
                user=request.user, changes=reminders.changes(), request=request
            )
        except ValidationError as error:
            attach_service_error(reminders, error)
            return False
        try:
            services.partner_welcome_end(
                partner=partner, preferred_name=name.cleaned_data["preferred_name"], request=request
            )
        except ValidationError as error:
            attach_service_error(name, error)
            transaction.set_rollback(True)
            return False
    return True
