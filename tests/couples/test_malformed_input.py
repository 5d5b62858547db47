"""Bytes no page can read are refused before any view runs (issue 17, finding 5): 400 for a
NUL or a non-UTF-8 byte in the path, the query or a form, 413 for an oversized body; each
refusal audited, nothing changed."""

import pytest
from django.conf import settings
from django.urls import reverse

from audit.models import AuditEvent
from goals.models import CheckIn
from tests.auth import sign_in_with_mfa


@pytest.mark.parametrize(
    "path",
    ["/calendar/%00.ics", "/clinic/?q=%00", "/clinic/?q=%ff", "/portal/%00/", "/admin/?q=%C0%AF"],
)
def test_unreadable_bytes_in_the_address_answer_400(client, clinician, path):
    sign_in_with_mfa(client, clinician.user)

    response = client.get(path)

    assert response.status_code == 400
    assert "could not be read" in response.text
    refused = AuditEvent.objects.get(allowed=False)
    assert refused.actor == clinician.user
    assert refused.detail["refused"] in {"path", "query string"}


def test_an_anonymous_visitor_is_refused_and_audited_too(client, db):
    assert client.get("/accounts/login/?next=%00").status_code == 400
    assert AuditEvent.objects.get(allowed=False).actor is None


def test_a_nul_in_a_form_changes_nothing(client, partner_a):
    client.force_login(partner_a.user)

    response = client.post(
        "/portal/checkin/",
        {"is_sober": "yes", "craving": "2", "mood": "3", "note": "fine\x00"},
    )

    assert response.status_code == 400
    assert not CheckIn.objects.exists()
    assert AuditEvent.objects.get(allowed=False).detail == {"refused": "form", "method": "POST"}


def test_invalid_utf8_in_a_form_answers_400(client, partner_a):
    client.force_login(partner_a.user)

    response = client.post(
        "/portal/checkin/",
        b"is_sober=yes&craving=2&mood=3&note=%ff%fe",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert not CheckIn.objects.exists()


def test_a_nul_in_a_multipart_form_answers_400(client, partner_a):
    client.force_login(partner_a.user)

    response = client.post("/portal/checkin/", {"note": "a\x00b", "is_sober": "yes"})

    assert response.status_code == 400


def test_an_oversized_body_is_refused_before_it_is_read(client, db):
    response = client.generic(
        "POST",
        reverse("account_login"),
        b"login=a",
        content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
    )

    assert response.status_code == 413
    assert AuditEvent.objects.get(allowed=False).detail["refused"] == "body too large"
    assert settings.REQUEST_BODY_MAX_BYTES < 50 * 1024 * 1024


def test_ordinary_text_passes(client, partner_a):
    client.force_login(partner_a.user)

    assert client.get("/portal/?q=caf%C3%A9+%E2%9C%93").status_code == 200
