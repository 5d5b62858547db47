"""How fast the busiest pages are under load, against a floor, at clinic scale.

`make bench-pages` needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL). It never touches the
database DATABASE_URL names: it uses two beside it, `<name>_bench_scale` (seed_scale: 2,000
couples, a year of data) and `<name>_bench_demo` (seed_demo), seeding each once and reusing
it later. Then:

1. measures each page once in-process on both databases (queries, time, a profile), through
   bench/pages_django.py in a subprocess;
2. starts gunicorn as the Dockerfile does (2 sync workers), DEBUG off, on the scale database,
   with bench/settings_pages.py: production settings plus the floor view (/bench/floor/, and
   the same inside the app's layout as a reference) and a header counting each request's
   queries; the only deploy-check difference is SECURE_SSL_REDIRECT off (plain HTTP);
3. signs in a clinician, a partner and an insurance-staff member (session rows made in code,
   with the TOTP mark), then loads each page with 10 concurrent clients for BENCH_DURATION
   seconds after BENCH_WARMUP (bench/loadgen.py), the floor first and again after each page
   (each page is compared with the floor runs beside it);
4. reads the gunicorn master's and workers' memory, and the Celery worker's from
   bench/results/notifications.json;
5. writes bench/results/pages.md and pages.json and prints the table.

BENCH_CLIENTS, BENCH_DURATION (10 s), BENCH_WARMUP (3 s), BENCH_ROUNDS (3: each page's
figures are those of its median round) and BENCH_CLIENT_MODE (threads or processes) change the
load; BENCH_RETRIES (2) how often a page is loaded again when other work took more than 10% of
the CPU meanwhile (the machine may be shared); BENCH_RESEED=true seeds the scale database
again. BENCH_COUPLES (2,000) sizes the clinic: another size gets a database of its own,
`<name>_bench_scale_<couples>` (clinicians and sessions in the same proportion), and writes
pages-<couples>.md and .json, with each page's queries and server time beside the 2,000-couple
figures in pages.json.

Here: main(). The parts: catalogue.py (the pages, the floor, the targets), databases.py,
server.py (gunicorn, /proc), load.py, results.py and report.py (pages.md).
"""

import os
import secrets
import shutil
from urllib.parse import urlsplit

from bench.pages.catalogue import (
    BIN,
    DISTURBED,
    FLOOR,
    LAYOUT,
    MB_PER_MIB,
    PAGES,
    REFERENCES,
    RESULTS,
    ROOT,
    SETTINGS,
    TARGET_FLOOR_SHARE,
    TARGET_P95_MS,
    TARGET_WORKER_MB,
    WORK,
    Page,
    checkin_form_data,
    places,
)
from bench.pages.databases import (
    DEFAULT_COUPLES,
    database_create,
    database_name,
    database_scalar,
    database_url_named,
    demo_database_ready,
    django_env,
    django_helper,
    manage,
    scale_database_ready,
)
from bench.pages.load import load_run, pages_load, targets_build
from bench.pages.report import results_markdown
from bench.pages.results import (
    machine_facts,
    notifications_figures,
    query_differences,
    query_shape,
    results_build,
    results_write,
    scale_comparison,
)
from bench.pages.server import (
    Gunicorn,
    children_cpu_by_pid,
    cpu_seconds,
    cpu_used_since,
    machine_busy_seconds,
    postgres_cpu_by_pid,
    postmaster_pid,
    reaped_children_cpu_seconds,
)

