from types import SimpleNamespace
from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from audit.services import audit_record
from common.sites import site_host
from couples.roles import home_url_for, requires_mfa
from couples.services import second_factor

# allauth's error codes for too many failed attempts.
LOCKOUT_CODES = {"too_many_login_attempts", "rate_limited"}
CODES_MADE_MESSAGE = "mfa/messages/recovery_codes_generated.txt"


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Nobody signs up: staff invite partners and clinicians.
        return False

    def get_login_redirect_url(self, request) -> str:
        return home_url_for(request.user)

    def pre_authenticate(self, request, **credentials) -> None:
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            audit_record(
                actor=None,
                action=AuditEvent.Action.LOGIN_LOCKED,
                request=request,
                allowed=False,
                detail={"email": credentials.get("email", "")},
            )
            raise

    def authentication_failed(self, request, **credentials) -> None:
        audit_record(
            actor=None,
            action=AuditEvent.Action.LOGIN_FAILED,
            request=request,
            allowed=False,
            detail={"email": credentials.get("email", "")},
        )

    def login(self, request, user) -> None:
        super().login(request, user)
        audit_record(actor=user, action=AuditEvent.Action.LOGIN, target=user, request=request)

    # Every link in an email starts with SITE_URL, never with the host the request came to
    # (a development server on another port, a proxy's inner name, a forged Host header).

    def get_reset_password_from_key_url(self, key: str) -> str:
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.SITE_URL + path.replace("UID-KEY", quote(key))

    def get_email_confirmation_url(self, request, emailconfirmation) -> str:
        return settings.SITE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth names the site after the request's host: ours is the discreet name and
        # SITE_URL (templates/account/email/base_message.txt).
        site = SimpleNamespace(
            name=settings.CLINIC_DISCREET_NAME, domain=site_host(settings.SITE_URL)
        )
        context = {
            "current_site": site,
            "clinic_name": settings.CLINIC_DISCREET_NAME,
            "site_url": settings.SITE_URL,
            "login_url": settings.SITE_URL + reverse("account_login"),
            **context,
        }
        if "signup_url" in context:  # built from the request; nobody signs up here anyway
            context["signup_url"] = context["login_url"]
        super().send_mail(template_prefix, email, context)

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        # Turning on the authenticator makes the first recovery codes too, and the page it
        # leads to shows them: one message ("Two-factor sign-in is on") is enough.
        if message_template == CODES_MADE_MESSAGE and request.path == reverse("mfa_activate_totp"):
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def send_notification_mail(self, template_prefix, user, context=None, email=None) -> None:
        # allauth calls this after each change to a person's authenticators: ours ends their
        # other sessions, emails them through the outbox (whatever their settings) and audits.
        change = second_factor.change_named(template_prefix)
        if change:
            request = self.request or allauth_context.request
            second_factor.second_factor_changed(request=request, user=user, change=change)
            return
        super().send_notification_mail(template_prefix, user, context=context, email=email)

    def validation_error(self, code, *args, **kwargs):
        # allauth's way of refusing a second-factor code after too many tries: the lockout
        # is audited here, with the address it came from (the person is not signed in yet).
        request = self.request or allauth_context.request
        if (
            code in LOCKOUT_CODES
            and request is not None
            and request.path.startswith("/accounts/2fa/")
        ):
            audit_record(
                actor=request.user if request.user.is_authenticated else None,
                action=AuditEvent.Action.SECOND_FACTOR_FAILED,
                request=request,
                allowed=False,
                detail={"locked": True, "path": request.path[:200]},
            )
        return super().validation_error(code, *args, **kwargs)

    def logout(self, request) -> None:
        user = request.user
        if user.is_authenticated:
            audit_record(actor=user, action=AuditEvent.Action.LOGOUT, target=user, request=request)
        super().logout(request)


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Clinic pages hold patient records, so two-factor sign-in stays on. For a new phone, "
            "ask clinic staff to reset your two-factor sign-in."
        ),
        "cannot_generate_recovery_codes": (
            "Turn on two-factor sign-in first: recovery codes come with it."
        ),
        "incorrect_code": "That code did not work. Enter the code your app shows now.",
        "unverified_email": (
            "Confirm your email address first (we sent you a link), then set up two-factor sign-in."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Clinicians and staff may replace their authenticator app but never go without one.
        if authenticator.type == Authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
