from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from audit.services import audit_record
from couples.roles import home_url_for, requires_mfa


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
