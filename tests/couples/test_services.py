import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.core.exceptions import ValidationError

from couples import services
from couples.models import AuditChainHead, AuditEvent, User
from tests.factories import UserFactory


def test_audit_events_form_a_gapless_hash_chain(db, staff):
    first = services.audit_record(actor=staff, action=AuditEvent.Action.READ, target=staff)
    second = services.audit_record(actor=None, action=AuditEvent.Action.LOGIN_FAILED)

    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "0" * 64
    assert second.prev_hash == first.hash
    assert AuditChainHead.objects.get().hash == second.hash
    assert first.target_type == "couples.User"
    assert first.target_id == str(staff.pk)


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(db, staff):
    event = services.audit_record(actor=staff, action=AuditEvent.Action.READ)
    event.action = AuditEvent.Action.DELETE

    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_audit_hash_covers_every_recorded_field(db, staff):
    event = services.audit_record(
        actor=staff, action=AuditEvent.Action.READ, detail={"page": "portal"}
    )
    event.refresh_from_db()
    assert event.compute_hash() == event.hash

    event.detail = {"page": "something else"}
    assert event.compute_hash() != event.hash


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
