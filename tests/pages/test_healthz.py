"""/healthz's outbox check: a message due and not sent for longer than OUTBOX_STALL_SECONDS
makes the whole check answer 503, with the reason."""

import datetime

import pytest
from django.db import DatabaseError
from django.urls import reverse

from tests.factories import outbox_row

NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def _row(recipient, *, due_minutes_ago, status="queued", next_attempt_in=None, last_error=""):
    return outbox_row(
        recipient,
        due_at=NOW - datetime.timedelta(minutes=due_minutes_ago),
        next_attempt_at=(
            None if next_attempt_in is None else NOW + datetime.timedelta(minutes=next_attempt_in)
        ),
        status=status,
        last_error=last_error,
        kind="session_reminder_1h",
        object_ref=f"therapy_sessions.therapysession:{due_minutes_ago}",
    )


# An empty outbox answers ok: tests/couples/test_views.py, test_healthz_reports_database_and_broker.


def test_a_message_due_six_minutes_ago_and_still_queued_stalls_the_outbox(client, partner_a):
    _row(partner_a.user, due_minutes_ago=6)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "ok",
        "outbox": "stalled",
        "oldest_due_seconds": 360,
        "reason": "A message due 6 minutes ago has not been sent",
    }


def test_a_message_due_two_minutes_ago_is_on_its_way(client, partner_a):
    _row(partner_a.user, due_minutes_ago=2)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["outbox"] == "ok"
    assert response.json()["oldest_due_seconds"] == 120


def test_a_message_being_sent_counts_from_when_it_fell_due(client, partner_a):
    _row(partner_a.user, due_minutes_ago=8, status="sending")

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["oldest_due_seconds"] == 480


def test_a_failing_message_counts_from_when_it_fell_due_not_its_next_attempt(client, partner_a):
    _row(
        partner_a.user,
        due_minutes_ago=10,
        next_attempt_in=5,
        last_error="SMTPServerDisconnected: gone",
    )

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["outbox"] == "stalled"
    assert response.json()["oldest_due_seconds"] == 600
    assert response.json()["reason"] == "A message due 10 minutes ago has not been sent"


def test_a_message_held_for_quiet_hours_is_not_waiting(client, partner_a):
    _row(partner_a.user, due_minutes_ago=60, next_attempt_in=30)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["oldest_due_seconds"] is None


@pytest.mark.parametrize("status", ["sent", "failed", "expired", "withdrawn"])
def test_a_finished_message_is_not_waiting(client, partner_a, status):
    _row(partner_a.user, due_minutes_ago=60, status=status, last_error="x" * (status == "failed"))

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["outbox"] == "ok"


def test_the_stall_threshold_is_a_setting(client, partner_a, settings):
    settings.OUTBOX_STALL_SECONDS = 900
    _row(partner_a.user, due_minutes_ago=10)

    assert client.get(reverse("healthz")).status_code == 200

    settings.OUTBOX_STALL_SECONDS = 60

    assert client.get(reverse("healthz")).status_code == 503


def test_without_a_database_the_outbox_is_not_read(client, db, monkeypatch):
    monkeypatch.setattr("pages.views._database_ok", lambda: False)

    def unreachable(now):
        raise AssertionError("the outbox was read without a database")

    monkeypatch.setattr("couples.notifications.health.outbox_oldest_due", unreachable)

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert response.json()["outbox"] == "unknown"
    assert response.json()["oldest_due_seconds"] is None


def test_an_outbox_that_cannot_be_read_is_unknown_not_an_error(client, db, monkeypatch):
    def broken(now):
        raise DatabaseError("relation does not exist")

    monkeypatch.setattr("couples.notifications.health.outbox_oldest_due", broken)

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["outbox"] == "unknown"
