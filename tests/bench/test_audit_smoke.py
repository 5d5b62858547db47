"""The audit benchmark (bench/audit.py), scaled down: two writers, a moment of load each way."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.queries import audit_chain_problems
from bench import audit as bench


@pytest.fixture
def writers(transactional_db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the audit benchmark measures PostgreSQL's row locks (set DATABASE_URL)")
    today = datetime.datetime.now(ZoneInfo("America/New_York")).date()
    monkeypatch.setattr(bench, "DAY", today.isoformat())
    return bench.writers_create(2)


def test_each_way_posts_check_ins_and_only_the_audited_ways_write_events(writers, tmp_path):
    stored = {}
    for mode in bench.MODES:
        before = AuditEvent.objects.count()
        result = bench.load(writers, mode=mode, seconds=0.3)
        stored[mode] = AuditEvent.objects.count() - before
        assert result["writes"] > 0

    assert stored["off"] == 0
    assert stored["chains"] > 0 and stored["one chain"] > 0
    assert audit_chain_problems()[1] == []


def test_the_report_says_whether_the_target_is_met(tmp_path):
    medians = {"off": 100.0, "chains": 90.0, "one chain": 50.0}
    result = {
        "clients": 8,
        "seconds_per_run": 4,
        "rounds": 1,
        "writes_per_second": {mode: [value] for mode, value in medians.items()},
        "median": medians,
        "share_of_off": {mode: value / 100 for mode, value in medians.items()},
        "target_share": bench.TARGET_SHARE,
        "met": True,
        "events_verified": 10,
        "verify_problems": [],
        "events_per_chain": {1: 6, 2: 4},
        "when": "2026-12-06T20:00:00+00:00",
        "machine": {"cpus": 2, "python": "3.13"},
    }

    bench.results_write(result, tmp_path)

    report = (tmp_path / "audit.md").read_text()
    assert "| chains | 90 | 90 | 90% |" in report
    assert "**met** (90%)" in report
    assert "10 events in 2 chains, every chain intact" in report
