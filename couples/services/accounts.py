"""Accounts: invitations, first passwords, a partner's welcome, deactivation, and inviting a
clinician."""

import datetime
import logging

from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import int_to_base36, urlencode
from kombu.exceptions import OperationalError as BrokerError

from audit.models import AuditEvent
from audit.services import audit_record

# tasks imports the services package too: it is named here and read when a task is enqueued.
from couples import tasks
from couples.emails import email_make
from couples.models import CareRole, Clinician, Partner, User

logger = logging.getLogger(__name__)


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """One-time invitation links.

    The token hashes the password and last login, so it stops working as soon as
    the invited person sets a password. Its own salt keeps password-reset tokens
    from being accepted as invitations and the other way round.
    """

    key_salt = "couples.services.InvitationTokenGenerator"


invitation_tokens = InvitationTokenGenerator()
INVITATION_EMAIL_SALT = "couples.services.invitation_email_check"


def invitation_url(*, user: User) -> str:
    path = reverse(
        "invitation_accept",
        kwargs={"uidb36": int_to_base36(user.pk), "token": invitation_tokens.make_token(user)},
    )
    return f"{settings.SITE_URL}{path}?{urlencode({'check': invitation_email_check(user=user)})}"


def invitation_email_check(*, user: User) -> str:
    """A proof, carried by every invitation link, that the link was made for this address.

    The token stops working once used or expired, and then nothing in it can be checked: this
    proof outlives it, so the page for a spent link can start the sign-in with the person's
    email filled in, while a made-up link learns nobody's address."""
    digest = salted_hmac(
        INVITATION_EMAIL_SALT, f"{user.pk}:{user.email.lower()}", algorithm="sha256"
    )
    return digest.hexdigest()[:20]


def invitation_email_for(*, user: User, check: str) -> str:
    """The person's email when `check` proves the link was made for them, else ""."""
    if check and constant_time_compare(check, invitation_email_check(user=user)):
        return user.email
    return ""


# Once an invitation is accepted, the window to set up an authenticator narrows to this
# (couples.services.second_factor: who may set up a first second factor).
SETUP_AFTER_INVITATION_ACCEPTED = datetime.timedelta(hours=1)


def invitation_send(*, user: User, invited_by: User | None, request: HttpRequest | None = None):
    """Email a one-time link to set a password. Sent after the transaction commits.

    Until the link expires, its holder may also set up a first authenticator app."""
    if user.has_usable_password():
        raise ValidationError(f"{user.email} has already set a password.")
    user.invited_at = timezone.now()
    user.second_factor_setup_until = user.invited_at + datetime.timedelta(
        seconds=settings.PASSWORD_RESET_TIMEOUT
    )
    user.save(update_fields=["invited_at", "second_factor_setup_until"])
    audit_record(actor=invited_by, action=AuditEvent.Action.INVITE, target=user, request=request)
    transaction.on_commit(lambda: _invitation_email_queue(user=user))
    return user


def _invitation_email_queue(*, user: User) -> None:
    """Hand the invitation email to a worker; while the broker is down, send it from here.

    Publishing gives up within seconds (CELERY_TASK_PUBLISH_RETRY_POLICY), and kombu raises
    its OperationalError for every broker connection error, Redis's included. This runs after
    the commit, with the account saved: a failure is logged, never turned into an error page.
    """
    try:
        tasks.invitation_email_send_task.delay(user_id=user.pk)
        return
    except BrokerError as error:
        logger.warning(
            "Broker unavailable (%s): sending the invitation to user %s from this process.",
            error,
            user.pk,
        )
    try:
        invitation_email_send(user=user)
    except Exception:
        logger.exception(
            "The invitation to user %s was not sent: staff can send it again with the "
            "action 'Send the invitation email again' on the admin's list of users.",
            user.pk,
        )


