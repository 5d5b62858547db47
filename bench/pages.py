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
again.
"""

import datetime
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / ".work"
BIN = Path(sys.executable).parent
SETTINGS = "bench.settings_pages"
# Issue 16: with nothing kept, every page at a fifth of the floor or better, p95 < 100 ms.
TARGET_FLOOR_SHARE, TARGET_P95_MS, TARGET_WORKER_MB = 0.20, 100.0, 250.0
# A page's run is disturbed when other work on the machine took more than this share of it.
DISTURBED = 0.10
MB_PER_MIB = 1.048576


@dataclass(frozen=True)
class Page:
    """A page under load: who asks for it, where, and how to tell it is the real page."""

    ROLES: ClassVar[tuple[str, ...]] = ("clinician", "partner", "insurance_staff")

    name: str
    title: str
    role: str
    path: str
    marker: bytes = b""
    method: str = "GET"
    redirect_to: str = ""

    @property
    def status(self) -> int:
        return 302 if self.redirect_to else 200

    def check(self, status: int, location: str, body: bytes) -> None:
        """Raise unless the response is the page itself (not a login redirect or an error)."""
        if status != self.status or (self.redirect_to and location != self.redirect_to):
            raise RuntimeError(f"{self.name}: status {status} {location}\n{body[:1500]!r}")
        if self.marker and self.marker not in body:
            raise RuntimeError(f"{self.name}: {self.marker!r} not in the page\n{body[:1500]!r}")


FLOOR = Page("floor", "Floor: signed in, one indexed query", "partner", "/bench/floor/",
             b"bench-floor: signed in as")  # fmt: skip
# A reference without targets: the floor inside base.html, which every page extends.
LAYOUT = Page("floor_layout", "Reference: the floor in the app's layout", "partner",
              "/bench/floor/layout/", b"bench-floor-layout: signed in as")  # fmt: skip
REFERENCES = (FLOOR, LAYOUT)
PAGES = [
    Page("caseload", "Clinician caseload", "clinician", "/clinic/",
         b'<h1 class="h3 mb-1">Caseload</h1>'),
    Page("couple", "Couple page: overview", "clinician", "/clinic/couples/{couple}/",
         b'id="partners-heading"'),
    Page("couple_goals", "Couple page: goals tab", "clinician",
         "/clinic/couples/{couple}/goals/", b'id="goals-heading"'),
    Page("couple_checkins", "Couple page: check-ins tab", "clinician",
         "/clinic/couples/{couple}/checkins/", b'id="checkins-heading"'),
    Page("couple_sessions", "Couple page: sessions tab", "clinician",
         "/clinic/couples/{couple}/sessions/", b'id="sessions-heading"'),
    Page("couple_insurance", "Couple page: insurance tab", "clinician",
         "/clinic/couples/{couple}/insurance/", b'aria-current="page">Insurance</a>'),
    Page("portal_home", "Portal home", "partner", "/portal/", b'<h1 class="h3 mb-3">Hello,'),
    Page("checkin_post", "Daily check-in (POST)", "partner", "/portal/checkin/",
         method="POST", redirect_to="/portal/"),
    Page("week", "Clinician's week calendar", "clinician", "/clinic/sessions/week/",
         b"My sessions,"),
    Page("coverage_admin", "Coverage admin list", "insurance_staff",
         "/admin/insurance/coverage/", b'id="result_list"'),
    LAYOUT,
    FLOOR,
]  # fmt: skip


def checkin_form_data(html: str) -> dict[str, str]:
    """A valid daily check-in from the form page: its day and CSRF token, sober, craving 2."""

    def value_of(name: str) -> str:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        found = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
        if found is None:
            raise RuntimeError(f"The check-in form has no {name} field:\n{html[:1500]}")
        return found.group(1)

    return {
        "csrfmiddlewaretoken": value_of("csrfmiddlewaretoken"),
        "day": value_of("day"),
        "is_sober": "yes",
        "craving": "2",
        "mood": "4",
        "had_trust_discussion": "on",
        "note": "Benchmark check-in.",
    }


# Databases ---------------------------------------------------------------------------------


def database_url_named(database_url: str, name: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{name}"))


def database_name(database_url: str) -> str:
    return urlsplit(database_url).path.lstrip("/")


def _server(database_url: str):
    import psycopg

    server = database_url_named(database_url, "postgres")
    return psycopg.connect(server, autocommit=True)


def database_create(database_url: str, *, drop_first: bool = False) -> None:
    name = database_name(database_url)
    with _server(database_url) as connection:
        if drop_first:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{name}"')


def database_scalar(database_url: str, sql: str, params=()):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        return connection.execute(sql, params).fetchone()[0]


def manage(*args: str, env: dict, capture: bool = False) -> str:
    completed = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return completed.stdout or ""


def django_env(database_url: str, redis_url: str, **extra: str) -> dict:
    """What production sets (DEBUG off, a key, persistent connections), and the bench settings.

    Plain HTTP on localhost needs SECURE_SSL_REDIRECT off (its environment switch); cookies
    stay Secure as in production, the load generator sends them itself.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("CELERY_")}
    env.update(
        DJANGO_SETTINGS_MODULE=SETTINGS,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        DEBUG="false",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        DB_CONN_MAX_AGE="60",
        SECURE_SSL_REDIRECT="false",
        BENCH_STATIC_ROOT=str(WORK / "staticfiles"),
        DATA_DIR=str(WORK / "data"),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def scale_database_ready(database_url: str, env: dict, *, reseed: bool) -> dict:
    """Migrate the scale database and seed it once; later runs reuse it (seeding takes
    about a minute). The logins come from seed_scale's --json, kept in bench/.work/."""
    logins_file = WORK / f"{database_name(database_url)}.json"
    database_create(database_url)
    manage("migrate", "--noinput", "-v0", env=env)
    seeded = database_scalar(database_url, "SELECT EXISTS (SELECT 1 FROM couples_couple)")
    if seeded and logins_file.exists() and not reseed:
        seed = json.loads(logins_file.read_text())
        email = seed["logins"]["clinician"]["email"]
        if database_scalar(
            database_url, "SELECT EXISTS (SELECT 1 FROM couples_user WHERE email = %s)", [email]
        ):
            seeded_at = seed.get("seeded_at", "earlier")
            print(f"Reusing {database_name(database_url)} (seeded {seeded_at}).")
            return seed
    if seeded or reseed:
        print(f"Dropping {database_name(database_url)} to seed it again.")
        database_create(database_url, drop_first=True)
        manage("migrate", "--noinput", "-v0", env=env)
    manage("createcachetable", env=env)
    print(f"Seeding {database_name(database_url)} (about a minute)…")
    subprocess.run(
        [sys.executable, "-m", "bench.scale", "--yes-i-mean-it", "--json", str(logins_file)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seed = json.loads(logins_file.read_text())
    seed["seeded_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    logins_file.write_text(json.dumps(seed, indent=2))
    return seed


def demo_database_ready(database_url: str, env: dict) -> None:
    database_create(database_url)
    manage("migrate", "--noinput", "-v0", env=env)
    manage("createcachetable", env=env)
    if not database_scalar(database_url, "SELECT EXISTS (SELECT 1 FROM couples_couple)"):
        manage("seed_demo", "--allow-production", env=env, capture=True)


def django_helper(command: str, payload: dict, *, env: dict) -> dict:
    """Run bench/pages_django.py against the database in env (JSON in, JSON out)."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.pages_django", command],
        cwd=ROOT,
        env=env,
        input=json.dumps(payload),
        text=True,
        capture_output=True,
    )
    if completed.returncode:
        raise RuntimeError(f"bench.pages_django {command} failed:\n{completed.stderr}")
    return json.loads(completed.stdout)


# gunicorn ----------------------------------------------------------------------------------


class Gunicorn:
    """gunicorn as the Dockerfile starts it (2 sync workers, timeouts, access log), on
    127.0.0.1 and a free port, in its own process group."""

    def __init__(self, *, env: dict, workers: int = 2, log_dir: Path):
        self.port = _free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = log_dir / "gunicorn.log"
        command = [str(BIN / "gunicorn"), "config.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        command += ["--timeout", "30", "--graceful-timeout", "30"]
        command += ["--access-logfile", str(log_dir / "access.log")]
        command += ["--error-logfile", str(self.log), "--worker-tmp-dir", "/dev/shm"]
        self.workers = workers
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        import http.client

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.tail()}")
            if len(self.worker_pids()) == self.workers:
                try:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    connection.request("GET", "/healthz")
                    connection.getresponse().read()
                    return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        return sorted(pid for pid, parent in _parents().items() if parent == self.process.pid)

    def memory_mib(self) -> dict:
        """Peak (VmHWM) and current (VmRSS) resident memory of the master and each worker."""
        return {
            "master": _memory_mib(self.process.pid),
            "workers": [_memory_mib(pid) for pid in self.worker_pids()],
        }

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *self.worker_pids()])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return parents


def _memory_mib(pid: int) -> dict:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = round(int(rest.split()[0]) / 1024, 1)
    except OSError:
        pass
    return {"pid": pid, "peak_mib": values.get("VmHWM", 0.0), "now_mib": values.get("VmRSS", 0.0)}


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_by_pid(database_url: str, app_name: str) -> dict[int, float]:
    """CPU of each PostgreSQL backend serving gunicorn (found by its application name)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name]
        ).fetchall()
    return {pid: cpu_seconds(pid) for (pid,) in rows}


def postmaster_pid(database_url: str) -> int:
    """PostgreSQL's postmaster: the parent of this connection's backend process."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        return _parents().get(backend, 0)  # while the backend is still there


def reaped_children_cpu_seconds(pid: int) -> float:
    """CPU of a process's children that have exited (and been waited for): for the
    postmaster, parallel query workers and closed connections."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def children_cpu_by_pid(pid: int) -> dict[int, float]:
    """CPU of each live child of a process (for the postmaster: every backend)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return {}
    return {int(child): cpu_seconds(int(child)) for child in children}


def cpu_used_since(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two readings; a backend that closed in between (CONN_MAX_AGE)
    took what it used since the first reading with it, so this is a lower bound."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# The load ----------------------------------------------------------------------------------


def targets_build(*, port: int, sessions: dict, couple: int, pages=PAGES) -> dict:
    """Each page as a load target with its user's cookie, after one checked request; the
    check-in's form data and CSRF token come from the form page, with the same session."""
    import http.client

    from bench.loadgen import Target

    def fetch(method, path, headers, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        result = (response.status, response.getheader("Location", ""), response.read(), response)
        connection.close()
        return result

    targets = {}
    for page in pages:
        cookie = f"sessionid={sessions[page.role]}"
        path = page.path.format(couple=couple)
        body = None
        headers = {"Host": "127.0.0.1", "Cookie": cookie}
        if page.method == "POST":
            status, location, html, response = fetch("GET", path, headers)
            if status != 200:
                raise RuntimeError(f"{page.name}: the form page answered {status} {location}")
            csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie", ""))
            data = checkin_form_data(html.decode())
            body = urllib.parse.urlencode(data).encode()
            headers = {
                **headers,
                "Cookie": f"{cookie}; csrftoken={csrf.group(1)}" if csrf else cookie,
                "Content-Type": "application/x-www-form-urlencoded",
            }
        status, location, content, _ = fetch(page.method, path, headers, body)
        page.check(status, location, content)
        targets[page.name] = Target(
            name=page.name,
            path=path,
            headers=headers,
            method=page.method,
            body=body,
            status=page.status,
            location=page.redirect_to,
            marker=page.marker,
        )
    return targets


def load_run(
    generator, target, *, gunicorn: Gunicorn, database_url: str, app_name: str, **timing
) -> dict:
    """One page under load, with the CPU each party used meanwhile."""
    postgres_before = postgres_cpu_by_pid(database_url, app_name)
    postmaster = postmaster_pid(database_url)
    backends_before = children_cpu_by_pid(postmaster)
    before = {
        "gunicorn": gunicorn.cpu_seconds(),
        "postgres_exited": reaped_children_cpu_seconds(postmaster),
        "machine": machine_busy_seconds(),
    }
    started = time.monotonic()
    result = generator.run(target, **timing)
    wall = time.monotonic() - started
    served = result["requests"] or 1
    used = {
        "gunicorn": gunicorn.cpu_seconds() - before["gunicorn"],
        "postgres": cpu_used_since(postgres_before, postgres_cpu_by_pid(database_url, app_name)),
        "postgres_parallel_workers": _short_lived_cpu(postmaster, backends_before, before),
        "load_generator": result["client_cpu_seconds"],
    }
    used["everything_else"] = machine_busy_seconds() - before["machine"] - sum(used.values())
    # Warm-up included: CPU is read around the whole run, requests only after the warm-up.
    share = (timing["warmup"] + timing["duration"]) / timing["duration"]
    ours = sum(value for key, value in used.items() if key != "everything_else")
    available = wall * (os.cpu_count() or 1)
    return {
        **result,
        "cpu_seconds": {key: round(value, 1) for key, value in used.items()},
        "cpu_available_seconds": round(available, 1),
        "gunicorn_cpu_ms_per_request": round(1000 * used["gunicorn"] / served / share, 2),
        "postgres_cpu_ms_per_request": round(
            1000 * (used["postgres"] + used["postgres_parallel_workers"]) / served / share, 2
        ),
        # The machine is shared: what other work took, and what this page would reach with
        # every core to itself (CPU-bound, so an estimate: requests / our CPU-seconds).
        "others_cpu_share": round(max(used["everything_else"], 0) / available, 2),
        "requests_per_second_if_alone": round(served * share * (os.cpu_count() or 1) / ours, 1)
        if ours
        else 0.0,
        "load_average_after": [round(value, 2) for value in os.getloadavg()],
    }


def _short_lived_cpu(postmaster: int, backends_before: dict, before: dict) -> float:
    """Parallel query workers are processes of their own that exit after each query; the
    postmaster collects their CPU, with that of any connection that closed meanwhile. Such
    connections' CPU from before the run is taken out; what they used during it stays in
    (on a shared machine, a little of it may be someone else's)."""
    backends_after = children_cpu_by_pid(postmaster)
    closed = sum(cpu for pid, cpu in backends_before.items() if pid not in backends_after)
    reaped = reaped_children_cpu_seconds(postmaster) - before["postgres_exited"]
    return max(reaped - closed, 0.0)


def pages_load(
    *,
    port: int,
    targets: dict,
    gunicorn: Gunicorn,
    database_url: str,
    app_name: str,
    clients: int,
    mode: str,
    warmup: float,
    duration: float,
    retries: int = 0,
    rounds: int = 1,
    quiet: bool = False,
) -> dict:
    """The floor, then each page followed by the floor again, `rounds` times over. The
    machine's speed moves during a run (a shared machine: the floor ran at 373 and at 523
    req/s in consecutive runs of one benchmark), so each page is compared with the two floor
    runs beside it (adjacent_floor_rps), and the page's reported run is the round whose share
    of its floor is the median of its rounds (shares_by_round lists them all).

    A run during which other work took more than DISTURBED of the CPU is tried again, up to
    `retries` times; the least disturbed run is kept and the others are listed with it.
    """
    from bench.loadgen import LoadGenerator

    names = [page.name for page in PAGES if page is not FLOOR]
    order = ["floor", *[step for name in names for step in (name, "floor")]]
    by_page: dict[str, list[dict]] = {name: [] for name in names}
    every_floor = []
    with LoadGenerator("127.0.0.1", port, clients=clients, mode=mode) as generator:
        for number in range(1, rounds + 1):
            floors, pages = [], {}
            for name in order:
                kept = _load_run_kept(
                    generator,
                    targets[name],
                    gunicorn=gunicorn,
                    database_url=database_url,
                    app_name=app_name,
                    warmup=warmup,
                    duration=duration,
                    retries=retries,
                    label=f"{name} ({number}/{rounds})" if rounds > 1 else name,
                    quiet=quiet,
                )
                if name == "floor":
                    floors.append(kept)
                else:
                    pages[name] = kept
            for position, name in enumerate(names):
                beside = (floors[position], floors[position + 1])
                pages[name]["round"] = number
                pages[name]["adjacent_floor_rps"] = [run["requests_per_second"] for run in beside]
                pages[name]["adjacent_floor_rps_if_alone"] = [
                    run["requests_per_second_if_alone"] for run in beside
                ]
                by_page[name].append(pages[name])
            every_floor += floors
    runs = {}
    for name, candidates in by_page.items():
        ordered = sorted(candidates, key=_share_of_adjacent_floor)
        runs[name] = ordered[(len(ordered) - 1) // 2]  # the lower middle of an even count
        runs[name]["shares_by_round"] = [
            round(_share_of_adjacent_floor(run), 3) for run in candidates
        ]
        runs[name]["p95_ms_by_round"] = [run["p95_ms"] for run in candidates]
    # The floor's own row: its median run.
    ordered = sorted(every_floor, key=lambda run: run["requests_per_second"])
    runs["floor"] = ordered[(len(ordered) - 1) // 2]
    runs["floor"]["all_floor_runs"] = [run["requests_per_second"] for run in every_floor]
    runs["floor"]["all_floor_runs_errors"] = sum(run["errors"] for run in every_floor)
    return runs


def _share_of_adjacent_floor(run: dict) -> float:
    beside = run["adjacent_floor_rps"]
    floor = sum(beside) / len(beside)
    return run["requests_per_second"] / floor if floor else 0.0


def _load_run_kept(generator, target, *, retries: int, label: str, quiet: bool, **options):
    """One page's load run, repeated up to `retries` times while other work disturbed it."""
    attempts = []
    while len(attempts) <= retries:
        run = load_run(generator, target, **options)
        attempts.append(run)
        if not quiet:
            print(
                f"  {label:<22} {run['requests_per_second']:>8} req/s  p50 "
                f"{run['p50_ms']:>6} ms  p95 {run['p95_ms']:>6} ms  errors "
                f"{run['errors']}  others' CPU {run['others_cpu_share']:.0%}"
            )
        if run["others_cpu_share"] <= DISTURBED:
            break
    kept = min(attempts, key=lambda attempt: attempt["others_cpu_share"])
    kept["set_aside_as_disturbed"] = [
        {key: attempt[key] for key in ("requests_per_second", "p95_ms", "others_cpu_share")}
        for attempt in attempts
        if attempt is not kept
    ]
    return kept


# Results -----------------------------------------------------------------------------------


def query_shape(sql: str) -> str:
    """A query without what varies from call to call: IN-list lengths, savepoint names."""
    sql = re.sub(r"%s(, %s)+", "%s, …", sql)
    sql = re.sub(r'"s\d+_x\d+"', '"savepoint"', sql)
    return sql[:140]


def query_differences(scale: list[str], demo: list[str]) -> dict:
    """Which query shapes one database ran more often than the other. A shape that repeats
    at scale more than on the demo data is what an N+1 looks like; a shape on one side only
    is a branch the data took (a section with nothing to show, an audit entry)."""
    at_scale = Counter(query_shape(sql) for sql in scale)
    on_demo = Counter(query_shape(sql) for sql in demo)
    return {
        "more_at_scale": dict(at_scale - on_demo),
        "more_on_demo": dict(on_demo - at_scale),
        "repeats_growing_with_data": sorted(
            shape for shape, count in at_scale.items() if count > 1 and count > on_demo[shape]
        ),
    }


def results_build(
    *, runs: dict, measured: dict, memory: dict, machine: dict, settings: dict
) -> dict:
    """Each page's figures against the floor and the targets, memory, and the context."""
    floor_run = runs["floor"]
    floor_rps = floor_run["requests_per_second"]
    floor_alone = floor_run["requests_per_second_if_alone"]
    pages = {}
    for page in PAGES:
        run = runs[page.name]
        scale, demo = measured["scale"][page.name], measured["demo"][page.name]
        # Against the floor runs just before and after this page (the median floor for its own).
        beside = run.get("adjacent_floor_rps", [floor_rps])
        beside_alone = run.get("adjacent_floor_rps_if_alone", [floor_alone])
        page_floor, page_floor_alone = (
            sum(beside) / len(beside),
            sum(beside_alone) / len(beside_alone),
        )
        ratio = run["requests_per_second"] / page_floor if page_floor else 0.0
        differences = query_differences(scale["sql"], demo["sql"])
        checks = {
            "floor_share": ratio >= TARGET_FLOOR_SHARE,
            # The slowest round's, not only the median round's.
            "p95": max(run.get("p95_ms_by_round", [run["p95_ms"]])) < TARGET_P95_MS,
            "queries_flat": not differences["repeats_growing_with_data"],
            "no_errors": run["errors"] == 0,
        }
        if page is FLOOR:
            checks = {"no_errors": run["all_floor_runs_errors"] == 0}
        elif page is LAYOUT:
            checks = {"no_errors": run["errors"] == 0}
        pages[page.name] = {
            "title": page.title,
            "method": page.method,
            "path": page.path,
            "requests_per_second": run["requests_per_second"],
            "p50_ms": run["p50_ms"],
            "p95_ms": run["p95_ms"],
            "queries_per_request": scale["queries"],
            "queries_per_request_demo": demo["queries"],
            "queries_equal": scale["queries"] == demo["queries"],
            "query_differences": differences,
            "queries_seen_under_load": run["queries_seen"],
            "floor_requests_per_second": round(page_floor, 1),
            "floor_share": round(ratio, 3),
            "floor_share_if_alone": round(
                run["requests_per_second_if_alone"] / page_floor_alone if page_floor_alone else 0.0,
                3,
            ),
            "others_cpu_share": run["others_cpu_share"],
            "targets": checks,
            "target_met": all(checks.values()),
            "load": {key: value for key, value in run.items() if key != "queries_seen"},
            "in_process": {"scale": scale, "demo": demo},
        }
    workers = memory["gunicorn"]["workers"]
    memory_ok = all(worker["now_mib"] * MB_PER_MIB < TARGET_WORKER_MB for worker in workers)
    notifications = notifications_figures()
    return {
        "pages": pages,
        "floor_requests_per_second": round(floor_rps, 1),
        "floor_requests_per_second_if_alone": round(floor_alone, 1),
        "floor_runs": runs["floor"]["all_floor_runs"],
        "memory": {
            **memory,
            "target": f"each gunicorn worker under {TARGET_WORKER_MB:.0f} MB resident after load",
            "target_met": memory_ok,
        },
        "targets": {
            "floor_share": f"at least {TARGET_FLOOR_SHARE:.0%} of the floor's requests per second",
            "p95": f"p95 under {TARGET_P95_MS:.0f} ms",
            "queries_flat": "the same queries per request at scale as on the demo data: no query "
            "repeats more often at scale (no N+1); a query one side runs and the other does not "
            "is a branch the data takes, listed under query_differences",
        },
        "all_targets_met": memory_ok
        and all(page["target_met"] for page in pages.values())
        and (
            notifications is None
            or bool(notifications["target_met"] and notifications["worker_memory_target_met"])
        ),
        "notifications": notifications,
        "settings": settings,
        "machine": machine,
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


def notifications_figures(path: Path = RESULTS / "notifications.json") -> dict | None:
    """The reminder fan-out and its Celery worker's memory, from `make bench-notifications`."""
    if not path.exists():
        return None
    result = json.loads(path.read_text())
    return {
        "reminders": result.get("reminders"),
        "total_seconds": result.get("total_seconds"),
        "sent_per_second": result.get("sent_per_second"),
        "target": result.get("target"),
        "target_met": result.get("target_met"),
        "worker_peak_rss_mib": result.get("worker_peak_rss_mib"),
        "worker_pss_after_mib": result.get("worker_pss_after_mib"),
        "worker_memory_target": result.get("worker_memory_target"),
        "worker_memory_target_met": result.get("worker_memory_target_met"),
        "measured_at": result.get("measured_at"),
    }


def machine_facts(database_url: str, redis_url: str = "") -> dict:
    import redis

    redis_version = "not used"
    if redis_url:
        broker = redis.Redis.from_url(redis_url)
        redis_version = broker.info("server")["redis_version"]
        broker.close()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgresql": database_scalar(database_url, "SHOW server_version"),
        "redis": redis_version,
        "gunicorn": _version("gunicorn"),
        "django": _version("django"),
        "load_average_before": [round(value, 2) for value in os.getloadavg()],
    }


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def results_write(result: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pages.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / "pages.md").write_text(results_markdown(result))


def _set_aside_summary(result: dict) -> str:
    set_aside = {
        page["title"]: len(page["load"].get("set_aside_as_disturbed", []))
        for page in result["pages"].values()
    }
    if not any(set_aside.values()):
        return "No run had to be repeated."
    repeated = ", ".join(f"{title} ×{count}" for title, count in set_aside.items() if count)
    return (
        f"Runs during which other work took over {DISTURBED:.0%} of the CPU were repeated "
        f"and set aside (pages.json lists them): {repeated}."
    )


def _rounds_note(page: dict) -> str:
    """The spread of a page's shares over the rounds, beside the median it is judged by."""
    shares = page["load"].get("shares_by_round") or []
    if len(shares) < 2:
        return ""
    return f" ({min(shares):.0%}–{max(shares):.0%})"


def _mark(ok: bool) -> str:
    return "" if ok else " ✗"


def results_markdown(result: dict) -> str:
    settings, machine, memory = result["settings"], result["machine"], result["memory"]
    lines = [
        "# Page benchmark",
        "",
        f"Measured {result['measured_at']} by `make bench-pages` (bench/pages.py): gunicorn, "
        f"{settings['gunicorn_workers']} sync workers, DEBUG off, on PostgreSQL and Redis; "
        f"{settings['clients']} concurrent clients ({settings['client_mode']}, on the same "
        f"machine), {settings['warmup_seconds']:.0f} s warm-up then "
        f"{settings['duration_seconds']:.0f} s per page. Data: `{settings['scale_database']}` "
        f"({settings['scale_counts']}); queries "
        f"compared with `{settings['demo_database']}` (seed_demo).",
        "",
        f"Targets: ≥ {TARGET_FLOOR_SHARE:.0%} of the floor's throughput, p95 < "
        f"{TARGET_P95_MS:.0f} ms, the same queries at scale as on the demo data (✗ marks a miss; "
        "† marks counts that differ only by branches the data takes, no query repeating more "
        "often at scale: see *Queries* below).",
        "",
        "| Page | req/s | p50 ms | p95 ms | queries (scale / demo) | floor req/s "
        "| share of floor | share if alone | others' CPU | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for page in result["pages"].values():
        checks = page["targets"]
        queries = f"{page['queries_per_request']} / {page['queries_per_request_demo']}"
        if not page["queries_equal"] and checks.get("queries_flat", True):
            queries += " †"
        lines.append(
            f"| {page['title']} | {page['requests_per_second']} | {page['p50_ms']} | "
            f"{page['p95_ms']}{_mark(checks.get('p95', True))} | "
            f"{queries}{_mark(checks.get('queries_flat', True))} | "
            f"{page['floor_requests_per_second']} | "
            f"{page['floor_share']:.0%}{_mark(checks.get('floor_share', True))}"
            f"{_rounds_note(page)} | "
            f"{page['floor_share_if_alone']:.0%} | {page['others_cpu_share']:.0%} | "
            f"{page['load']['errors']} |"
        )
    lines += [
        "",
        f"Floor: {result['floor_requests_per_second']} req/s, the median of "
        f"{len(result['floor_runs'])} runs: in each of {result['settings'].get('rounds', 1)} "
        "round(s), one before the first page and one after each "
        f"({', '.join(str(value) for value in result['floor_runs'])} req/s). Each page's "
        "share is of the mean of the two floor runs beside it (its *floor* column), so the "
        "machine's drift during the benchmark favours no page; a page's row is its median "
        "round, with the range of its rounds' shares in brackets. "
        "The machine is shared: *others' CPU* is the share of both cores that other work took "
        "during the page's run, and *share if alone* compares requests per CPU-second of "
        "gunicorn, PostgreSQL and the load generator together (what each page would reach "
        f"with the machine to itself: floor {result['floor_requests_per_second_if_alone']} "
        "req/s), so a busy neighbour does not move it. "
        f"{_set_aside_summary(result)}",
        "",
        "## Where each request's time goes",
        "",
        "Server side under load (from response headers: Django's time and the SQL in it), CPU "
        "per request from /proc (PostgreSQL: gunicorn's connections plus parallel query "
        "workers), and one request in-process without load.",
        "",
        "| Page | Django ms | of it SQL ms | gunicorn CPU ms | PostgreSQL CPU ms | in-process ms "
        "| load avg after |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for page in result["pages"].values():
        load, scale = page["load"], page["in_process"]["scale"]
        lines.append(
            f"| {page['title']} | {load['server_app_ms_mean']} | {load['server_db_ms_mean']} | "
            f"{load['gunicorn_cpu_ms_per_request']} | {load['postgres_cpu_ms_per_request']} | "
            f"{scale['ms_per_request_in_process']} | {load['load_average_after']} |"
        )
    lines += [
        "",
        "Nothing rendered is kept between requests: every request draws its page in full.",
    ]
    lines += _hot_spot_lines(result)
    lines += _query_difference_lines(result)
    master = memory["gunicorn"]["master"]
    lines += [
        "",
        "## Memory",
        "",
        "| Process | Resident after the run | Peak |",
        "|---|---:|---:|",
        f"| gunicorn master | {master['now_mib']} MiB | {master['peak_mib']} MiB |",
        *[
            f"| gunicorn worker {n} | {w['now_mib']} MiB"
            f"{_mark(w['now_mib'] * MB_PER_MIB < TARGET_WORKER_MB)} | {w['peak_mib']} MiB |"
            for n, w in enumerate(memory["gunicorn"]["workers"], start=1)
        ],
    ]
    notifications = result["notifications"]
    if notifications:
        celery = notifications["worker_peak_rss_mib"] or {}
        pool = ", ".join(str(value) for value in celery.get("pool_processes", []))
        shares = notifications["worker_pss_after_mib"] or {}
        lines += [
            f"| Celery worker main (notifications run) | | {celery.get('main_process')} MiB |",
            f"| Celery pool processes (notifications run) | | {pool} MiB |",
            "| Celery worker, all three processes after the fan-out (PSS: shared pages once) | "
            f"{shares.get('total')} MiB{_mark(bool(notifications['worker_memory_target_met']))} "
            "| |",
            "",
            "## Reminder fan-out (bench/results/notifications.json)",
            "",
            f"{notifications['reminders']:,} due reminders sent in "
            f"{notifications['total_seconds']} s: "
            f"**{notifications['sent_per_second']} per second**; target {notifications['target']}: "
            f"{'met' if notifications['target_met'] else 'MISSED'} (measured "
            f"{notifications['measured_at']}).",
        ]
    else:
        lines += ["", "No bench/results/notifications.json yet: run `make bench-notifications`."]
    lines += [
        "",
        f"Memory target ({memory['target']}): {'met' if memory['target_met'] else 'MISSED'}. "
        "All targets met (pages, memory, reminder fan-out): "
        f"{'yes' if result['all_targets_met'] else 'no'}.",
        "",
        f"Machine: {machine['cpus']} CPUs, Python {machine['python']}, PostgreSQL "
        f"{machine['postgresql']}, Redis {machine['redis']}, gunicorn {machine['gunicorn']}, "
        f"Django {machine['django']}; load average before {machine['load_average_before']} "
        "(the machine was shared with other work: see each page's CPU split in pages.json).",
        "",
    ]
    return "\n".join(lines)


def _hot_spot_lines(result: dict) -> list[str]:
    """Per page, from the in-process run at scale: its slowest queries and the app functions
    with the most time (cumulative, under cProfile, so inflated alike). pages.json has more."""
    lines = ["", "## Hot spots at scale (in-process, one request)", ""]
    for page in result["pages"].values():
        scale = page["in_process"]["scale"]
        if page["path"] in (reference.path for reference in REFERENCES):
            continue
        lines.append(
            f"{page['title']}: {scale['ms_per_request_in_process']} ms, of which SQL "
            f"{scale['query_ms']} ms in {scale['queries']} queries."
        )
        for query in scale["slowest_queries"]:
            lines.append(f"- {query['ms']} ms: `{query['sql'][:110]}…`")
        functions = scale["profile_top"]["app_functions"]
        # Below the view: the decorator and the view itself hold nearly all of the time.
        whole = functions[0]["cumulative_ms"] if functions else 0
        for row in [row for row in functions if row["cumulative_ms"] < 0.8 * whole][:4]:
            lines.append(f"- {row['cumulative_ms']} ms (profiled) in `{row['function']}`")
        lines.append("")
    return lines


def _query_difference_lines(result: dict) -> list[str]:
    lines = ["", "## Queries: scale against demo data", ""]
    for page in result["pages"].values():
        differences = page["query_differences"]
        if not (differences["more_at_scale"] or differences["more_on_demo"]):
            continue
        lines.append(f"{page['title']}:")
        for label, key in [
            ("only or more at scale", "more_at_scale"),
            ("only or more on demo", "more_on_demo"),
        ]:
            for shape, count in differences[key].items():
                lines.append(f"- {label} (×{count}): `{shape}…`")
        lines.append("")
    repeating = [
        p["title"]
        for p in result["pages"].values()
        if p["query_differences"]["repeats_growing_with_data"]
    ]
    lines.append(
        "Queries that repeat more often as the data grows (N+1): "
        + (
            ", ".join(repeating)
            if repeating
            else "none; the differences are branches the data takes."
        )
    )
    return lines


# Main --------------------------------------------------------------------------------------


def main() -> int:
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if urlsplit(database_url).scheme not in ("postgres", "postgresql"):
        print("make bench-pages needs DATABASE_URL=postgres://… (it creates databases beside it).")
        return 2
    if urlsplit(redis_url).scheme not in ("redis", "rediss"):
        print("make bench-pages needs REDIS_URL=redis://… (production's cache and broker).")
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
    scale_url = database_url_named(database_url, f"{base}_bench_scale")
    demo_url = database_url_named(database_url, f"{base}_bench_demo")
    # One key for every process of the run: sessions made in code must match gunicorn's.
    os.environ.setdefault("BENCH_SECRET_KEY", secrets.token_urlsafe(50))
    app_name = f"cr-bench-pages-{secrets.token_hex(3)}"
    scale_env = django_env(scale_url, redis_url)
    demo_env = django_env(demo_url, redis_url)

    seed = scale_database_ready(
        scale_url, scale_env, reseed=os.environ.get("BENCH_RESEED") == "true"
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
        couple = prepared["logins"]["partner"]["couple"]
        targets = targets_build(port=gunicorn.port, sessions=prepared["sessions"], couple=couple)
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
    results_write(result, RESULTS)
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


if __name__ == "__main__":
    sys.exit(main())
