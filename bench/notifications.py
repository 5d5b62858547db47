"""How fast one Celery worker (prefork, concurrency 2) sends due session reminders.

`make bench-notifications` (part of `make bench`) needs PostgreSQL (DATABASE_URL) and Redis
(REDIS_URL). It never touches the database DATABASE_URL names: it creates and migrates
`couples_rehab_bench` (BENCH_DATABASE) beside it and empties it first. Then it:

1. seeds BENCH_REMINDERS (10,000) due 24-hour reminders in bulk: one session per couple,
   starting within the hour before 24 hours from now, both partners attending;
2. starts one worker on a queue of its own, with a mail sink for a backend, and waits until
   it is ready;
3. runs the beat tick (plan and dispatch) and times until every row is sent;
4. counts the sink's files per Message-ID (none may be there twice) and reads the worker's
   peak memory (RSS) and its memory after the run (PSS, which counts shared pages once);
5. writes bench/results/notifications.md and .json.

BENCH_REMINDERS changes the count; BENCH_WORKER_SETTINGS runs the worker with another settings
module, to measure a proposed change.
"""

import datetime
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_REMINDERS, TARGET_SECONDS = 10_000, 60.0
TARGET_WORKER_MB = 300  # the whole Celery worker (main and pool processes) after the fan-out
CLINICIANS = 50
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]


