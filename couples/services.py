import datetime
import zoneinfo
from functools import cache

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
from django.utils.http import int_to_base36

from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many

# tasks imports this module too: it is named here and read when a task is enqueued.
from couples import notifications, tasks
from couples.emails import email_make
from couples.models import (
    CareAssignment,
    CareRole,
    Clinician,
    Couple,
    NotificationPreference,
    Partner,
    SharingConsent,
    User,
)
from couples.queries import couple_today
from couples.roles import Role, roles_for_user
from couples.rules import TeamSlot, care_team_conflicts, current_team_with


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """One-time invitation links.

    The token hashes the password and last login, so it stops working as soon as
    the invited person sets a password. Its own salt keeps password-reset tokens
    from being accepted as invitations and the other way round.
    """

    key_salt = "couples.services.InvitationTokenGenerator"


invitation_tokens = InvitationTokenGenerator()


def invitation_url(*, user: User) -> str:
    path = reverse(
        "invitation_accept",
        kwargs={"uidb36": int_to_base36(user.pk), "token": invitation_tokens.make_token(user)},
    )
    return f"{settings.SITE_URL}{path}"


def invitation_send(*, user: User, invited_by: User | None, request: HttpRequest | None = None):
    """Email a one-time link to set a password. Sent after the transaction commits."""
    if user.has_usable_password():
        raise ValidationError(f"{user.email} has already set a password.")
    user.invited_at = timezone.now()
    user.save(update_fields=["invited_at"])
    audit_record(actor=invited_by, action=AuditEvent.Action.INVITE, target=user, request=request)
    transaction.on_commit(lambda: tasks.invitation_email_send_task.delay(user_id=user.pk))
    return user


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
    """Set the first password; following the emailed link proves the address is theirs."""
    user.set_password(password)
    user.save(update_fields=["password"])
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
def care_team_assign(
    *,
    couple: Couple,
    role: str,
    clinician: Clinician,
    partner: Partner | None = None,
    by: User | None,
    request: HttpRequest | None = None,
) -> CareAssignment:
    """Give a clinician a care-team role, ending whoever held it before.

    Raises ValidationError naming the conflict when the care-team rule would
    break; nothing is saved then.
    """
    # Lock the couple so two simultaneous changes cannot together break the rule.
    Couple.objects.select_for_update().get(pk=couple.pk)
    if partner is not None and partner.couple_id != couple.pk:
        raise ValidationError("This partner belongs to another couple.")
    current = CareAssignment.objects.filter(
        couple=couple, partner=partner, role=role, ended_at__isnull=True
    ).first()
    if current is not None and current.clinician_id == clinician.pk:
        return current
    assignment = CareAssignment(
        couple=couple, partner=partner, clinician=clinician, role=role, assigned_by=by
    )
    conflicts = care_team_conflicts(current_team_with(assignment))
    if conflicts:
        raise ValidationError(conflicts)
    if current is not None:
        care_assignment_end(assignment=current, by=by, request=request)
    assignment.started_at = timezone.now()
    assignment.full_clean()
    assignment.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=assignment,
        patient=partner,
        request=request,
    )
    return assignment


@transaction.atomic
def care_assignment_end(
    *, assignment: CareAssignment, by: User | None, request: HttpRequest | None = None
) -> CareAssignment:
    """End a role without a successor (a clinician leaves); the row stays as history."""
    if assignment.ended_at is not None:
        return assignment
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=assignment,
        patient=assignment.partner,
        request=request,
        detail={"ended": True},
    )
    return assignment


