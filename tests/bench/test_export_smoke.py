"""The export benchmark (bench/export.py), scaled down: a few days of record, one run."""

from bench import export as bench
from records.fhir.collect import RECORD_QUERIES


def test_a_small_record_exports_and_its_queries_do_not_grow_with_it(db):
    three = bench.export_measure(bench.record_create(days=3, number=1), runs=1)
    ten = bench.export_measure(bench.record_create(days=10, number=2), runs=1)

    assert three["queries"] == ten["queries"] <= RECORD_QUERIES
    # Both partners' check-ins (each shares with the other), three days each.
    assert three["checkins"] == 6 and ten["checkins"] == 20
    assert three["resources"]["Provenance"] == 1
    assert ten["entries"] > three["entries"]


def test_the_report_says_whether_the_target_is_met(db, tmp_path):
    row = bench.export_measure(bench.record_create(days=2), runs=1)
    result = {
        "days": 2,
        "small_days": 2,
        "runs": 1,
        "database": "sqlite",
        "large": row,
        "small": row,
        "target_seconds": bench.TARGET_SECONDS,
        "met": True,
        "when": "2026-12-07T17:00:00+00:00",
        "machine": {"cpus": 2, "python": "3.13"},
    }

    bench.results_write(result, tmp_path)

    report = (tmp_path / "export.md").read_text()
    assert "| 2 days |" in report
    assert "under 10 s" in report and "**met**" in report
    assert (tmp_path / "export.json").exists()
