"""The outbox under faults: 2,000 due reminders per run through the real beat and a worker
(prefork, concurrency 2) on PostgreSQL, a private Redis and a real SMTP server, with one fault
per scenario; every email counted by Message-ID at the server.

`make bench-faults` needs PostgreSQL (DATABASE_URL; it creates `couples_rehab_faults` beside
that database and empties it between runs) and `redis-server` on the PATH (each run starts its
own, without persistence, so stopping it loses what it held, as a crash would). It writes
bench/results/faults.md and .json. FAULTS_SCENARIOS picks scenarios (comma-separated names
below), FAULTS_MESSAGES the count (2,000), FAULTS_SMTP_OUTAGE_MINUTES the refusal (30),
FAULTS_KILLS the kill runs (10).

Per scenario:
- lost: reminders whose session had not started and that never reached the mail server, plus
  rows that ended failed;
- doubled: Message-IDs the server received more than once;
- drain: seconds from the end of the fault (the new worker ready, Redis back, the server
  answering) until every row is final (sent, or expired because its session had started).
"""

import datetime
import json
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
QUEUE = "celery"
TARGET_DRAIN_SECONDS = 90
TARGET_KILL_DOUBLES_PER_1000 = 1


class Run:
    """One scenario's world: the database emptied and seeded, a Redis, an SMTP server, beat
    and workers, and the clock of the fault."""

    def __init__(self, name: str, *, workdir: Path, database_url: str, messages: int):
        from bench import notifications as seeding
        from tests.delivery import harness
        from tests.delivery.smtpserver import SMTPServer

        self.name = name
        self.harness = harness
        self.directory = workdir / name
        self.directory.mkdir(parents=True)
        self.redis = harness.RedisServer(self.directory / "redis")
        self.redis.start()
        self.smtp = SMTPServer(self.directory / "sink", harness.free_port())
        self.smtp.accept()
        self.app_name = harness.unique_name("cr-faults")
        self.env = harness.subprocess_env(
            database_url=database_url,
            redis_url=self.redis.url,
            sink=self.directory / "sink",
            data_dir=self.directory / "data",
            app_name=self.app_name,
        )
        for key in ("MAIL_BACKEND", "MAIL_SINK_DIR"):
            self.env.pop(key, None)
        self.env.update(self.smtp.env())
        self.env.update(
            EMAIL_TIMEOUT=os.environ.get("EMAIL_TIMEOUT", "10"),
            DEBUG="false",
            SECRET_KEY=os.environ["SECRET_KEY"],
            AUDIT_CHAIN_KEY=os.environ["AUDIT_CHAIN_KEY"],
        )
        self.processes = []
        _database_empty()
        self.reminders = seeding.seed(messages)
        self.fault_ended: float | None = None
        self.notes: list[str] = []

    def plan(self) -> int:
        """Write the reminders' rows now, as beat's first tick would a minute from now."""
        from django.utils import timezone

        from couples import notifications

        return notifications.notifications_plan(now=timezone.now())

    def worker(self, name: str = "worker"):
        worker = self.harness.Worker(
            self.harness.unique_name(name),
            queue=QUEUE,
            env=self.env,
            log=self.directory / f"{name}-{len(self.processes)}.log",
        )
        self.processes.append(worker)
        worker.wait_ready()
        return worker

    def beat(self, name: str = "beat"):
        schedule = self.directory / f"{name}-schedule"
        command = [str(self.harness.BIN / "celery"), "-A", "config", "beat", "-s", str(schedule)]
        beat = self.harness.Process(
            name, command + ["--loglevel", "INFO"], self.env, self.directory / f"{name}.log"
        )
        self.processes.append(beat)
        return beat

    def sent(self) -> int:
        return self.smtp.kept

    def wait_sent(self, count: int, timeout: float = 300) -> None:
        self.harness.wait_for(
            lambda: self.sent() >= count, timeout=timeout, what=f"{count} emails", interval=0.05
        )

    def fault_ends(self) -> None:
        self.fault_ended = time.monotonic()

    def finish(self, timeout: float = 900) -> dict:
        """Wait until every row is final; count and time."""
        from django.db.models import Count

        from couples.models import Notification

        final = ["sent", "withdrawn", "failed", "expired"]
        deadline = time.monotonic() + timeout
        total = Notification.objects.count()
        while Notification.objects.filter(status__in=final).count() < total:
            if time.monotonic() > deadline:
                self.notes.append(f"not final after {timeout} s")
                break
            time.sleep(0.25)
        drained_at = time.monotonic()
        counts = self.harness.sent_counts(self.smtp.folder)
        rows = Notification.objects.values_list("pk", "status", "slot")
        now = datetime.datetime.now(datetime.UTC)
        should_arrive = {pk for pk, status, slot in rows if status == "sent" or slot > now}
        failed = {pk for pk, status, _ in rows if status == "failed"}
        lost = {pk for pk in should_arrive if counts.get(pk, 0) == 0} | failed
        statuses = dict(Notification.objects.values_list("status").annotate(n=Count("pk")))
        expired_notes = sorted(
            set(Notification.objects.filter(status="expired").values_list("status_note", flat=True))
        )
        result = {
            "scenario": self.name,
            "messages": total,
            "statuses": statuses,
            "emails_received": sum(counts.values()),
            "lost": len(lost),
            "doubled": sum(1 for value in counts.values() if value > 1),
            "drain_seconds": (
                round(drained_at - self.fault_ended, 1) if self.fault_ended else None
            ),
            "expired_because": expired_notes,
            "notes": self.notes,
        }
        return result

    def close(self) -> None:
        from django.db import connection

        for process in self.processes:
            process.kill()
        self.smtp.close()
        self.redis.stop()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                [self.app_name],
            )