@transaction.atomic
def couple_admit(
    *,
    partners: list[dict],
    time_zone: str,
    admitted_on,
    couples_therapist: Clinician,
    by: User | None,
    request: HttpRequest | None = None,
) -> Couple:
    """Admit a couple in one step: both partners invited, the whole care team assigned.

    `partners` holds two dicts with email, first_name, last_name, preferred_name,
    individual_therapist and counselor. The rule is checked before anything is
    written, so a conflict saves nothing.
    """
    if len(partners) != 2:
        raise ValidationError("A couple is two partners.")
    emails = [p["email"].strip().lower() for p in partners]
    if emails[0] == emails[1]:
        raise ValidationError("The two partners need different email addresses.")
    slots = [TeamSlot(role=CareRole.COUPLES_THERAPIST, clinician=couples_therapist)]
    for index, person in enumerate(partners):
        name = person.get("preferred_name") or person["first_name"]
        for role, key in [
            (CareRole.INDIVIDUAL_THERAPIST, "individual_therapist"),
            (CareRole.COUNSELOR, "counselor"),
        ]:
            slots.append(
                TeamSlot(role=role, clinician=person[key], partner_key=index, partner_name=name)
            )
    conflicts = care_team_conflicts(slots)
    if conflicts:
        raise ValidationError(conflicts)
    couple = Couple(status=Couple.Status.ACTIVE, admitted_on=admitted_on, time_zone=time_zone)
    couple.full_clean()
    couple.save()
    audit_record(actor=by, action=AuditEvent.Action.CREATE, target=couple, request=request)
    care_team_assign(
        couple=couple,
        role=CareRole.COUPLES_THERAPIST,
        clinician=couples_therapist,
        by=by,
        request=request,
    )
    for person in partners:
        user = user_invite(
            email=person["email"],
            first_name=person["first_name"],
            last_name=person["last_name"],
            invited_by=by,
            request=request,
        )
        partner = Partner(user=user, couple=couple, preferred_name=person.get("preferred_name", ""))
        partner.full_clean()
        partner.save()
        audit_record(
            actor=by,
            action=AuditEvent.Action.CREATE,
            target=partner,
            patient=partner,
            request=request,
        )
        for role, key in [
            (CareRole.INDIVIDUAL_THERAPIST, "individual_therapist"),
            (CareRole.COUNSELOR, "counselor"),
        ]:
            care_team_assign(
                couple=couple,
                partner=partner,
                role=role,
                clinician=person[key],
                by=by,
                request=request,
            )
    return couple