__all__ = [
    "BIN",
    "DISTURBED",
    "FLOOR",
    "LAYOUT",
    "MB_PER_MIB",
    "PAGES",
    "REFERENCES",
    "RESULTS",
    "ROOT",
    "SETTINGS",
    "TARGET_FLOOR_SHARE",
    "TARGET_P95_MS",
    "TARGET_WORKER_MB",
    "WORK",
    "Gunicorn",
    "Page",
    "checkin_form_data",
    "children_cpu_by_pid",
    "cpu_seconds",
    "cpu_used_since",
    "database_create",
    "database_name",
    "database_scalar",
    "database_url_named",
    "demo_database_ready",
    "django_env",
    "django_helper",
    "load_run",
    "machine_busy_seconds",
    "machine_facts",
    "main",
    "manage",
    "notifications_figures",
    "pages_load",
    "places",
    "postgres_cpu_by_pid",
    "postmaster_pid",
    "query_differences",
    "query_shape",
    "reaped_children_cpu_seconds",
    "results_build",
    "results_markdown",
    "results_write",
    "scale_database_ready",
    "targets_build",
]


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        print("make bench-pages needs DATABASE_URL=postgres://… (it creates databases beside it).")
        return 2
    if urlsplit(redis_url).scheme not in ("redis", "rediss"):
        print("make bench-pages needs REDIS_URL=redis://… (production's broker).")
        return 2
    base = database_name(database_url)
    if base.endswith(("_bench_scale", "_bench_demo")):
        print(f"DATABASE_URL names {base}: point it at your usual database instead.")
        return 2
    clients = int(os.environ.get("BENCH_CLIENTS", 10))
    warmup = float(os.environ.get("BENCH_WARMUP", 3))
    duration = float(os.environ.get("BENCH_DURATION", 10))
    rounds = int(os.environ.get("BENCH_ROUNDS", 3))
    mode = os.environ.get("BENCH_CLIENT_MODE", "threads")
    retries = int(os.environ.get("BENCH_RETRIES", 2))
    WORK.mkdir(parents=True, exist_ok=True)
    couples = int(os.environ.get("BENCH_COUPLES", DEFAULT_COUPLES))
    scale_name = f"{base}_bench_scale" + ("" if couples == DEFAULT_COUPLES else f"_{couples}")
    scale_url = database_url_named(database_url, scale_name)
    demo_url = database_url_named(database_url, f"{base}_bench_demo")
    # One key for every process of the run: sessions made in code must match gunicorn's.
    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(50))
    app_name = f"cr-bench-pages-{secrets.token_hex(3)}"
    scale_env = django_env(scale_url, redis_url)
    demo_env = django_env(demo_url, redis_url)

    seed = scale_database_ready(
        scale_url, scale_env, reseed=os.environ.get("BENCH_RESEED") == "true", couples=couples
    )
    demo_database_ready(demo_url, demo_env)
    shutil.rmtree(WORK / "staticfiles", ignore_errors=True)
    manage("collectstatic", "--noinput", "-v0", env=scale_env)
    machine = machine_facts(scale_url, redis_url)

    print("Measuring each page once in-process (queries, profile)…")
    measured = {}
    for label, env, logins in [("scale", scale_env, seed["logins"]), ("demo", demo_env, None)]:
        prepared = django_helper("prepare", {"logins": logins}, env=env)
        measured[label] = django_helper("measure", prepared, env=env)

    shutil.rmtree(WORK / "gunicorn", ignore_errors=True)  # the last run's logs only
    gunicorn = Gunicorn(env={**scale_env, "PGAPPNAME": app_name}, log_dir=WORK / "gunicorn")
    try:
        gunicorn.wait_ready()
        prepared = django_helper("prepare", {"logins": seed["logins"]}, env=scale_env)
        targets = targets_build(
            port=gunicorn.port, sessions=prepared["sessions"], place=places(prepared)
        )
        print(
            f"Loading each page: {clients} clients, {warmup:.0f} s warm-up, {duration:.0f} s each."
        )
        runs = pages_load(
            port=gunicorn.port,
            targets=targets,
            gunicorn=gunicorn,
            database_url=scale_url,
            app_name=app_name,
            clients=clients,
            mode=mode,
            warmup=warmup,
            duration=duration,
            retries=retries,
            rounds=rounds,
        )
        memory = {"gunicorn": gunicorn.memory_mib()}
    finally:
        gunicorn.stop()

    settings = {
        "gunicorn_workers": gunicorn.workers,
        "clients": clients,
        "client_mode": mode,
        "warmup_seconds": warmup,
        "duration_seconds": duration,
        "rounds": rounds,
        "retries_when_disturbed": retries,
        "scale_database": database_name(scale_url),
        "scale_counts": _counts_summary(seed["counts"]),
        "scale_caseload": seed["logins"]["clinician"]["caseload"],
        "demo_database": database_name(demo_url),
        "django_settings": SETTINGS,
        # check --deploy with this environment warns only about this (security.W008).
        "differs_from_production": "SECURE_SSL_REDIRECT=false: plain HTTP on 127.0.0.1",
    }
    result = results_build(
        runs=runs, measured=measured, memory=memory, machine=machine, settings=settings
    )
    if couples != DEFAULT_COUPLES:
        result["compared_with"] = scale_comparison(result, RESULTS / "pages.json")
    name = "pages" if couples == DEFAULT_COUPLES else f"pages-{couples}"
    results_write(result, RESULTS, name=name)
    print(results_markdown(result))
    return 0 if all(page["load"]["errors"] == 0 for page in result["pages"].values()) else 1


def _counts_summary(counts: dict) -> str:
    wanted = {
        "couples_couple": "couples",
        "goals_checkin": "check-ins",
        "therapy_sessions_therapysession": "sessions",
        "insurance_coverage": "coverages",
    }
    return ", ".join(
        f"{counts[table]:,} {label}" for table, label in wanted.items() if table in counts
    )