def invitation_email_send(*, user: User) -> None:
    if user.has_usable_password() or not user.is_active:
        return  # Accepted or deactivated since it was queued: a stale link helps nobody.
    email_make(
        name="invitation",
        to=user.email,
        context={
            "first_name": user.first_name,
            "accept_url": invitation_url(user=user),
            "valid_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        },
    ).send()


@transaction.atomic
def user_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    invited_by: User | None,
    is_staff: bool = False,
    request: HttpRequest | None = None,
) -> User:
    """Create an account without a password and send its invitation."""
    email = User.objects.normalize_email(email).strip()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"Someone already has an account with {email}."})
    user = User(email=email, first_name=first_name, last_name=last_name, is_staff=is_staff)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    audit_record(actor=invited_by, action=AuditEvent.Action.CREATE, target=user, request=request)
    return invitation_send(user=user, invited_by=invited_by, request=request)


@transaction.atomic
def invitation_accept(*, user: User, password: str, request: HttpRequest | None = None) -> User:
    """Set the first password; following the emailed link proves the address is theirs.

    The person may set up an authenticator app in the next hour (the view signs them in and
    sends clinicians and staff straight there)."""
    user.set_password(password)
    user.second_factor_setup_until = timezone.now() + SETUP_AFTER_INVITATION_ACCEPTED
    user.save(update_fields=["password", "second_factor_setup_until"])
    EmailAddress.objects.update_or_create(
        user=user, email__iexact=user.email, defaults={"verified": True, "primary": True}
    )
    audit_record(
        actor=user, action=AuditEvent.Action.INVITATION_ACCEPTED, target=user, request=request
    )
    return user


def user_sessions_end(*, user: User) -> int:
    """Delete every session the user has open, on every device. Returns how many."""
    ended = 0
    for user_session in UserSession.objects.filter(user=user):
        user_session.end()
        ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, user: User, by: User | None, request: HttpRequest | None = None) -> User:
    """Stop someone signing in and sign them out everywhere; keeps all their records."""
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    ended = user_sessions_end(user=user)
    audit_record(
        actor=by,
        action=AuditEvent.Action.DEACTIVATE,
        target=user,
        request=request,
        detail={"sessions_ended": ended},
    )
    return user


def sessions_clear_expired() -> int:
    count, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return count


@transaction.atomic
def clinician_invite(
    *,
    email: str,
    first_name: str,
    last_name: str,
    credentials: str,
    roles: set[str],
    invited_by: User | None,
    request: HttpRequest | None = None,
) -> Clinician:
    """Invite a clinician: an account without a password, a profile with their roles."""
    user = user_invite(
        email=email,
        first_name=first_name,
        last_name=last_name,
        invited_by=invited_by,
        request=request,
    )
    clinician = Clinician(
        user=user,
        credentials=credentials,
        can_be_couples_therapist=CareRole.COUPLES_THERAPIST in roles,
        can_be_individual_therapist=CareRole.INDIVIDUAL_THERAPIST in roles,
        can_be_counselor=CareRole.COUNSELOR in roles,
        can_be_medical_provider=CareRole.MEDICAL_PROVIDER in roles,
    )
    clinician.full_clean()
    clinician.save()
    audit_record(
        actor=invited_by, action=AuditEvent.Action.CREATE, target=clinician, request=request
    )
    return clinician


@transaction.atomic
def partner_welcome_end(
    *, partner: Partner, preferred_name: str | None = None, request: HttpRequest | None = None
) -> Partner:
    """Record that the partner finished the welcome (with the name they chose; empty means
    their first name) or skipped it (`preferred_name` None: the name stays as it was).

    The welcome is shown once: after this, its pages send the partner home."""
    changed = []
    if preferred_name is not None:
        preferred_name = " ".join(preferred_name.split())
        try:
            Partner._meta.get_field("preferred_name").clean(preferred_name, partner)
        except ValidationError as error:
            raise ValidationError({"preferred_name": error.messages}) from error
        if preferred_name != partner.preferred_name:
            partner.preferred_name = preferred_name
            changed.append("preferred_name")
    if partner.welcomed_at is None:
        partner.welcomed_at = timezone.now()
        changed.append("welcomed_at")
    if not changed:
        return partner
    partner.save(update_fields=changed)
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.UPDATE,
        target=partner,
        patient=partner,
        request=request,
        detail={
            "changed": changed,
            "welcome": "skipped" if preferred_name is None else "finished",
        },
    )
    return partner
