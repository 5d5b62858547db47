"""One page in this process against a seeded database: queries, time, and where it goes.

    DATABASE_URL=postgres://…/cr_scale python -m bench.profile caseload couple --logins L.json

For working on one page between benchmark runs (bench/pages/ measures the same way after
its load, see pages_django.page_measure). The logins file is seed_scale's --json; without it
the clinician with the largest caseload is picked, as on demo data. Nothing is written to the
results folder.
"""

import argparse
import json
import os
import sys


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("pages", nargs="*", help="page names (default: all)")
    parser.add_argument("--logins", help="seed_scale --json output")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="list every query")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings_pages")
    os.environ.setdefault("BENCH_STATIC", "plain")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-profile-" + "x" * 40)
    os.environ.setdefault("AUDIT_CHAIN_KEY", "bench-profile-audit-" + "x" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()
    from bench import pages_django
    from bench.pages import PAGES, Page, places
    from bench.pages_records import records_ensure

    logins = None
    if args.logins:
        with open(args.logins) as file:
            logins = json.load(file)["logins"]
    logins = logins or pages_django.logins_pick()
    # The notes and plan the notes tab and the plan page read (made once, if missing).
    records = records_ensure(logins=logins)
    keys = pages_django.sessions_create(logins={role: logins[role] for role in Page.ROLES})
    for page in PAGES:
        if args.pages and page.name not in args.pages:
            continue
        measured = pages_django.page_measure(
            page,
            session_key=keys[page.role],
            place=places({"logins": logins, "records": records}),
            repeat=args.repeat,
        )
        print(
            f"\n== {page.name}: {measured['ms_per_request_in_process']} ms, "
            f"{measured['queries']} queries, {measured['query_ms']} ms SQL"
        )
        for query in measured["slowest_queries"]:
            print(f"  {query['ms']:7.2f} ms  {query['sql'][:200]}")
        if args.sql:
            for sql in measured["sql"]:
                print(f"    {sql}")
        for row in measured["profile_top"]["app_functions"][:10]:
            print(f"  {row['cumulative_ms']:7.2f} ms cum  {row['calls']:5d}x  {row['function']}")
        print("  most own time:")
        for row in measured["profile_top"]["most_own_time"][:8]:
            print(f"  {row['own_ms']:7.2f} ms own  {row['calls']:5d}x  {row['function']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
