"""The results: each page against the floor and the targets, query shapes, the machine."""

import datetime
import json
import os
import platform
import re
from collections import Counter
from pathlib import Path

from bench.pages.catalogue import (
    FLOOR,
    LAYOUT,
    MB_PER_MIB,
    PAGES,
    RESULTS,
    TARGET_FLOOR_SHARE,
    TARGET_P95_MS,
    TARGET_WORKER_MB,
)
from bench.pages.databases import database_scalar
from bench.pages.report import results_markdown


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


def results_write(result: dict, directory: Path, *, name: str = "pages") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    (directory / f"{name}.md").write_text(results_markdown(result))


SERVER_TIME_TOLERANCE = 0.25  # a larger clinic may cost a page this much more server time


def scale_comparison(result: dict, baseline_file: Path) -> dict:
    """Each page beside the 2,000-couple run (pages.json): its queries and its server time
    (Django's time per request under load, from the response headers). A page keeps its
    shape when the queries are equal and the time within SERVER_TIME_TOLERANCE."""
    if not baseline_file.exists():
        return {}
    baseline = json.loads(baseline_file.read_text())
    pages = {}
    for name, page in result["pages"].items():
        before = baseline["pages"].get(name)
        if before is None:
            continue
        ms, ms_before = page["load"]["server_app_ms_mean"], before["load"]["server_app_ms_mean"]
        ratio = ms / ms_before if ms_before else None
        pages[name] = {
            "queries": page["queries_per_request"],
            "queries_before": before["queries_per_request"],
            "server_ms": ms,
            "server_ms_before": ms_before,
            "server_ms_ratio": round(ratio, 2) if ratio is not None else None,
            "same_shape": page["queries_per_request"] == before["queries_per_request"]
            and ratio is not None
            and ratio <= 1 + SERVER_TIME_TOLERANCE,
        }
    return {
        "file": baseline_file.name,
        "measured_at": baseline.get("measured_at"),
        "scale_counts": baseline["settings"].get("scale_counts"),
        "tolerance": SERVER_TIME_TOLERANCE,
        "pages": pages,
    }
