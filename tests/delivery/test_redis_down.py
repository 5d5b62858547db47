"""With Redis stopped, people still sign in and use their pages; only the broker is missing.

The cache (login rate limits, used TOTP codes) is in the database, so signing in never needs
Redis; an invitation made while Redis is down is sent from the web process instead; /healthz
says the broker is unavailable. The `delivery` fixture starts a private Redis and points
Celery at it; each test stops it before signing anyone in.
"""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse

import config.settings as production
from couples.models import User
from tests.auth import sign_in_with_mfa
from tests.browser.helpers import totp_code
from tests.couples.test_views_clinic import treat
from tests.factories import PASSWORD

pytestmark = pytest.mark.delivery

LOGIN = "/accounts/login/"
PORTAL_PAGES = ["/portal/", "/portal/checkin/", "/portal/sessions/", "/notifications/"]
CLINIC_PAGES = ["/clinic/", "/clinic/sessions/week/", "/clinic/sessions/day/"]


@pytest.fixture
def redis_down(delivery, settings):
    """Production's cache (the test settings keep one in memory; tests/conftest.py made its
    table) and the private Redis stopped. The table outlives the test, its rows do not."""
    assert production.CACHES["default"]["BACKEND"].endswith("DatabaseCache")
    settings.CACHES = production.CACHES
    cache.clear()
    settings.REDIS_URL = delivery.redis.url  # what /healthz pings
    delivery.redis.stop()
    assert not delivery.redis.is_up()
    yield delivery
    cache.clear()


def _cache_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cache_entries")
        return cursor.fetchone()[0]


def _login(client, email, password=PASSWORD):
    return client.post(LOGIN, {"login": email, "password": password})


def test_a_partner_signs_in_and_opens_the_portal(redis_down, partner_a, partner_b):
    client = Client()

    response = _login(client, partner_a.user.email)

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    for page in PORTAL_PAGES:
        assert client.get(page).status_code == 200, page
    assert _cache_rows() > 0  # the login rate limit counted in the database


def test_a_clinician_signs_in_with_a_totp_code_and_opens_the_clinic_pages(
    redis_down, clinician, couple, partner_a, partner_b
):
    treat(clinician, couple)
    secret = generate_totp_secret()
    TOTP.activate(clinician.user, secret)
    client = Client()

    response = _login(client, clinician.user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    rows_before_code = _cache_rows()
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)[0]})

    assert response.status_code == 302
    assert response["Location"] == "/clinic/"
    assert _cache_rows() > rows_before_code  # the code is recorded as used, in the database
    for page in [*CLINIC_PAGES, f"/clinic/couples/{couple.pk}/"]:
        assert client.get(page).status_code == 200, page


def test_failed_sign_ins_still_lock_the_login(redis_down, partner_a):
    limit = int(production.ACCOUNT_RATE_LIMITS["login_failed"].split("/")[0])
    client = Client()
    for _ in range(limit):
        assert _login(client, partner_a.user.email, "not the password at all").status_code == 200

    response = _login(client, partner_a.user.email)

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.text
    assert "_auth_user_id" not in client.session


def test_an_invitation_made_in_the_admin_is_sent_from_the_web_process(redis_down, staff):
    client = Client()
    sign_in_with_mfa(client, staff)

    started = time.monotonic()
    response = client.post(
        reverse("admin:couples_user_add"),
        {"email": "lee@example.test", "first_name": "Lee", "last_name": "Wu"},
    )

    assert response.status_code == 302
    # Publishing gave up at once (Redis refuses connections) instead of hanging the page.
    assert time.monotonic() - started < 10
    assert User.objects.filter(email="lee@example.test").exists()
    assert [message.to for message in mail.outbox] == [["lee@example.test"]]


def test_healthz_says_the_broker_is_unavailable(redis_down):
    response = Client().get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"
    assert response.json()["database"] == "ok"
