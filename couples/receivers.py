"""What allauth announces only by signal, recorded in the audit log.

allauth's MFA forms offer no adapter hook for a refused code; its `authentication_failed`
signal is the one place it says so. Nothing here changes data other than the audit log.
"""

from allauth.mfa.signals import authentication_failed
from django.dispatch import receiver

from audit.models import AuditEvent
from audit.services import audit_record


@receiver(authentication_failed)
def second_factor_refused(sender, request, user, authenticator, reauthentication, **kwargs):
    audit_record(
        actor=user,
        action=AuditEvent.Action.SECOND_FACTOR_FAILED,
        target=user,
        request=request,
        allowed=False,
        detail={"authenticator": authenticator.type, "reauthentication": reauthentication},
    )
