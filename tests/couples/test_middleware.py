import datetime
import time

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from couples.middleware import AUTH_AT_KEY, SEEN_AT_KEY
from tests.auth import sign_in_with_mfa


def _age_session(client, *, idle: float = 0, since_login: float = 0):
    session = client.session
    now = time.time()
    session[SEEN_AT_KEY] = now - idle
    session[AUTH_AT_KEY] = now - since_login
    session.save()


def test_an_active_session_stays_signed_in(client, partner_a):
    client.force_login(partner_a.user)
    client.get("/portal/")
    _age_session(client, idle=14 * 60, since_login=11 * 3600)

    assert client.get("/portal/").status_code == 200


def test_fifteen_idle_minutes_sign_the_user_out(client, partner_a):
    client.force_login(partner_a.user)
    client.get("/portal/")
    _age_session(client, idle=15 * 60 + 5)

    response = client.get("/portal/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=AuditEvent.Action.SESSION_TIMEOUT)
    assert event.detail == {"reason": "idle"}
    assert event.actor == partner_a.user


def test_twelve_hours_after_login_the_session_ends_even_when_active(client, partner_a):
    client.force_login(partner_a.user)
    client.get("/portal/")
    _age_session(client, idle=10, since_login=12 * 3600 + 5)

    response = client.get("/portal/")

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get().detail == {"reason": "absolute"}


def test_clinician_without_totp_is_sent_to_set_it_up_while_their_invitation_allows(
    client, clinician
):
    clinician.user.second_factor_setup_until = timezone.now() + datetime.timedelta(hours=1)
    clinician.user.save()
    client.force_login(clinician.user)

    response = client.get("/clinic/")

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_staff_without_totp_cannot_reach_the_admin(client, staff):
    client.force_login(staff)

    response = client.get("/admin/")

    assert response.status_code == 403
    assert "Ask clinic staff to reset your two-factor sign-in" in response.text


def test_clinician_with_totp_reaches_clinic_pages(client, clinician):
    sign_in_with_mfa(client, clinician.user)

    response = client.get("/clinic/")

    assert response.status_code == 200
    assert "Caseload" in response.text


def test_partners_are_not_forced_to_use_totp(client, partner_a):
    client.force_login(partner_a.user)

    assert client.get("/portal/").status_code == 200


def test_clinicians_cannot_remove_their_only_totp(clinician):
    from allauth.mfa.adapter import get_adapter

    authenticator = TOTP.activate(clinician.user, generate_totp_secret()).instance

    assert get_adapter().can_delete_authenticator(authenticator) is False


def test_partners_may_remove_their_totp(partner_a):
    from allauth.mfa.adapter import get_adapter

    authenticator = TOTP.activate(partner_a.user, generate_totp_secret()).instance

    assert get_adapter().can_delete_authenticator(authenticator) is True


def test_the_crisis_help_page_opens_even_in_a_timed_out_session(client, partner_a):
    client.force_login(partner_a.user)
    client.get("/portal/")
    _age_session(client, idle=60 * 60)

    response = client.get("/portal/help/")

    assert response.status_code == 200
    assert "988" in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SESSION_TIMEOUT).exists()


def test_clinicians_without_totp_cannot_open_video_rooms_or_calendar_pages(client, clinician):
    client.force_login(clinician.user)

    for path in ["/sessions/1/join/", "/calendar/"]:
        response = client.get(path)
        assert response.status_code == 403
