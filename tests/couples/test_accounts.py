import re

from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from couples import services
from tests.factories import PASSWORD, UserFactory


def test_an_unverified_email_cannot_sign_in_and_gets_a_verification_email(client, db):
    user = UserFactory(verified_email=False)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    assert len(mail.outbox) == 1


def test_password_reset_by_email_sets_a_new_password(client, partner_a):
    client.post(reverse("account_reset_password"), {"email": partner_a.user.email})

    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link is not None
    response = client.get(link.group(1), follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else link.group(1)
    new_password = "tide pool harbor morning"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})

    assert response.status_code == 302
    partner_a.user.refresh_from_db()
    assert partner_a.user.check_password(new_password)


def test_a_reset_for_an_unknown_email_reveals_nothing(client, db):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")


def test_client_addresses_come_from_the_trusted_proxy_header(client, partner_a, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1

    client.post(
        reverse("account_login"),
        {"login": partner_a.user.email, "password": "wrong password here"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED).ip_address == "203.0.113.9"


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(client, partner_a):
    client.post(
        reverse("account_login"),
        {"login": partner_a.user.email, "password": "wrong password here"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )

    assert AuditEvent.objects.get(action=AuditEvent.Action.LOGIN_FAILED).ip_address == "127.0.0.1"


def test_logging_out_is_audited(client, partner_a):
    client.post(reverse("account_login"), {"login": partner_a.user.email, "password": PASSWORD})

    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGOUT, actor=partner_a.user).exists()


def test_deactivating_a_signed_in_user_signs_them_out_at_once(client, staff, partner_a):
    client.post(reverse("account_login"), {"login": partner_a.user.email, "password": PASSWORD})
    assert client.get("/portal/").status_code == 200

    services.user_deactivate(user=partner_a.user, by=staff)

    response = client.get("/portal/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
