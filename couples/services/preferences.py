"""Notification preferences: which fields each role is offered, and saving them."""

import datetime
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record
from common.moments import clock_text
from couples import notifications
from couples.models import NotificationPreference, User
from couples.roles import Role, roles_for_user

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
                    f"{clock_text(prompt)} is inside your quiet hours "
                    f"({clock_text(start)}–{clock_text(end)}), "
                    "so the prompt would never come on time. Choose a time outside them, "
                    "or change the quiet hours."
                )
            }
        )


def _plain(value):
    """A preference value as the audit log's JSON keeps it."""
    return value.strftime("%H:%M") if isinstance(value, datetime.time) else value