def bench_database_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_create(database_url: str) -> None:
    import psycopg

    parts = urlsplit(database_url)
    server = urlunsplit(parts._replace(path="/postgres"))
    name = parts.path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def seed(count: int) -> int:
    """Due 24-hour reminders for `count` people (rounded down to whole couples), in bulk."""
    from django.utils import timezone

    from couples.models import Clinician, Couple, NotificationPreference, Partner, User
    from sessions.models import Attendance, SessionKind, TherapySession

    couples = count // 2
    now = timezone.now()
    tag = secrets.token_hex(3)
    users = User.objects.bulk_create(
        User(email=f"bench-{tag}-{n}@example.test", first_name=f"Person{n}", password="!")
        for n in range(CLINICIANS + 2 * couples)
    )
    clinicians = Clinician.objects.bulk_create(
        Clinician(user=user, credentials="LMFT", can_be_couples_therapist=True)
        for user in users[:CLINICIANS]
    )
    couple_rows = Couple.objects.bulk_create(
        Couple(
            status=Couple.Status.ACTIVE,
            admitted_on=now.date() - datetime.timedelta(days=20),
            time_zone=ZONES[n % len(ZONES)],
        )
        for n in range(couples)
    )
    partners = Partner.objects.bulk_create(
        Partner(user=user, couple=couple_rows[n // 2]) for n, user in enumerate(users[CLINICIANS:])
    )
    sessions = TherapySession.objects.bulk_create(
        TherapySession(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=clinicians[n % CLINICIANS],
            couple=couple,
            starts_at=now + datetime.timedelta(hours=24, minutes=-1 - n % 60),
            ends_at=now + datetime.timedelta(hours=24, minutes=49 - n % 60),
            time_zone=couple.time_zone,
            created_by=clinicians[n % CLINICIANS].user,
        )
        for n, couple in enumerate(couple_rows)
    )
    Attendance.objects.bulk_create(
        Attendance(session=session, partner=partner)
        for n, session in enumerate(sessions)
        for partner in partners[2 * n : 2 * n + 2]
    )
    # Only the reminders are measured: no check-in prompt or digest falls due beside them,
    # whatever the time of day the benchmark runs at.
    NotificationPreference.objects.bulk_create(
        NotificationPreference(
            user=user, checkin_prompts=False, goal_review_prompts=False, morning_digest=False
        )
        for user in users
    )
    return 2 * couples


def run(
    *,
    count: int,
    database_url: str,
    redis_url: str,
    workdir: Path,
    queue: str,
    app_name: str = "cr-bench",
    worker_settings: str = "config.settings",
    timeout: float = 600,
) -> dict:
    """Seed, start a worker, tick, and time until every row is sent (see the module)."""
    from config.celery_app import app as celery_app
    from tests.delivery import harness

    celery_app.conf.task_default_queue = queue
    started = time.perf_counter()
    reminders = seed(count)
    seed_seconds = time.perf_counter() - started
    workdir.mkdir(parents=True, exist_ok=True)
    sink = workdir / "sink"
    env = harness.subprocess_env(
        database_url=database_url,
        redis_url=redis_url,
        sink=sink,
        data_dir=workdir / "data",
        app_name=app_name,
    )
    # Production-like: DEBUG keeps every query in memory and logs a warning per worker.
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        # The same key as this process's: both append to the same audit chains.
        AUDIT_CHAIN_KEY=os.environ["AUDIT_CHAIN_KEY"],
    )
    env["DJANGO_SETTINGS_MODULE"] = worker_settings
    worker = harness.Worker("bench", queue=queue, env=env, log=workdir / "worker.log")
    try:
        worker.wait_ready()
        measured = _measure(worker, reminders=reminders, timeout=timeout)
    finally:
        worker.stop()
    counts = harness.sent_counts(sink)
    return {
        "reminders": reminders,
        **measured,
        "emails_in_sink": sum(counts.values()),
        "distinct_message_ids": len(counts),
        "sent_twice_or_more": sum(1 for value in counts.values() if value > 1),
        "seed_seconds": round(seed_seconds, 2),
        "worker": {
            "pool": "prefork",
            "concurrency": 2,
            "prefetch_multiplier": 1,
            "settings": worker_settings,
        },
        "target": f"{TARGET_REMINDERS:,} reminders within {TARGET_SECONDS:.0f} s",
        "target_met": reminders >= TARGET_REMINDERS
        and measured["total_seconds"] <= TARGET_SECONDS * reminders / TARGET_REMINDERS
        and all(value == 1 for value in counts.values()),
        "one_send_in_process": send_profile(count=50),
        "machine": _machine(redis_url),
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def _measure(worker, *, reminders: int, timeout: float) -> dict:
    """Run the tick and wait for every row to be final; time it and account for the CPU."""
    from django.db.models import Count, Max, Min
    from django.utils import timezone

    from couples.models import Notification
    from couples.tasks import notifications_tick
    from tests.delivery import harness

    final = [Notification.Status.SENT, Notification.Status.WITHDRAWN, Notification.Status.FAILED]
    worker_before = {pid: harness.cpu_seconds(pid) for pid in worker.group_pids()}
    machine_before, own_before = harness.machine_busy_seconds(), _own_cpu_seconds()
    postgres_before = harness.postgres_server_cpu_seconds()
    started_at, started = timezone.now(), time.perf_counter()
    dispatched = notifications_tick()
    tick_seconds = time.perf_counter() - started
    while (done := Notification.objects.filter(status__in=final).count()) < reminders:
        if time.perf_counter() - started > timeout or not worker.is_running():
            raise RuntimeError(f"{done} of {reminders} final after {timeout} s\n{worker.tail()}")
        time.sleep(0.1)
    wall = time.perf_counter() - started
    pids = worker.group_pids()
    worker_cpu = {pid: harness.cpu_seconds(pid) - worker_before.get(pid, 0) for pid in pids}
    postgres_after = harness.postgres_server_cpu_seconds()
    cpu = {
        "worker_pool_processes": sum(v for pid, v in worker_cpu.items() if pid != worker.pid),
        "worker_main_process": worker_cpu.get(worker.pid, 0),
        # Every database on the server: what other programs ask of it is counted here too.
        "postgresql_server": (postgres_after or 0) - (postgres_before or 0),
        "tick_and_polling_process": _own_cpu_seconds() - own_before,
    }
    cpu["everything_else_on_the_machine"] = (
        harness.machine_busy_seconds() - machine_before - sum(cpu.values())
    )
    ours = sum(value for key, value in cpu.items() if key != "everything_else_on_the_machine")
    peaks = {pid: harness.peak_rss_kib(pid) for pid in pids}
    main_peak = peaks.pop(worker.pid, 0)
    shares = {pid: harness.pss_kib(pid) for pid in pids}
    main_share = shares.pop(worker.pid, 0)
    worker_mb = (main_share + sum(shares.values())) * 1024 / 1e6
    times = Notification.objects.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    total_seconds = (times["last"] - started_at).total_seconds()
    statuses = dict(Notification.objects.values_list("status").annotate(rows=Count("pk")))
    return {
        "dispatched_by_tick": dispatched,
        "sent": statuses.get(Notification.Status.SENT, 0),
        "statuses": statuses,
        "tick_seconds": round(tick_seconds, 2),
        "first_sent_after_seconds": round((times["first"] - started_at).total_seconds(), 2),
        "total_seconds": round(total_seconds, 2),
        "sent_per_second": round(reminders / total_seconds, 1),
        "cpu_seconds": {key: round(value, 1) for key, value in cpu.items()},
        "cpu_available_seconds": round(wall * (os.cpu_count() or 1), 1),
        "pool_cpu_ms_per_send": round(1000 * cpu["worker_pool_processes"] / reminders, 2),
        "cpu_ms_per_send": round(1000 * ours / reminders, 2),
        # What the same work would reach with every core to itself (other load excluded).
        "sent_per_second_if_alone": round(reminders * (os.cpu_count() or 1) / ours, 1),
        "worker_peak_rss_mib": {
            "main_process": round(main_peak / 1024, 1),
            "pool_processes": [round(value / 1024, 1) for value in sorted(peaks.values())],
            "total": round((main_peak + sum(peaks.values())) / 1024, 1),
        },
        # What the worker uses after the fan-out: the sum of RSS counts the pages the pool's
        # children share with the main process once per process.
        "worker_pss_after_mib": {
            "main_process": round(main_share / 1024, 1),
            "pool_processes": [round(value / 1024, 1) for value in sorted(shares.values())],
            "total": round((main_share + sum(shares.values())) / 1024, 1),
        },
        "worker_memory_target": f"the Celery worker under {TARGET_WORKER_MB} MB after the fan-out",
        "worker_memory_target_met": worker_mb < TARGET_WORKER_MB,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
    }


def send_profile(*, count: int) -> dict:
    """The send path in this process, without Celery: time and queries per send, and what
    share of the time the queries take (client side: ORM, driver and round trip)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from couples.models import Notification
    from couples.notifications import notification_send, notifications_plan

    newest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    seed(2 * count)
    notifications_plan(now=timezone.now())
    ids = list(Notification.objects.filter(pk__gt=newest).values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        for pk in ids:
            notification_send(notification_id=pk)
        seconds = time.perf_counter() - started
    query_seconds = sum(float(query["time"]) for query in queries.captured_queries)
    return {
        "sends": len(ids),
        "ms_per_send": round(1000 * seconds / len(ids), 2),
        "queries_per_send": round(len(queries.captured_queries) / len(ids), 2),
        "query_ms_per_send": round(1000 * query_seconds / len(ids), 2),
        "queries_of_one_send": [
            query["sql"][:90] for query in queries.captured_queries[: len(queries) // len(ids)]
        ],
    }


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def _machine(redis_url: str) -> dict:
    import redis
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres_version = cursor.fetchone()[0]
    broker = redis.Redis.from_url(redis_url)
    redis_version = broker.info("server")["redis_version"]
    broker.close()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": postgres_version,
        "redis": redis_version,
    }


def results_write(result: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "notifications.json").write_text(json.dumps(result, indent=2) + "\n")
    memory, shares, cpu, one = (
        result["worker_peak_rss_mib"],
        result["worker_pss_after_mib"],
        result["cpu_seconds"],
        result["one_send_in_process"],
    )
    verdict = "met" if result["target_met"] else "MISSED"
    lines = [
        "# Notification delivery benchmark",
        "",
        f"Measured {result['measured_at']} by `make bench-notifications` "
        "(bench/notifications.py): one Celery worker, prefork, concurrency 2, settings "
        f"`{result['worker']['settings']}`, on PostgreSQL and Redis; mail to a file sink "
        "(each message serialised as SMTP would, then written and renamed).",
        "",
        "| | |",
        "|---|---|",
        f"| Due 24-hour reminders | {result['reminders']:,} |",
        f"| Sent | {result['sent']:,} (statuses: {result['statuses']}) |",
        f"| Emails in the sink / distinct Message-IDs | {result['emails_in_sink']:,} / "
        f"{result['distinct_message_ids']:,} |",
        f"| Sent twice or more | {result['sent_twice_or_more']} |",
        f"| Tick (plan and dispatch) | {result['tick_seconds']} s |",
        f"| First email after the tick began | {result['first_sent_after_seconds']} s |",
        f"| Last email after the tick began | {result['total_seconds']} s |",
        f"| **Sent per second** | **{result['sent_per_second']}** |",
        f"| Target ({result['target']}, none twice) | {verdict} |",
        f"| Worker peak RSS | main {memory['main_process']} MiB, pool "
        f"{', '.join(str(value) for value in memory['pool_processes'])} MiB, "
        f"total {memory['total']} MiB |",
        f"| Worker after the fan-out (PSS: shared pages counted once) | main "
        f"{shares['main_process']} MiB, pool "
        f"{', '.join(str(value) for value in shares['pool_processes'])} MiB, "
        f"total {shares['total']} MiB |",
        f"| Target ({result['worker_memory_target']}) | "
        f"{'met' if result['worker_memory_target_met'] else 'MISSED'} |",
        f"| Seeding (bulk inserts, not timed above) | {result['seed_seconds']} s |",
        f"| Load average just after | {result['load_average_after']} |",
        f"| Machine | {result['machine']} |",
        "",
        f"## Where the CPU went ({result['cpu_available_seconds']} CPU-seconds available)",
        "",
        "| | CPU seconds |",
        "|---|---|",
        *[f"| {name.replace('_', ' ')} | {value} |" for name, value in cpu.items()],
        "",
        f"Per email: {result['pool_cpu_ms_per_send']} ms of CPU in the pool processes, "
        f"{result['cpu_ms_per_send']} ms in all the processes above but the last. With the "
        f"machine to itself that would allow about {result['sent_per_second_if_alone']} "
        "emails per second (an estimate, on the low side when other programs used "
        "PostgreSQL during the run).",
        "",
        "## One send in this process, without Celery",
        "",
        f"{one['sends']} sends: {one['ms_per_send']} ms each, {one['queries_per_send']} queries "
        f"each taking {one['query_ms_per_send']} ms together (ORM, driver and round trip).",
        "",
        *[f"1. `{sql}`" for sql in one["queries_of_one_send"]],
        "",
    ]
    (directory / "notifications.md").write_text("\n".join(lines))


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        print(
            "make bench-notifications needs DATABASE_URL=postgres://… "
            "(it creates a database of its own beside that one)."
        )
        return 2
    if urlsplit(redis_url).scheme not in ("redis", "rediss"):
        print("make bench-notifications needs REDIS_URL=redis://… (the real broker).")
        return 2
    name = os.environ.get("BENCH_DATABASE", "couples_rehab_bench")
    if urlsplit(database_url).path.lstrip("/") == name:
        print(
            f"DATABASE_URL names {name}: point it at your usual database; the bench empties {name}."
        )
        return 2
    bench_url = bench_database_url(database_url, name)
    database_create(bench_url)
    with tempfile.TemporaryDirectory(prefix="cr-bench-") as workdir:
        os.environ.update(
            DATABASE_URL=bench_url,
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            AUDIT_CHAIN_KEY=secrets.token_urlsafe(50),
            # The bench empties its database with flush (TRUNCATE), which the audit log
            # refuses unless a superuser session allows it (audit/migrations/0004).
            PGOPTIONS="-c couples.audit_truncate=allowed",
            # The sends measured in this process go to a sink too.
            MAIL_BACKEND="tests.delivery.mailsink.EmailBackend",
            MAIL_SINK_DIR=str(Path(workdir) / "profile-sink"),
        )
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        call_command("flush", verbosity=0, interactive=False)
        count = int(os.environ.get("BENCH_REMINDERS", TARGET_REMINDERS))
        result = run(
            count=count,
            database_url=bench_url,
            redis_url=redis_url,
            workdir=Path(workdir),
            queue=f"bench-{secrets.token_hex(4)}",
            worker_settings=os.environ.get("BENCH_WORKER_SETTINGS", "config.settings"),
        )
    results_write(result, RESULTS)
    print((RESULTS / "notifications.md").read_text())
    return 0 if result["sent_twice_or_more"] == 0 and result["sent"] == result["reminders"] else 1


if __name__ == "__main__":
    sys.exit(main())
