"""Two-factor sign-in, held per session.

Clinicians and staff open clinic pages, the admin, video rooms, feeds and notifications only
from a session that passed a second factor (allauth records each step of a sign-in in the
session; couples.middleware.MFARequiredMiddleware reads it). Having an authenticator somewhere
is not enough: a session signed in with the password alone asks for a code first.

Who may set up a first authenticator: only someone whose setup window is open
(`User.second_factor_setup_until`). Sending an invitation opens it for as long as the link is
valid; accepting the invitation signs the person in and narrows it to the next hour; setting
one up closes it. So a password alone never lets anyone enrol a second factor for somebody
else; after that, changing it needs the current one (a session that passed it), or a staff
reset, which sends a new invitation.
"""

import datetime

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import User
from couples.notifications.security import sign_in_change_notify
from couples.services.accounts import invitation_send

# allauth's notification templates that mean an authenticator was added or removed.
ADDED = {"mfa/email/totp_activated", "mfa/email/webauthn_added"}
REMOVED = {"mfa/email/totp_deactivated", "mfa/email/webauthn_removed"}
RECOVERY_CODES = {"mfa/email/recovery_codes_generated"}


def change_named(template_prefix: str) -> str:
    """ "added", "removed" or "recovery_codes" for allauth's notice about that change; ""
    for any other notice."""
    if template_prefix in ADDED:
        return "added"
    if template_prefix in REMOVED:
        return "removed"
    if template_prefix in RECOVERY_CODES:
        return "recovery_codes"
    return ""


def session_passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session (not merely this person) completed a second factor."""
    records = get_authentication_records(request, request.user)
    return any(record.get("method") == "mfa" for record in records)


def has_authenticator(user: User) -> bool:
    # The request's user comes with the answer, read afresh on each request (couples.backends).
    loaded = getattr(user, "has_totp_authenticator", None)
    if loaded is not None:
        return loaded
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def may_set_up_second_factor(user: User, *, now: datetime.datetime | None = None) -> bool:
    """Whether this person may set up a first authenticator now: the window is open and they
    have none (with one, adding or replacing needs a session that passed it)."""
    until = user.second_factor_setup_until
    return until is not None and until > (now or timezone.now()) and not has_authenticator(user)


def second_factor_window_set(*, user: User, until: datetime.datetime | None) -> None:
    user.second_factor_setup_until = until
    user.save(update_fields=["second_factor_setup_until"])


def second_factor_changed(*, request: HttpRequest | None, user: User, change: str) -> None:
    """An authenticator was added or removed, or new recovery codes were made (`change`:
    "added", "removed", "recovery_codes"). The session that made the change passed it; every
    other session of the person ends; the person is told by email, whatever their
    notification settings, and the change is audited."""
    now = timezone.now()
    # allauth passes the request's user, a lazy object: read the person afresh.
    user = User.objects.get(pk=user.pk)
    with transaction.atomic():
        if change == "added":
            if request is not None and request.user.pk == user.pk:
                # Entering a code from the new authenticator is a second factor for this session.
                authenticator = (
                    Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP)
                    .order_by("-pk")
                    .first()
                )
                record_authentication(
                    request,
                    user,
                    "mfa",
                    id=authenticator.pk if authenticator else None,
                    type=Authenticator.Type.TOTP,
                    enrolled=True,
                )
            if user.second_factor_setup_until is not None:
                second_factor_window_set(user=user, until=None)
        ended = other_sessions_end(request=request, user=user)
        sign_in_change_notify(user=user, change=change, at=now)
        audit_record(
            actor=request.user if request is not None else None,
            action=AuditEvent.Action.SECOND_FACTOR_CHANGED,
            target=user,
            request=request,
            detail={"change": change, "other_sessions_ended": ended},
        )


def other_sessions_end(*, request: HttpRequest | None, user: User) -> int:
    """End every session of the person but this request's. Returns how many."""
    current = request.session.session_key if request is not None else None
    ended = 0
    for user_session in UserSession.objects.filter(user=user).exclude(session_key=current):
        user_session.end()
        ended += 1
    return ended


@transaction.atomic
def second_factor_reset(*, user: User, by: User, request: HttpRequest | None = None) -> User:
    """Staff reset: the person's authenticators and password go, every session ends, and a
    new invitation lets them choose a password and set up an authenticator again. Audited."""
    removed = Authenticator.objects.filter(user=user).delete()[0]
    user.set_unusable_password()
    user.save(update_fields=["password"])
    ended = other_sessions_end(request=None, user=user)
    audit_record(
        actor=by,
        action=AuditEvent.Action.SECOND_FACTOR_CHANGED,
        target=user,
        request=request,
        detail={"change": "reset", "authenticators_removed": removed, "sessions_ended": ended},
    )
    sign_in_change_notify(user=user, change="reset", at=timezone.now())
    return invitation_send(user=user, invited_by=by, request=request)