@transaction.atomic
def couple_discharge(
    *, couple: Couple, discharged_on, by: User | None, request: HttpRequest | None = None
) -> Couple:
    """Discharge keeps every record and the care team's read access; it deletes nothing."""
    couple.status = Couple.Status.DISCHARGED
    couple.discharged_on = discharged_on
    couple.full_clean()
    couple.save(update_fields=["status", "discharged_on"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=couple,
        request=request,
        detail={"status": couple.status, "discharged_on": discharged_on.isoformat()},
    )
    return couple


@transaction.atomic
def consent_grant(
    *,
    partner: Partner,
    shares_goals: bool,
    shares_checkins: bool,
    expires_on=None,
    by: User,
    request: HttpRequest | None = None,
) -> SharingConsent:
    """Start sharing with the other partner; an open consent is replaced, not edited."""
    recipient = Partner.objects.filter(couple_id=partner.couple_id).exclude(pk=partner.pk).first()
    if recipient is None:
        raise ValidationError("There is no partner to share with yet.")
    if expires_on is not None and expires_on < couple_today(couple=partner.couple):
        raise ValidationError({"expires_on": "The end date cannot be in the past."})
    open_consent = (
        SharingConsent.objects.select_for_update()
        .filter(partner=partner, revoked_at__isnull=True)
        .first()
    )
    choices = (shares_goals, shares_checkins, expires_on)
    if open_consent is not None and choices == (
        open_consent.shares_goals,
        open_consent.shares_checkins,
        open_consent.expires_on,
    ):
        return open_consent  # The same choices again: keep the history free of noise.
    if open_consent is not None:
        consent_revoke(consent=open_consent, by=by, request=request)
    consent = SharingConsent(
        partner=partner,
        recipient=recipient,
        shares_goals=shares_goals,
        shares_checkins=shares_checkins,
        expires_on=expires_on,
        granted_by=by,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=consent,
        patient=partner,
        request=request,
        detail={
            "shares": consent.scope_labels,
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
    )
    return consent


@transaction.atomic
def consent_revoke(
    *, consent: SharingConsent, by: User, request: HttpRequest | None = None
) -> SharingConsent:
    """Stop sharing from the very next request. The grant itself stays on record."""
    if consent.revoked_at is not None:
        return consent
    consent.revoked_at = timezone.now()
    consent.revoked_by = by
    consent.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=consent,
        patient=consent.partner,
        request=request,
        detail={"revoked": True},
    )
    return consent


def disclosure_record(
    *, viewer: User, owner: Partner, consent: SharingConsent, what: str, request: HttpRequest | None
) -> AuditEvent:
    """One row in the owner's accounting of disclosures: who saw what, under which consent."""
    return audit_record(
        actor=viewer,
        action=AuditEvent.Action.DISCLOSE,
        target=consent,
        patient=owner,
        request=request,
        detail={"what": what, "consent": consent.pk},
    )


def couple_record_read(
    *, viewer: User, couple: Couple, partner_ids: list[int], request: HttpRequest | None
) -> list[AuditEvent]:
    """A clinician opening a couple's page reads both partners' records: one row each,
    written together. The page keeps the partners' ids, not the partners: an event needs
    only the id."""
    return audit_record_many(
        actor=viewer,
        action=AuditEvent.Action.READ,
        target=couple,
        patients=[Partner(pk=pk) for pk in partner_ids],
        request=request,
    )


# Notification preferences: which fields each role is offered (the others never reach them).
PREFERENCE_FIELDS = (
    "email_enabled",
    "in_app_enabled",
    "quiet_hours_start",
    "quiet_hours_end",
    "time_zone",
)
PARTNER_PREFERENCE_FIELDS = (
    "checkin_prompts",
    "checkin_prompt_time",
    "goal_review_prompts",
    "session_reminders",
)
CLINICIAN_PREFERENCE_FIELDS = ("session_reminders", "morning_digest", "digest_time")


def preference_fields_for(*, user: User) -> tuple[str, ...]:
    roles = roles_for_user(user)
    fields = list(PREFERENCE_FIELDS)
    if Role.PARTNER in roles:
        fields += PARTNER_PREFERENCE_FIELDS
    if Role.CLINICIAN in roles:
        fields += CLINICIAN_PREFERENCE_FIELDS
    return tuple(dict.fromkeys(fields))  # in order, once each


@cache
def time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def session_reminders_default(*, user: User) -> bool:
    """What an empty `session_reminders` means: on for partners, off for clinicians."""
    return Role.PARTNER in roles_for_user(user)


@transaction.atomic
def notification_preference_update(
    *, user: User, changes: dict[str, object], request: HttpRequest | None = None
) -> NotificationPreference:
    """Save someone's notification preferences; the first change creates their row.

    1. Only the fields the person's roles offer may change (see preference_fields_for).
    2. Session reminders are stored only when they differ from the role's default, so
       "empty" keeps meaning "whatever my role gets".
    3. The rules are checked on the whole result: a known time zone, quiet hours with two
       different ends (or none), a channel left on, and a daily check-in prompt outside the
       quiet hours. A refusal raises ValidationError and saves nothing.
    """
    unknown = set(changes) - set(preference_fields_for(user=user))
    if unknown:
        raise ValueError(f"Not a preference this person has: {', '.join(sorted(unknown))}")
    # Lock the person: two quick first saves must not both insert a row.
    User.objects.select_for_update().filter(pk=user.pk).first()
    preference = NotificationPreference.objects.filter(user=user).first()
    is_new = preference is None
    preference = preference or NotificationPreference(user=user)
    wanted = dict(changes)
    if "session_reminders" in wanted:
        default = session_reminders_default(user=user)
        current = default if preference.session_reminders is None else preference.session_reminders
        on = bool(wanted.pop("session_reminders"))
        if on != current:
            wanted["session_reminders"] = None if on == default else on
    changed = {name: value for name, value in wanted.items() if getattr(preference, name) != value}
    if not changed:
        return preference
    for name, value in changed.items():
        setattr(preference, name, value)
    _preference_check(preference, user=user)
    preference.full_clean()
    preference.save(update_fields=None if is_new else [*changed, "updated_at"])
    audit_record(
        actor=user,
        action=AuditEvent.Action.CREATE if is_new else AuditEvent.Action.UPDATE,
        target=preference,
        request=request,
        detail={"changed": {name: _plain(value) for name, value in changed.items()}},
    )
    return preference


def _preference_check(preference: NotificationPreference, *, user: User) -> None:
    if preference.time_zone and preference.time_zone not in time_zone_names():
        raise ValidationError({"time_zone": "Choose a time zone from the list."})
    start, end = preference.quiet_hours_start, preference.quiet_hours_end
    if start is not None and start == end:
        raise ValidationError(
            {"quiet_hours_end": "Quiet hours need an end that differs from their start."}
        )
    prompt = preference.checkin_prompt_time
    if (
        Role.PARTNER in roles_for_user(user)
        and preference.checkin_prompts
        and notifications.is_quiet_at(start=start, end=end, clock=prompt)
    ):
        raise ValidationError(
            {
                "checkin_prompt_time": (
                    f"{prompt:%H:%M} is inside your quiet hours ({start:%H:%M}–{end:%H:%M}), "
                    "so the prompt would never come on time. Choose a time outside them, "
                    "or change the quiet hours."
                )
            }
        )


def _plain(value):
    """A preference value as the audit log's JSON keeps it."""
    return value.strftime("%H:%M") if isinstance(value, datetime.time) else value
