"""couples.notifications.health: the oldest due message and the trouble staff are told of."""

import datetime

import pytest

from couples.notifications import health
from tests.factories import outbox_row

NOW = datetime.datetime(2026, 3, 10, 15, 0, tzinfo=datetime.UTC)
# The functions are given NOW, but the rows' factory and anything else reading the clock see
# the same moment: the clock stands at NOW, whatever day the suite runs.
pytestmark = pytest.mark.time_machine(NOW, tick=False)


def _row(recipient, n, *, due_at, next_attempt_at=None, status="queued", last_error=""):
    return outbox_row(
        recipient,
        due_at=due_at,
        next_attempt_at=next_attempt_at,
        status=status,
        last_error=last_error,
        object_ref=f"couples.partner:{n}",
    )


def _ago(minutes):
    return NOW - datetime.timedelta(minutes=minutes)


def test_nothing_waiting_is_none(db):
    assert health.outbox_oldest_due(NOW) is None


def test_the_oldest_due_takes_the_earliest_moment_each_row_has_waited_since(partner_a):
    user = partner_a.user
    _row(user, 1, due_at=_ago(3))
    _row(user, 2, due_at=_ago(30), next_attempt_at=_ago(4))  # held, now due again
    _row(user, 3, due_at=_ago(9), next_attempt_at=_ago(-5), last_error="timeout")  # failing
    _row(user, 4, due_at=_ago(60), next_attempt_at=_ago(-30))  # held for quiet hours
    _row(user, 5, due_at=_ago(90), status="sent")
    _row(user, 6, due_at=_ago(90), status="failed", last_error="550 no such user")
    _row(user, 7, due_at=_ago(90), status="expired", last_error="timeout")
    _row(user, 8, due_at=_ago(90), status="withdrawn")

    assert health.outbox_oldest_due(NOW) == _ago(9)


def test_the_oldest_due_is_one_query(partner_a, django_assert_num_queries):
    _row(partner_a.user, 1, due_at=_ago(3))

    with django_assert_num_queries(1):
        health.outbox_oldest_due(NOW)


def test_trouble_counts_failed_and_expired_messages_due_in_the_last_day(partner_a, settings):
    settings.OUTBOX_STALL_SECONDS = 300
    user = partner_a.user
    _row(user, 1, due_at=_ago(60), status="failed", last_error="550")
    _row(user, 2, due_at=_ago(23 * 60), status="expired", last_error="timeout")
    _row(user, 3, due_at=_ago(23 * 60), status="expired", last_error="timeout")
    _row(user, 4, due_at=_ago(25 * 60), status="failed", last_error="550")  # too long ago
    _row(user, 5, due_at=_ago(7))

    trouble = health.outbox_trouble(NOW)

    assert (trouble.failed, trouble.expired, trouble.undelivered) == (1, 2, 3)
    assert trouble.oldest_due_at == _ago(7)
    assert trouble.oldest_due_seconds == 420
    assert trouble.stalled
    assert trouble


def test_no_trouble_is_falsy(partner_a):
    _row(partner_a.user, 1, due_at=_ago(2))
    _row(partner_a.user, 2, due_at=_ago(60), status="sent")

    trouble = health.outbox_trouble(NOW)

    assert (trouble.undelivered, trouble.oldest_due_seconds, trouble.stalled) == (0, 120, False)
    assert not trouble


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [
        (30, "less than a minute"),
        (60, "1 minute"),
        (419, "6 minutes"),
        (119 * 60, "119 minutes"),
        (2 * 3600, "2 hours"),
        (47 * 3600 + 59 * 60, "47 hours"),
        (3 * 86400, "3 days"),
    ],
)
def test_wait_phrase(seconds, phrase):
    assert health.wait_phrase(seconds) == phrase
