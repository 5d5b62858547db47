from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.urls import reverse

from couples.models import AuditEvent, User
from tests.factories import UserFactory


def _admin_client(client, staff):
    TOTP.activate(staff, generate_totp_secret())
    client.force_login(staff)
    return client


def test_adding_a_user_in_admin_sends_an_invitation(
    client, staff, django_capture_on_commit_callbacks
):
    _admin_client(client, staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:couples_user_add"),
            {"email": "newclinician@example.test", "first_name": "Lee", "last_name": "Wu"},
        )

    assert response.status_code == 302
    user = User.objects.get(email="newclinician@example.test")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newclinician@example.test"]


def test_adding_a_duplicate_email_in_admin_shows_an_error_and_saves_nothing(client, staff):
    _admin_client(client, staff)
    UserFactory(email="dup@example.test")

    response = client.post(
        reverse("admin:couples_user_add"),
        {"email": "DUP@example.test", "first_name": "X", "last_name": "Y"},
    )

    assert response.status_code == 200
    assert User.objects.filter(email__iexact="dup@example.test").count() == 1


def test_unticking_active_in_admin_deactivates_through_the_service(client, staff):
    _admin_client(client, staff)
    user = UserFactory()
    url = reverse("admin:couples_user_change", args=[user.pk])
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_staff": "",
        "is_superuser": "",
    }

    response = client.post(url, data)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_active is False
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DEACTIVATE, actor=staff).exists()


def test_the_audit_log_is_read_only_in_admin(client, staff):
    _admin_client(client, staff)
    from couples.services import audit_record

    event = audit_record(actor=staff, action=AuditEvent.Action.READ)

    assert client.get(reverse("admin:couples_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:couples_auditevent_add")).status_code == 403
    assert (
        client.post(reverse("admin:couples_auditevent_delete", args=[event.pk])).status_code == 403
    )
    response = client.get(reverse("admin:couples_auditevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert "Save" not in response.text


def test_staff_opening_a_couple_in_admin_is_audited_per_patient(
    client, staff, partner_a, partner_b
):
    _admin_client(client, staff)

    response = client.get(reverse("admin:couples_couple_change", args=[partner_a.couple_id]))

    assert response.status_code == 200
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=staff)
    assert {event.patient_id for event in reads} == {partner_a.pk, partner_b.pk}
    assert all(event.detail == {"via": "admin"} for event in reads)


def test_a_patient_record_is_not_served_when_its_audit_cannot_be_written(
    client, staff, partner_a, monkeypatch
):
    _admin_client(client, staff)
    client.raise_request_exception = False

    def broken_audit(**kwargs):
        raise RuntimeError("audit storage unavailable")

    monkeypatch.setattr("couples.admin.services.audit_record", broken_audit)

    response = client.get(reverse("admin:couples_couple_change", args=[partner_a.couple_id]))

    assert response.status_code == 500
    assert partner_a.user.email not in response.text
