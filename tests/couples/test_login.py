import time

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.urls import reverse

from audit.models import AuditEvent
from tests.factories import PASSWORD

LOGIN = "/accounts/login/"


def _login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_a_partner_signs_in_with_email_and_lands_on_the_portal(client, partner_a):
    response = _login(client, partner_a.user.email.upper())

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN, actor=partner_a.user).exists()


def test_signing_in_rotates_the_session_key(client, partner_a):
    client.get(LOGIN)
    client.session["probe"] = 1
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key

    _login(client, partner_a.user.email)

    assert client.session.session_key != before


def test_a_wrong_password_is_refused_and_audited(client, partner_a):
    response = _login(client, partner_a.user.email, "not the password at all")

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED)
    assert event.allowed is False
    assert event.detail == {"email": partner_a.user.email}


def test_five_failures_lock_the_login_even_for_the_right_password(client, partner_a):
    for _ in range(5):
        _login(client, partner_a.user.email, "wrong wrong wrong")

    response = _login(client, partner_a.user.email)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_LOCKED).count() == 1


def test_a_deactivated_user_cannot_sign_in(client, partner_a):
    partner_a.user.is_active = False
    partner_a.user.save()

    response = _login(client, partner_a.user.email)

    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 302)
    assert response.get("Location", "") != "/portal/"


def _code(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def test_a_clinician_with_totp_needs_a_code_after_the_password(client, clinician):
    secret = generate_totp_secret()
    TOTP.activate(clinician.user, secret)

    response = _login(client, clinician.user.email)

    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": _code(secret)})
    assert response.status_code == 302
    assert response["Location"] == "/clinic/"


def test_a_totp_code_works_only_once(client, clinician):
    secret = generate_totp_secret()
    TOTP.activate(clinician.user, secret)
    code = _code(secret)
    _login(client, clinician.user.email)
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.post("/accounts/logout/")

    _login(client, clinician.user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_only_once(client, clinician):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    TOTP.activate(clinician.user, generate_totp_secret())
    code = RecoveryCodes.activate(clinician.user).generate_codes()[0]
    _login(client, clinician.user.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.post("/accounts/logout/")

    _login(client, clinician.user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
