import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from couples import notifications, services
from couples.models import NotificationPreference, User
from tests.factories import UserFactory


def test_inviting_creates_a_passwordless_account_and_emails_a_one_time_link(
    db, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = services.user_invite(
            email="new.person@Example.test", first_name="Nia", last_name="Cole", invited_by=staff
        )

    assert not user.has_usable_password()
    assert user.invited_at is not None
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.test"]
    assert "/accounts/invitation/" in message.body
    assert "/accounts/invitation/" in message.alternatives[0].content
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
    assert actions == ["create", "invite"]


def test_inviting_an_existing_email_in_another_case_is_refused(db, staff):
    UserFactory(email="taken@example.test")

    with pytest.raises(ValidationError) as error:
        services.user_invite(
            email="TAKEN@example.test", first_name="A", last_name="B", invited_by=staff
        )

    assert "already has an account" in str(error.value)
    assert User.objects.filter(email__iexact="taken@example.test").count() == 1


def test_accepting_an_invitation_sets_the_password_verifies_the_email_and_burns_the_link(db, staff):
    user = services.user_invite(
        email="p@example.test", first_name="P", last_name="Q", invited_by=staff
    )
    token = services.invitation_tokens.make_token(user)

    services.invitation_accept(user=user, password="a brand new passphrase")

    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    assert EmailAddress.objects.get(user=user).verified is True
    assert not services.invitation_tokens.check_token(user, token)


def test_password_reset_tokens_are_not_accepted_as_invitations(db, staff):
    from django.contrib.auth.tokens import default_token_generator

    user = services.user_invite(
        email="r@example.test", first_name="R", last_name="S", invited_by=staff
    )

    assert not services.invitation_tokens.check_token(
        user, default_token_generator.make_token(user)
    )


def test_an_accepted_invitation_cannot_be_sent_again(db, staff):
    user = UserFactory()

    with pytest.raises(ValidationError):
        services.invitation_send(user=user, invited_by=staff)


def test_a_queued_invitation_is_not_sent_once_the_person_has_a_password(db, staff):
    user = services.user_invite(
        email="q@example.test", first_name="Q", last_name="R", invited_by=staff
    )
    user.set_password("set some other way already")
    user.save()

    services.invitation_email_send(user=user)

    assert mail.outbox == []


def test_deactivating_a_user_ends_all_their_sessions(db, staff):
    user = UserFactory()
    keys = []
    for _ in range(2):
        store = SessionStore()
        store["_auth_user_id"] = str(user.pk)
        store.create()
        keys.append(store.session_key)
        UserSession.objects.create(user=user, ip="127.0.0.1", session_key=store.session_key)

    services.user_deactivate(user=user, by=staff)

    user.refresh_from_db()
    assert user.is_active is False
    assert not any(SessionStore().exists(key) for key in keys)
    assert not UserSession.objects.filter(user=user).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DEACTIVATE)
    assert event.detail == {"sessions_ended": 2}
    assert event.actor == staff


# Notification preferences


def test_the_first_change_creates_the_preferences_and_audits_what_changed(partner_a):
    preference = services.notification_preference_update(
        user=partner_a.user, changes={"email_enabled": False, "checkin_prompts": True}
    )

    assert preference.pk is not None
    assert preference.email_enabled is False
    event = AuditEvent.objects.get()
    assert (event.action, event.actor) == (AuditEvent.Action.CREATE, partner_a.user)
    assert event.detail == {"changed": {"email_enabled": False}}


