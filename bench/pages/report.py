"""The results as Markdown: bench/results/pages.md, also printed at the end of a run."""

from bench.pages.catalogue import (
    DISTURBED,
    MB_PER_MIB,
    REFERENCES,
    TARGET_FLOOR_SHARE,
    TARGET_P95_MS,
    TARGET_WORKER_MB,
)


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


def _comparison_lines(result: dict) -> list[str]:
    """Beside the 2,000-couple run, for a run at another size (BENCH_COUPLES)."""
    compared = result.get("compared_with")
    if not compared:
        return []
    lines = [
        "",
        f"## Beside the 2,000-couple run ({compared['file']}, {compared['measured_at']})",
        "",
        f"That run's data: {compared['scale_counts']}. A page keeps its shape when its "
        f"queries are equal and its server time (Django's, under load) is within "
        f"{compared['tolerance']:.0%} of that run's.",
        "",
        "| Page | queries here / there | server ms here / there | ratio |",
        "|---|---:|---:|---:|",
    ]
    for name, row in compared["pages"].items():
        lines.append(
            f"| {result['pages'][name]['title']} | {row['queries']} / {row['queries_before']}"
            f"{_mark(row['queries'] == row['queries_before'])} | {row['server_ms']} / "
            f"{row['server_ms_before']} | {row['server_ms_ratio']}{_mark(row['same_shape'])} |"
        )
    return lines


def results_markdown(result: dict) -> str:
    settings, machine, memory = result["settings"], result["machine"], result["memory"]
    lines = [
        "# Page benchmark",
        "",
        f"Measured {result['measured_at']} by `make bench-pages` (bench/pages/): gunicorn, "
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
    lines += _comparison_lines(result)
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
