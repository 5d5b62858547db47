"""Nothing about treatment leaves the app (issue 17, finding 3): flash messages stay on the
server, calendar events and email senders use the discreet name, access logs keep no query
strings or calendar tokens."""

import logging
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from gunicorn.config import Config

from common.logs import RequestLineFilter, path_redacted, request_line_redacted
from couples.emails import email_make
from couples.queries import couple_today
from tests.factories import PASSWORD


def test_flash_messages_never_travel_in_a_cookie(client, partner_a):
    client.post(reverse("account_login"), {"login": partner_a.user.email, "password": PASSWORD})
    today = couple_today(couple=partner_a.couple).isoformat()
    response = client.post(
        "/portal/checkin/",
        {"day": today, "is_sober": "no", "craving": "8", "mood": "1", "note": "Had a drink."},
    )

    assert response.status_code == 302  # saved, with a message for the next page
    assert "messages" not in response.cookies
    assert "Thank you for being honest" in client.get(response["Location"]).text
    assert settings.MESSAGE_STORAGE.endswith("SessionStorage")


def test_everything_that_leaves_the_app_uses_the_discreet_name():
    assert "rehab" not in settings.CLINIC_DISCREET_NAME.lower()
    assert settings.CLINIC_DISCREET_NAME in settings.DEFAULT_FROM_EMAIL
    assert "rehab" not in settings.DEFAULT_FROM_EMAIL.lower()
    assert settings.ACCOUNT_EMAIL_SUBJECT_PREFIX == f"[{settings.CLINIC_DISCREET_NAME}] "
    assert settings.MFA_TOTP_ISSUER == settings.CLINIC_DISCREET_NAME


def test_an_invitation_email_says_nothing_about_treatment(db):
    email_make(
        name="invitation",
        to="n@example.test",
        context={"first_name": "N", "accept_url": "http://x/", "valid_days": 3},
    ).send()

    (sent,) = mail.outbox
    for text in [sent.subject, sent.from_email, sent.body]:
        assert "rehab" not in text.lower()


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("GET /clinic/?q=Morgan+Diaz HTTP/1.1", "GET /clinic/ HTTP/1.1"),
        (
            "GET /admin/couples/user/?q=taylor%40example.test HTTP/1.1",
            "GET /admin/couples/user/ HTTP/1.1",
        ),
        ("GET /calendar/AbC123-secret.ics HTTP/1.1", "GET /calendar/[redacted].ics HTTP/1.1"),
        ("GET /calendar/ HTTP/1.1", "GET /calendar/ HTTP/1.1"),
        ("POST /portal/checkin/ HTTP/1.1", "POST /portal/checkin/ HTTP/1.1"),
    ],
)
def test_request_lines_lose_query_strings_and_tokens(line, kept):
    assert request_line_redacted(line) == kept
    assert path_redacted(line.split(" ")[1]) == kept.split(" ")[1]


def test_the_development_servers_log_is_redacted_too():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        "x",
        1,
        '"%s" %s %s',
        ("GET /clinic/?q=Jordan HTTP/1.1", "200", "10"),
        None,
    )

    assert RequestLineFilter().filter(record)
    assert record.getMessage() == '"GET /clinic/ HTTP/1.1" 200 10'


def test_gunicorns_access_log_is_redacted():
    namespace: dict = {}
    exec((settings.BASE_DIR / "config" / "gunicorn.conf.py").read_text(), namespace)
    logger = namespace["logger_class"](Config())
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/calendar/secret-token.ics?x=1",
        "PATH_INFO": "/calendar/secret-token.ics",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://clinic.example/clinic/?q=Morgan",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=10, response_length=10)
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=1))

    line = logger.cfg.access_log_format % atoms
    assert "secret-token" not in line and "Morgan" not in line and "x=1" not in line
    assert "/calendar/[redacted].ics" in line


def test_every_response_denies_camera_microphone_and_other_features(client, db):
    response = client.get(reverse("account_login"))

    policy = response["Permissions-Policy"]
    assert "camera=()" in policy and "microphone=()" in policy and "geolocation=()" in policy


def test_someone_elses_typos_from_the_same_address_never_lock_out_a_correct_password(
    client, partner_a, db
):
    """Finding 7: a clinic behind one NAT shares an address."""
    for number in range(12):
        client.post(
            reverse("account_login"),
            {"login": f"someone{number}@example.test", "password": "wrong-password"},
            REMOTE_ADDR="203.0.113.9",
        )

    response = client.post(
        reverse("account_login"),
        {"login": partner_a.user.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )

    assert response.status_code == 302
    assert response["Location"] == "/portal/"