def test_saving_the_same_choices_again_writes_nothing(partner_a):
    services.notification_preference_update(
        user=partner_a.user, changes={"email_enabled": True, "time_zone": ""}
    )

    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_later_change_updates_the_row_and_is_audited_as_an_update(partner_a):
    services.notification_preference_update(
        user=partner_a.user, changes={"goal_review_prompts": False}
    )

    services.notification_preference_update(
        user=partner_a.user, changes={"checkin_prompt_time": datetime.time(18, 15)}
    )

    preference = NotificationPreference.objects.get()
    assert preference.goal_review_prompts is False
    assert preference.checkin_prompt_time == datetime.time(18, 15)
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == AuditEvent.Action.UPDATE
    assert event.detail == {"changed": {"checkin_prompt_time": "18:15"}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email_enabled": False, "in_app_enabled": False}, "Keep at least one way"),
        ({"quiet_hours_start": datetime.time(22)}, "a start and an end, or neither"),
        (
            {"quiet_hours_start": datetime.time(22), "quiet_hours_end": datetime.time(22)},
            "an end that differs from their start",
        ),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list."),
        (
            {"quiet_hours_start": datetime.time(19), "quiet_hours_end": datetime.time(6)},
            "8:00 PM is inside your quiet hours (7:00 PM–6:00 AM)",
        ),
        (
            {"quiet_hours_start": datetime.time(12), "quiet_hours_end": datetime.time(22)},
            "8:00 PM is inside your quiet hours (12:00 PM–10:00 PM)",
        ),
    ],
)
def test_a_partners_preferences_that_break_a_rule_are_refused_and_nothing_is_saved(
    partner_a, changes, message
):
    with pytest.raises(ValidationError, match=re.escape(message)):
        services.notification_preference_update(user=partner_a.user, changes=changes)

    assert not NotificationPreference.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "prompt"),
    [(21, 6, 20), (21, 6, 6), (8, 12, 20), (0, 20, 20)],
)
def test_a_check_in_prompt_outside_the_quiet_hours_is_accepted(partner_a, start, end, prompt):
    services.notification_preference_update(
        user=partner_a.user,
        changes={
            "quiet_hours_start": datetime.time(start),
            "quiet_hours_end": datetime.time(end),
            "checkin_prompt_time": datetime.time(prompt),
        },
    )

    assert NotificationPreference.objects.get().quiet_hours_end == datetime.time(end)


def test_quiet_hours_over_a_clinicians_unused_check_in_time_are_fine(clinician):
    services.notification_preference_update(
        user=clinician.user,
        changes={"quiet_hours_start": datetime.time(19), "quiet_hours_end": datetime.time(7)},
    )

    assert NotificationPreference.objects.get().quiet_hours_start == datetime.time(19)


@pytest.mark.parametrize(
    ("person", "field"),
    [
        ("clinician", "checkin_prompt_time"),
        ("partner_a", "morning_digest"),
        ("staff", "session_reminders"),
    ],
)
def test_a_preference_the_persons_roles_do_not_offer_is_refused(request, person, field):
    someone = request.getfixturevalue(person)
    user = getattr(someone, "user", someone)

    with pytest.raises(ValueError, match=field):
        services.notification_preference_update(user=user, changes={field: True})


@pytest.mark.parametrize(
    ("person", "wanted", "stored"),
    [
        ("partner_a", True, None),
        ("partner_a", False, False),
        ("clinician", False, None),
        ("clinician", True, True),
    ],
)
def test_session_reminders_are_stored_only_when_they_differ_from_the_role_default(
    request, person, wanted, stored
):
    user = request.getfixturevalue(person).user

    preference = services.notification_preference_update(
        user=user, changes={"session_reminders": wanted}
    )

    assert preference.session_reminders is stored


def test_turning_reminders_back_to_the_default_empties_the_choice(partner_a):
    NotificationPreference.objects.create(user=partner_a.user, session_reminders=False)

    services.notification_preference_update(
        user=partner_a.user, changes={"session_reminders": True}
    )

    assert NotificationPreference.objects.get().session_reminders is None


@pytest.mark.parametrize(
    ("start", "end", "clock", "quiet"),
    [
        (22, 7, 23, True),
        (22, 7, 3, True),
        (22, 7, 7, False),
        (22, 7, 21, False),
        (9, 17, 9, True),
        (9, 17, 17, False),
        (9, 9, 9, False),
        (None, None, 9, False),
    ],
)
def test_quiet_hours_may_span_midnight_and_end_before_their_end_time(start, end, clock, quiet):
    def hour(value):
        return None if value is None else datetime.time(value)

    assert (
        notifications.is_quiet_at(start=hour(start), end=hour(end), clock=datetime.time(clock))
        is quiet
    )
