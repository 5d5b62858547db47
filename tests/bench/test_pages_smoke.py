"""The page benchmark (bench/pages/), scaled down to seconds: a small seed, one gunicorn,
a second of load per page."""

import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from bench import pages as bench
from bench.pages_django import sessions_create
from bench.pages_records import EACH, NOTES, PROBLEMS, records_ensure
from bench.scale.command import Command as SeedScale
from tests.delivery import harness

SMALL = ["--couples", "10", "--clinicians", "6", "--days", "14", "--sessions", "200"]


@pytest.fixture
def small_clinic(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "the page benchmark needs PostgreSQL (set DATABASE_URL): gunicorn runs in its "
            "own process on the test database, which SQLite in memory cannot share"
        )
    path = tmp_path / "seed.json"
    call_command(
        SeedScale(), *SMALL, "--yes-i-mean-it", "--json", str(path),
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return json.loads(path.read_text())


@pytest.fixture
def web(small_clinic, tmp_path):
    """gunicorn with the bench settings on the test database; no Redis (a local cache, and
    the broker Celery needs no server for), no collected static files."""
    database_url = harness.database_url(connection.settings_dict)
    env = bench.django_env(
        database_url,
        "",
        SECRET_KEY=settings.SECRET_KEY,  # the sessions made here must be valid there
        DATA_DIR=str(tmp_path / "data"),
        BENCH_STATIC="plain",
        BENCH_LOCMEM_CACHE="true",
        PGAPPNAME=harness.unique_name("cr-bench-smoke"),
    )
    env.pop("REDIS_URL")
    server = bench.Gunicorn(env=env, log_dir=tmp_path / "gunicorn")
    try:
        server.wait_ready()
        yield server, env
    finally:
        server.stop()


def test_every_page_is_served_for_real_under_load_and_the_report_is_complete(
    small_clinic, web, tmp_path
):
    server, env = web
    logins = small_clinic["logins"]
    records = records_ensure(logins=logins)
    keys = sessions_create(logins={role: logins[role] for role in bench.Page.ROLES})

    # The notes tab's notes and the plan page's plan were made once: a second run adds none.
    assert records_ensure(logins=logins) == records
    assert records["plan_interventions"] == PROBLEMS * EACH**3
    assert 0 < records["notes"] <= NOTES
    # Each target is checked once here: the page itself, not a login page or an error.
    place = bench.places({"logins": logins, "records": records})
    targets = bench.targets_build(port=server.port, sessions=keys, place=place)
    runs = bench.pages_load(
        port=server.port, targets=targets, gunicorn=server, database_url=env["DATABASE_URL"],
        app_name=env["PGAPPNAME"], clients=2, mode="threads", warmup=0.1, duration=0.3,
        quiet=True,
    )  # fmt: skip
    measured = bench.django_helper(
        "measure", {"logins": logins, "sessions": keys, "records": records, "repeat": 1}, env=env
    )
    result = bench.results_build(
        runs=runs,
        measured={"scale": measured, "demo": measured},
        memory={"gunicorn": server.memory_mib()},
        machine=bench.machine_facts(env["DATABASE_URL"]),
        settings={
            "gunicorn_workers": server.workers, "clients": 2, "client_mode": "threads",
            "warmup_seconds": 0.1, "duration_seconds": 0.3, "scale_database": "test",
            "scale_counts": "10 couples", "demo_database": "test",
        },
    )  # fmt: skip
    bench.results_write(result, tmp_path / "results")

    assert set(result["pages"]) == {page.name for page in bench.PAGES}
    for name, page in result["pages"].items():
        assert page["load"]["requests"] > 0, name
        assert page["load"]["errors"] == 0, (name, page["load"]["error_kinds"])
        assert page["requests_per_second"] > 0 and 0 < page["p50_ms"] <= page["p95_ms"], name
        assert page["queries_per_request"] >= 3, name  # session, user, and the page's own
        # The header bench/web.py adds reached the load generator on every response.
        assert "?" not in page["queries_seen_under_load"], name
    assert len(result["memory"]["gunicorn"]["workers"]) == 2
    assert all(worker["now_mib"] > 0 for worker in result["memory"]["gunicorn"]["workers"])
    assert result["floor_requests_per_second"] > 0
    assert json.loads((tmp_path / "results" / "pages.json").read_text()) == result
    markdown = (tmp_path / "results" / "pages.md").read_text()
    assert all(page.title in markdown for page in bench.PAGES)
    assert "| Page | req/s | p50 ms | p95 ms |" in markdown