def _database_empty() -> None:
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("flush", verbosity=0, interactive=False)
    cache.clear()


# --- Scenarios -----------------------------------------------------------------------------------


def baseline(run: Run) -> None:
    run.plan()
    run.beat()
    run.worker()
    run.fault_ends()  # no fault: the drain is the whole send, from the worker ready


def kill(run: Run, *, seed: int) -> None:
    """kill -9 the worker (its pool too) at a random moment of the batch; a new one 10 s later."""
    chance = random.Random(seed)
    run.plan()
    run.beat()
    worker = run.worker()
    at = chance.randint(run.reminders // 20, run.reminders * 19 // 20)
    run.wait_sent(at)
    worker.kill()
    run.notes.append(f"killed at {run.sent()} of {run.reminders} sent")
    time.sleep(10)
    run.worker("second")
    run.fault_ends()


def workers_and_beats(run: Run) -> None:
    """Three workers and two beats at once for the whole batch."""
    run.plan()
    run.beat("beat-one")
    run.beat("beat-two")
    for name in ("one", "two", "three"):
        run.worker(name)
    run.fault_ends()


def redis_stopped(run: Run) -> None:
    """Redis stopped for 60 s a third of the way through (what it held is lost)."""
    run.plan()
    run.beat()
    run.worker()
    run.wait_sent(run.reminders // 3)
    run.redis.stop()
    time.sleep(60)
    run.redis.start()
    run.fault_ends()


def connections_dropped(run: Run) -> None:
    """Every PostgreSQL connection of the worker (and beat) terminated a third of the way."""
    from django.db import connection

    run.plan()
    run.beat()
    run.worker()
    run.wait_sent(run.reminders // 3)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            [run.app_name],
        )
        run.notes.append(f"{cursor.fetchone()[0]} connections terminated")
    run.fault_ends()


def smtp_refusing(run: Run, *, minutes: float) -> None:
    """The mail server refuses connections for `minutes`, then is back. Beside the 24-hour
    reminders, 1-hour reminders due now for sessions starting during the outage (they must
    expire) and soon after it (they must arrive)."""
    from django.utils import timezone

    from couples import notifications
    from sessions.models import TherapySession

    now = timezone.now()
    outage = datetime.timedelta(minutes=minutes)
    sessions = list(TherapySession.objects.order_by("pk")[:100])
    for number, session in enumerate(sessions):
        # Half start during the outage, half within 20 minutes after it.
        offset = (
            outage * (number + 1) / 51 if number < 50 else outage + outage * (number - 49) / 150
        )
        session.starts_at = now + offset
        session.ends_at = session.starts_at + datetime.timedelta(minutes=50)
    TherapySession.objects.bulk_update(sessions, ["starts_at", "ends_at"])
    run.plan()  # the other sessions' 24-hour reminders
    notifications.notifications_create(run.harness.one_hour_reminders(sessions, due_at=now))
    run.smtp.refuse()
    run.beat()
    run.worker()
    time.sleep(outage.total_seconds())
    run.smtp.accept()
    run.fault_ends()


def smtp_hanging(run: Run, *, minutes: float) -> None:
    """The mail server accepts connections and never answers, for `minutes`."""
    run.plan()
    run.smtp.hang()
    run.beat()
    run.worker()
    time.sleep(minutes * 60)
    run.smtp.accept()
    run.fault_ends()


# --- The report ----------------------------------------------------------------------------------


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        print("make bench-faults needs DATABASE_URL=postgres://… (it makes its own database).")
        return 2
    from bench.notifications import bench_database_url, database_create

    name = os.environ.get("FAULTS_DATABASE", "couples_rehab_faults")
    url = bench_database_url(database_url, name)
    database_create(url)
    messages = int(os.environ.get("FAULTS_MESSAGES", 2000))
    outage = float(os.environ.get("FAULTS_SMTP_OUTAGE_MINUTES", 30))
    kills = int(os.environ.get("FAULTS_KILLS", 10))
    scenarios = {
        "baseline": ("baseline, one worker", baseline),
        "workers_and_beats": ("three workers and two beats at once", workers_and_beats),
        "connections_dropped": (
            "the worker's PostgreSQL connections terminated mid-batch",
            connections_dropped,
        ),
        "redis_stopped": ("Redis stopped 60 s mid-batch (its queue lost)", redis_stopped),
        "smtp_hanging": (
            "SMTP accepting, then never answering, for 3 minutes",
            lambda run: smtp_hanging(run, minutes=3),
        ),
        "smtp_refusing": (
            f"SMTP refusing connections for {outage:g} minutes",
            lambda run: smtp_refusing(run, minutes=outage),
        ),
    }
    for number in range(kills):
        scenarios[f"kill_{number + 1}"] = (
            f"kill -9 the worker at a random moment ({number + 1} of {kills}), new one 10 s later",
            lambda run, number=number: kill(run, seed=number),
        )
    chosen = os.environ.get("FAULTS_SCENARIOS", "")
    names = [n for n in chosen.split(",") if n] if chosen else list(scenarios)
    with tempfile.TemporaryDirectory(prefix="cr-faults-") as workdir:
        os.environ.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="false",
            SECRET_KEY=secrets.token_urlsafe(50),
            AUDIT_CHAIN_KEY=secrets.token_urlsafe(50),
            PGOPTIONS="-c couples.audit_truncate=allowed",
            MAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        )
        sys.path.insert(0, str(ROOT))
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0, interactive=False)
        results = []
        for key in names:
            label, scenario = scenarios[key]
            print(f"{key}: {label}", flush=True)
            run = Run(key, workdir=Path(workdir), database_url=url, messages=messages)
            try:
                scenario(run)
                result = run.finish()
            finally:
                run.close()
            result["label"] = label
            print(json.dumps(result), flush=True)
            results.append(result)
    report_write(results, messages=messages)
    return 0


