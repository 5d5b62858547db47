"""What the audit log costs a write when many write at once.

`make bench-audit` (part of `make bench`) needs PostgreSQL (DATABASE_URL). It never touches
the database DATABASE_URL names: it creates `<name>_bench_audit` beside it afresh and
migrates it. Then, in rounds, 8 clients (BENCH_AUDIT_CLIENTS), each a partner signed in on
a thread of its own with Django's test client, post today's check-in again and again for a
few seconds — the whole request: middleware, form, service, audit event, commit — in three
ways:

- `off`: the same requests with the audit service switched off in this process (the ceiling);
- `chains`: the audit log as the app writes it (a writer takes the first free chain);
- `one chain`: every writer waits for chain 1, as the log was written before it had chains.

Each way's throughput is the median of its rounds, the rounds interleaved so a machine that
slows down slows all three. The target: `chains` at 85% or more of `off`. Afterwards
`audit_verify` must find every chain intact. Writes bench/results/audit.md and .json.
"""

import datetime
import json
import os
import platform
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
CLIENTS = int(os.environ.get("BENCH_AUDIT_CLIENTS", "8"))
SECONDS = float(os.environ.get("BENCH_AUDIT_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_AUDIT_ROUNDS", "9"))
TARGET_SHARE = 0.85
MODES = ("off", "chains", "one chain")
CHECKIN = "/portal/checkin/"
DAY = ""  # set once Django is up: today in the writers' zone


def database_fresh(database_url: str) -> str:
    """`<name>_bench_audit` beside the given database, dropped and created empty."""
    import psycopg

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_bench_audit"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def django_start(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    # As in production: with DEBUG on, Django keeps and logs every query, which would count
    # against the audited way (three queries more) and make it look dearer than it is.
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("AUDIT_CHAIN_KEY", secrets.token_urlsafe(50))
    os.environ["SECURE_SSL_REDIRECT"] = "false"  # the test client speaks plain HTTP
    os.environ.pop("REDIS_URL", None)  # nothing here uses the broker or the cache
    os.environ["ALLOWED_HOSTS"] = "testserver"  # the in-process test client's host
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    # The writers never follow the redirect whose page would read and clear the
    # confirmation: kept in the session, confirmations would pile up and each write would
    # save a larger session. In a cookie they drop it (as bench.pages does).
    settings.MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
    call_command("migrate", verbosity=0)


def writers_create(count: int) -> list:
    """A partner in a couple of their own for each writer, signed in with a test client."""
    from django.test import Client
    from django.utils import timezone

    from couples.models import Couple, Partner, User

    clients = []
    for number in range(count):
        user = User.objects.create(
            email=f"bench-audit-{number}@example.test", first_name=f"Writer{number}"
        )
        couple = Couple.objects.create(
            status=Couple.Status.ACTIVE,
            admitted_on=timezone.localdate() - datetime.timedelta(days=30),
            time_zone="America/New_York",
        )
        Partner.objects.create(user=user, couple=couple)
        client = Client()
        client.force_login(user)
        clients.append(client)
    return clients


def write_once(client, number: int) -> None:
    """One request: today's check-in, posted again (each post corrects it and is audited)."""
    response = client.post(
        CHECKIN,
        {
            "day": DAY,
            "is_sober": "yes",
            "craving": str(number % 10),
            "mood": "4",
            "note": f"Benchmark check-in {number}.",
        },
    )
    if response.status_code != 302:
        raise RuntimeError(f"check-in answered {response.status_code}")
    client.cookies.pop("messages", None)  # the confirmation is never read here


