"""The load: each page as a target, its runs against the floor beside it, and retries."""

import os
import re
import time
import urllib.parse

from bench.pages.catalogue import DISTURBED, FLOOR, PAGES, checkin_form_data
from bench.pages.server import (
    Gunicorn,
    children_cpu_by_pid,
    cpu_used_since,
    machine_busy_seconds,
    postgres_cpu_by_pid,
    postmaster_pid,
    reaped_children_cpu_seconds,
)


def targets_build(*, port: int, sessions: dict, place: dict, pages=PAGES) -> dict:
    """Each page as a load target with its user's cookie, after one checked request; the
    check-in's form data and CSRF token come from the form page, with the same session.
    `place`: the records in the paths (Page.url)."""
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
        path = page.url(place)
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