def report_write(results: list[dict], *, messages: int) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    measured = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    (RESULTS / "faults.json").write_text(
        json.dumps({"measured_at": measured, "results": results}, indent=2) + "\n"
    )
    kills = [r for r in results if r["scenario"].startswith("kill_")]
    killed_messages = sum(r["messages"] for r in kills)
    kill_doubles = sum(r["doubled"] for r in kills)
    lines = [
        "# The outbox under faults",
        "",
        f"Measured {measured} by `make bench-faults` (bench/faults.py): {messages:,} due "
        "reminders per run, the real beat (dispatch every 15 s, plan every minute) and a "
        "Celery worker (prefork, concurrency 2) on PostgreSQL, a private Redis and a real SMTP "
        "server (EMAIL_TIMEOUT 10 s); every email counted by Message-ID at the server. Drain: "
        "from the end of the fault until every row is final. Targets: lost 0, doubled 0 "
        f"(kills: at most {TARGET_KILL_DOUBLES_PER_1000} per 1,000 messages), drain within "
        f"{TARGET_DRAIN_SECONDS} s.",
        "",
        "| scenario | messages | lost | doubled | drain | statuses | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        drain = "—" if r["drain_seconds"] is None else f"{r['drain_seconds']} s"
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(r["statuses"].items()))
        notes = "; ".join(r["notes"] + [f"expired: {n}" for n in r["expired_because"]])
        lines.append(
            f"| {r['label']} | {r['messages']:,} | {r['lost']} | {r['doubled']} | {drain} | "
            f"{statuses} | {notes} |"
        )
    if kills:
        rate = 1000 * kill_doubles / killed_messages if killed_messages else 0
        lines += [
            "",
            f"Kills: {len(kills)} runs, {kill_doubles} doubled of {killed_messages:,} messages "
            f"({rate:.2f} per 1,000); drains "
            f"{', '.join(str(r['drain_seconds']) for r in kills)} s. A kill doubles at most one "
            "email per pool process: one the mail server had accepted when the process died, "
            "before its row was marked sent (the at-least-once window; the copy carries the same "
            "Message-ID).",
        ]
    worst = max((r["drain_seconds"] or 0 for r in results), default=0)
    met = (
        all(r["lost"] == 0 for r in results)
        and all(r["doubled"] == 0 for r in results if not r["scenario"].startswith("kill_"))
        and (not kills or 1000 * kill_doubles / killed_messages <= TARGET_KILL_DOUBLES_PER_1000)
        and worst <= TARGET_DRAIN_SECONDS
    )
    lines += ["", f"Targets {'met' if met else 'MISSED'} (longest drain {worst} s).", ""]
    (RESULTS / "faults.md").write_text("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