def load(writers: list, *, mode: str, seconds: float) -> dict:
    """Each writer in its own thread (its own connection) for `seconds`: writes per second."""
    from django.db import connection

    from audit import services
    from audit.models import AuditChainHead, AuditEvent

    counts = [0] * len(writers)
    errors: list[str] = []
    start = threading.Barrier(len(writers) + 1)

    def run(index: int, user) -> None:
        try:
            start.wait()
            ends = time.monotonic() + seconds
            while time.monotonic() < ends:
                write_once(user, counts[index])
                counts[index] += 1
        except Exception as error:  # reported, and the run is not counted
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    original_take, original_record = services.chain_head_take, services.audit_record_many
    if mode == "one chain":
        # As before there were chains: every writer waits for the one head.
        services.chain_head_take = lambda: AuditChainHead.objects.select_for_update().get(pk=1)
    if mode == "off":
        # For this measurement only: events made but never stored.
        services.audit_record_many = lambda **kwargs: [AuditEvent() for _ in kwargs["patients"]]
    try:
        threads = [threading.Thread(target=run, args=pair) for pair in enumerate(writers)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    finally:
        services.chain_head_take, services.audit_record_many = original_take, original_record
    if errors:
        raise RuntimeError(f"{mode}: {errors[0]}")
    return {"writes": sum(counts), "seconds": elapsed, "per_second": sum(counts) / elapsed}


def chains_used() -> dict[int, int]:
    from django.db.models import Count

    from audit.models import AuditEvent

    rows = AuditEvent.objects.values("chain").annotate(n=Count("pk")).order_by("chain")
    return {row["chain"]: row["n"] for row in rows}


def run(database_url: str, *, clients: int, seconds: float, rounds: int) -> dict:
    global DAY
    django_start(database_fresh(database_url))
    # The app's modules load once Django is set up (as in every function here).
    from audit.queries import audit_chain_problems

    DAY = datetime.datetime.now(ZoneInfo("America/New_York")).date().isoformat()
    writers = writers_create(clients)
    per_mode: dict[str, list[float]] = {mode: [] for mode in MODES}
    for number in range(rounds):
        for mode in MODES if number % 2 == 0 else reversed(MODES):
            result = load(writers, mode=mode, seconds=seconds)
            per_mode[mode].append(result["per_second"])
            print(f"  round {number + 1} {mode:<10} {result['per_second']:8.1f} writes/s")
    median = {mode: statistics.median(values) for mode, values in per_mode.items()}
    # Judged round by round: each way's throughput over `off`'s in the same round, then the
    # median of those shares, so the machine's drift between rounds (a shared machine's
    # throughput moves by a third here) favours neither way.
    paired = {
        mode: statistics.median(
            value / off for value, off in zip(per_mode[mode], per_mode["off"], strict=True)
        )
        for mode in MODES
    }
    checked, problems = audit_chain_problems()
    return {
        "clients": clients,
        "seconds_per_run": seconds,
        "rounds": rounds,
        "writes_per_second": per_mode,
        "median": median,
        "share_of_off": paired,
        "share_of_off_of_medians": {mode: median[mode] / median["off"] for mode in MODES},
        "target_share": TARGET_SHARE,
        "met": paired["chains"] >= TARGET_SHARE and not problems,
        "events_verified": checked,
        "verify_problems": problems,
        "events_per_chain": chains_used(),
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def results_write(result: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "audit.json").write_text(json.dumps(result, indent=2) + "\n")
    share = result["share_of_off"]
    lines = [
        "# Audit log under concurrent writes",
        "",
        f"{result['clients']} partners, each on a thread with its own PostgreSQL connection, "
        "post their daily check-in (the whole request in process, audited) as fast as they "
        f"can for {result['seconds_per_run']:g} s; {result['rounds']} rounds, the three ways "
        "interleaved. A way's share is the median, over the rounds, of its throughput over "
        "`off`'s in the same round (the machine drifts between rounds). Measured "
        f"{result['when']} ({result['machine']['cpus']} cores).",
        "",
        "| way | writes/s (median) | rounds | share of `off` (median of rounds) |",
        "|---|---:|---|---:|",
    ]
    for mode in MODES:
        rounds = ", ".join(f"{value:.0f}" for value in result["writes_per_second"][mode])
        lines.append(f"| {mode} | {result['median'][mode]:.0f} | {rounds} | {share[mode]:.0%} |")
    used = result["events_per_chain"]
    lines += [
        "",
        f"Target: `chains` at {result['target_share']:.0%} or more of `off`: "
        f"**{'met' if result['met'] else 'NOT met'}** ({share['chains']:.0%}).",
        "",
        f"audit_verify afterwards: {result['events_verified']:,} events in {len(used)} chains, "
        + (
            "every chain intact."
            if not result["verify_problems"]
            else "PROBLEMS: " + "; ".join(result["verify_problems"][:5])
        ),
        "",
        "Events per chain: " + ", ".join(f"{chain}: {n:,}" for chain, n in used.items()) + ".",
        "",
    ]
    (directory / "audit.md").write_text("\n".join(lines))


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        print("bench.audit needs DATABASE_URL on PostgreSQL (row locks are what it measures).")
        return 2
    result = run(database_url, clients=CLIENTS, seconds=SECONDS, rounds=ROUNDS)
    results_write(result, RESULTS)
    print((RESULTS / "audit.md").read_text())
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
