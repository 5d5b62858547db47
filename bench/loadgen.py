"""A small closed-loop HTTP load generator, for when wrk is not installed.

N clients each send one request, read the whole response, and send the next, for a fixed
time after a warm-up; every response is checked (status, Location, a marker in the body), so
a login redirect or an error page never counts as a served page. gunicorn's sync workers
close the connection after each response, so a client reconnects for each request, as wrk
does with them; http.client reopens the connection by itself.

Clients run as threads of this process (the default) or as processes (`mode="processes"`).
Either way each client reports the CPU time it used itself, so the report can say what the
load generator took from the two cores the server shares with it. Threads disturb the server
less: on the 2-core machine, loading the floor with 10 clients (twice 12 s each way), threads
used 0.33-0.35 ms of CPU per request and saw 806-841 req/s, processes 0.47-0.53 ms and
740-779 req/s (the GIL costs less than ten interpreters competing for two cores).
"""

import concurrent.futures
import http.client
import multiprocessing
import time
from collections import Counter
from dataclasses import dataclass, field

QUERIES_HEADER = "X-Bench-Queries"
DB_MS_HEADER = "X-Bench-DB-ms"
APP_MS_HEADER = "X-Bench-App-ms"


@dataclass(frozen=True)
class Target:
    """One request, sent again and again, and what a good response looks like."""

    name: str
    path: str
    headers: dict
    method: str = "GET"
    body: bytes | None = None
    status: int = 200
    location: str = ""
    marker: bytes = b""

    def problem(self, status: int, location: str, body: bytes) -> str:
        """Why a response is not the page (empty when it is)."""
        if status != self.status:
            where = f" to {location}" if location else ""
            return f"status {status}{where}"
        if self.location and location != self.location:
            return f"redirect to {location}"
        if self.marker and self.marker not in body:
            return "marker missing"
        return ""


@dataclass
class ClientResult:
    latencies_ms: list[float] = field(default_factory=list)
    problems: Counter = field(default_factory=Counter)
    queries: Counter = field(default_factory=Counter)
    app_ms: float = 0.0
    db_ms: float = 0.0
    cpu_seconds: float = 0.0
    first_problem_body: bytes = b""


def client_run(
    host: str, port: int, target: Target, *, start_at: float, warmup: float, duration: float
) -> ClientResult:
    """One client: requests until start_at + warmup + duration; records those that start
    after the warm-up (time.monotonic is the same clock in every process on Linux)."""
    result = ClientResult()
    connection = http.client.HTTPConnection(host, port, timeout=30)
    while time.monotonic() < start_at:
        time.sleep(0.001)
    cpu_started = time.thread_time()  # this client's own CPU, thread or process
    measure_from, stop_at = start_at + warmup, start_at + warmup + duration
    while (started := time.monotonic()) < stop_at:
        try:
            connection.request(target.method, target.path, body=target.body, headers=target.headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            if started >= measure_from:
                result.problems[type(error).__name__] += 1
            continue
        finished = time.monotonic()
        if started < measure_from:
            continue
        result.latencies_ms.append(1000 * (finished - started))
        problem = target.problem(response.status, response.getheader("Location", ""), body)
        if problem:
            result.problems[problem] += 1
            result.first_problem_body = result.first_problem_body or body[:2000]
        result.queries[response.getheader(QUERIES_HEADER, "?")] += 1
        result.app_ms += float(response.getheader(APP_MS_HEADER, 0))
        result.db_ms += float(response.getheader(DB_MS_HEADER, 0))
    connection.close()
    result.cpu_seconds = time.thread_time() - cpu_started
    return result


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summarise(results: list[ClientResult], *, duration: float) -> dict:
    latencies = sorted(value for result in results for value in result.latencies_ms)
    problems = sum((result.problems for result in results), Counter())
    queries = sum((result.queries for result in results), Counter())
    count = len(latencies)
    served = count - sum(problems.values())
    return {
        "requests": count,
        "errors": sum(problems.values()),
        "error_kinds": dict(problems),
        "requests_per_second": round(served / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else 0.0,
        # From the response headers bench/web.py adds: Django's own share of each request.
        "queries_seen": dict(queries),
        "server_app_ms_mean": round(sum(r.app_ms for r in results) / max(count, 1), 2),
        "server_db_ms_mean": round(sum(r.db_ms for r in results) / max(count, 1), 2),
        "client_cpu_seconds": round(sum(r.cpu_seconds for r in results), 2),
        "first_problem_body": next(
            (
                r.first_problem_body.decode(errors="replace")
                for r in results
                if r.first_problem_body
            ),
            "",
        ),
    }


class LoadGenerator:
    """`clients` concurrent clients as threads or as (spawned, reused) processes."""

    def __init__(self, host: str, port: int, *, clients: int = 10, mode: str = "threads"):
        if mode not in ("threads", "processes"):
            raise ValueError(f"mode is threads or processes, not {mode!r}")
        self.host, self.port, self.clients, self.mode = host, port, clients, mode
        self.pool = None

    def __enter__(self):
        if self.mode == "processes":
            # spawn, not fork: the caller may have threads (pytest, a database driver).
            self.pool = concurrent.futures.ProcessPoolExecutor(
                self.clients, mp_context=multiprocessing.get_context("spawn")
            )
            list(self.pool.map(time.sleep, [0.2] * self.clients))
        else:
            self.pool = concurrent.futures.ThreadPoolExecutor(self.clients)
        return self

    def __exit__(self, *exc):
        self.pool.shutdown()

    def run(self, target: Target, *, warmup: float, duration: float) -> dict:
        start_at = time.monotonic() + 0.2
        futures = [
            self.pool.submit(
                client_run,
                self.host,
                self.port,
                target,
                start_at=start_at,
                warmup=warmup,
                duration=duration,
            )
            for _ in range(self.clients)
        ]
        results = [future.result() for future in futures]
        return {
            "clients": self.clients,
            "client_mode": self.mode,
            "warmup_seconds": warmup,
            "duration_seconds": duration,
            **summarise(results, duration=duration),
        }
