from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from audit.services import audit_record
from couples.roles import home_url_for, requires_mfa
from couples.services import second_factor

# allauth's error codes for too many failed attempts.
LOCKOUT_CODES = {"too_many_login_attempts", "rate_limited"}


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
    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # Clinicians and staff may replace their authenticator app but never go without one.
        if authenticator.type == Authenticator.Type.TOTP and requires_mfa(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
