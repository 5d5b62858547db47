"""What a partner's FHIR export costs: a year of daily check-ins, read and written as JSON.

`make bench-export` (part of `make bench`). Without DATABASE_URL it runs on SQLite in a fresh
temporary folder; with DATABASE_URL on PostgreSQL it creates `<name>_bench_export` beside it
afresh (never touching the named database). Either way it migrates, then writes two couples
straight to the tables:

- the year: BENCH_EXPORT_DAYS (365) days of daily check-ins by both partners, two shared
  goals and one goal each with a year of daily progress by both, a PHQ-9, GAD-7, BAM and
  CSI-4 every week, a couples and an individual session every week with a signed note each,
  a coverage, each partner's consent to share with the other (so the other's check-ins and
  goal come too: the largest copy);
- the week: the same for 7 days, to show the query count does not grow with the record.

Then, BENCH_EXPORT_RUNS (5) times, it times `record_for_partner` and `bundle_json` for the
first partner of each couple and counts their queries. The target: the year's export (both
steps, median) under 10 s, and the same number of queries for the week and the year.
Writes bench/results/export.md and .json.
"""

import datetime
import json
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DAYS = int(os.environ.get("BENCH_EXPORT_DAYS", "365"))
RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "5"))
SMALL_DAYS = 7
TARGET_SECONDS = 10.0
INSTRUMENTS = ("phq9", "gad7", "bam", "csi4")


def database_fresh(database_url: str) -> str:
    """`<name>_bench_export` beside the given PostgreSQL database, dropped and created empty."""
    import psycopg

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/')}_bench_export"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def django_start() -> str:
    """Django on a fresh database (see the module's docstring); returns its vendor."""
    database_url = os.environ.get("DATABASE_URL", "")
    if database_url.startswith(("postgres://", "postgresql://")):
        os.environ["DATABASE_URL"] = database_fresh(database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix="bench-export-")
    os.environ["DEBUG"] = "false"  # as in production: DEBUG keeps every query
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("AUDIT_CHAIN_KEY", secrets.token_urlsafe(50))
    os.environ.pop("REDIS_URL", None)  # nothing here uses the broker or the cache
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    return connection.vendor


def _people(number: int):
    from couples.models import Clinician, Couple, Partner, User

    def user(role: str) -> User:
        return User.objects.create(
            email=f"bench-export-{number}-{role}@example.test",
            first_name=role.capitalize(),
            last_name=f"Export{number}",
        )

    couple = Couple.objects.create(status=Couple.Status.ACTIVE, time_zone="America/New_York")
    partners = [Partner.objects.create(user=user(role), couple=couple) for role in ("jo", "al")]
    maya = Clinician.objects.create(user=user("maya"), credentials="LMFT")
    return couple, partners, maya


def _goals_and_days(couple, partners, *, days: int, today: datetime.date) -> None:
    """Goals with `days` days of progress by both partners, and their daily check-ins."""
    from goals.models import CheckIn, Goal, ProgressEntry

    start = today - datetime.timedelta(days=days - 1)
    made = {"couple": couple, "created_by": partners[0].user, "start_on": start}
    goals = [
        Goal.objects.create(
            **made, category="communication", title="Talk", measure="rating", target=8
        ),
        Goal.objects.create(
            **made, category="trust", title="Trust talk", measure="yes_no", target=5
        ),
        *(
            Goal.objects.create(
                **made, partner=p, category="sobriety", title="Meeting", measure="count", target=3
            )
            for p in partners
        ),
    ]
    checkins, entries = [], []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for partner in partners:
            checkins.append(
                CheckIn(
                    partner=partner,
                    day=day,
                    is_sober=offset % 30 != 0,
                    craving=offset % 11,
                    mood=1 + offset % 5,
                    had_trust_discussion=offset % 2 == 0,
                    attended_meeting=offset % 3 == 0,
                    note="Went for a walk after work." if offset % 7 == 0 else "",
                    recorded_on=day,
                )
            )
            for goal in goals:
                if goal.partner_id not in (None, partner.pk):
                    continue
                value = {"rating": 1 + offset % 10, "yes_no": offset % 2, "count": offset % 4}
                entries.append(
                    ProgressEntry(
                        goal=goal,
                        partner=partner,
                        day=day,
                        measure=goal.measure,
                        value=value[goal.measure],
                        recorded_on=day,
                    )
                )
    CheckIn.objects.bulk_create(checkins, batch_size=500)
    ProgressEntry.objects.bulk_create(entries, batch_size=500)


def _measures(couple, partners, *, weeks: int, now: datetime.datetime) -> None:
    from measures.instruments import instrument_get
    from measures.models import MeasureResponse

    rows = []
    for week in range(weeks):
        at = now - datetime.timedelta(weeks=week, hours=1)
        for partner in partners:
            for code in INSTRUMENTS:
                instrument = instrument_get(code)
                answers = {item.key: item.choices[0][0] for item in instrument.items}
                score = instrument.score(answers)
                rows.append(
                    MeasureResponse(
                        couple=couple,
                        partner=partner,
                        instrument=code,
                        status=MeasureResponse.Status.COMPLETED,
                        answers=answers,
                        started_at=at,
                        completed_at=at,
                        total=score.total,
                        subscales=score.subscales,
                        band_label=score.band.label if score.band else "",
                        band_level=score.band.level if score.band else None,
                    )
                )
    MeasureResponse.objects.bulk_create(rows, batch_size=500)


def _sessions_and_notes(couple, partners, maya, *, weeks: int, now: datetime.datetime) -> None:
    """A couples and an individual session a week, each attended, with a signed note (written
    straight to the tables: the services refuse a note on a session months old)."""
    from django.db.models import F

    from notes.models import Note, NoteEntry
    from sessions.models import Attendance, SessionKind, TherapySession

    for week in range(weeks):
        for kind, people in (
            (SessionKind.COUPLES_THERAPY, partners),
            (SessionKind.INDIVIDUAL_THERAPY, partners[:1]),
        ):
            starts = now - datetime.timedelta(weeks=week, days=1, hours=len(people))
            session = TherapySession.objects.create(
                kind=kind,
                clinician=maya,
                couple=couple,
                starts_at=starts,
                ends_at=starts + datetime.timedelta(minutes=50),
                time_zone="America/New_York",
                status=TherapySession.Status.COMPLETED,
                created_by=maya.user,
            )
            for partner in people:
                Attendance.objects.create(
                    session=session, partner=partner, status="present", minutes_attended=50
                )
            note = Note.objects.create(
                session=session,
                kind=kind,
                couple=couple,
                partner=people[0] if len(people) == 1 else None,
                format="DAP",
                data="Talked about the week and the plan for the weekend.",
                assessment="Engaged; no new risk.",
                plan="Keep the daily check-in.",
                duration_minutes=50,
                author=maya,
                created_at=starts + datetime.timedelta(hours=1),
            )
            NoteEntry.objects.bulk_create(
                NoteEntry(note=note, partner=p, text="Took part.", minutes_attended=50)
                for p in people
            )
    # Signed once their entries are in: the database refuses new entries in a signed note.
    Note.objects.filter(couple=couple).update(
        status=Note.Status.SIGNED, signed_at=F("created_at"), signed_by=maya.user
    )


def record_create(*, days: int, number: int = 1):
    """A couple with `days` days of everything (see the docstring); returns its first partner."""
    from django.utils import timezone

    from couples import services
    from couples.models import CareRole
    from insurance.models import Coverage, Payer

    now = timezone.now()
    today = timezone.localdate()
    couple, partners, maya = _people(number)
    maya.can_be_couples_therapist = True
    maya.save(update_fields=["can_be_couples_therapist"])
    services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    _goals_and_days(couple, partners, days=days, today=today)
    weeks = max(1, days // 7)
    _measures(couple, partners, weeks=weeks, now=now)
    _sessions_and_notes(couple, partners, maya, weeks=weeks, now=now)
    payer = Payer.objects.get_or_create(name="Bench Health PPO")[0]
    Coverage.objects.create(
        partner=partners[0],
        payer=payer,
        member_id=f"B{number:06}",
        subscriber_name=partners[0].display_name,
        effective_on=today - datetime.timedelta(days=days),
    )
    for partner in partners:
        services.consent_grant(
            partner=partner, shares_goals=True, shares_checkins=True, by=partner.user
        )
    return partners[0]


def export_measure(partner, *, runs: int) -> dict:
    """Times both steps `runs` times (median) and counts their queries (the last run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from records.fhir.bundle import bundle_json
    from records.fhir.collect import record_for_partner

    collect, build, queries, text = [], [], 0, ""
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            record = record_for_partner(partner=partner)
            collected = time.perf_counter()
            text = bundle_json(record)
            built = time.perf_counter()
        collect.append(collected - started)
        build.append(built - collected)
        queries = len(captured.captured_queries)
    bundle = json.loads(text)
    types: dict[str, int] = {}
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        types[kind] = types.get(kind, 0) + 1
    totals = [a + b for a, b in zip(collect, build, strict=True)]
    return {
        "collect_seconds": statistics.median(collect),
        "bundle_seconds": statistics.median(build),
        "total_seconds": statistics.median(totals),
        "total_runs": totals,
        "queries": queries,
        "entries": len(bundle["entry"]),
        "bytes": len(text.encode()),
        "resources": dict(sorted(types.items())),
        "checkins": len(record.checkins),
        "progress": len(record.progress),
    }


def run(*, days: int, runs: int, vendor: str) -> dict:
    import django.utils.timezone

    large = export_measure(record_create(days=days, number=1), runs=runs)
    small = export_measure(record_create(days=SMALL_DAYS, number=2), runs=runs)
    return {
        "days": days,
        "small_days": SMALL_DAYS,
        "runs": runs,
        "database": vendor,
        "large": large,
        "small": small,
        "target_seconds": TARGET_SECONDS,
        "met": large["total_seconds"] < TARGET_SECONDS and large["queries"] == small["queries"],
        "when": django.utils.timezone.now().isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }


def results_write(result: dict, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "export.json").write_text(json.dumps(result, indent=2) + "\n")
    large, small = result["large"], result["small"]
    lines = [
        "# A partner's FHIR export",
        "",
        f"`record_for_partner` then `bundle_json` for one partner whose record holds "
        f"{result['days']} days of daily check-ins by both partners (the other's shared by "
        "consent), four goals with daily progress by both, four measures a week, two sessions "
        f"a week with signed notes; median of {result['runs']} runs on {result['database']}, "
        f"measured {result['when']} ({result['machine']['cpus']} cores).",
        "",
        "| record | collect (s) | bundle JSON (s) | total (s) | queries | entries | size |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in ((f"{result['days']} days", large), (f"{result['small_days']} days", small)):
        lines.append(
            f"| {label} | {row['collect_seconds']:.2f} | {row['bundle_seconds']:.2f} | "
            f"{row['total_seconds']:.2f} | {row['queries']} | {row['entries']:,} | "
            f"{row['bytes'] / 1_000_000:.1f} MB |"
        )
    same = large["queries"] == small["queries"]
    lines += [
        "",
        f"Target: the {result['days']}-day export under {result['target_seconds']:g} s, with "
        f"as many queries as the {result['small_days']}-day one: "
        f"**{'met' if result['met'] else 'NOT met'}** ({large['total_seconds']:.2f} s; "
        f"{large['queries']} and {small['queries']} queries{'' if same else ': they differ'}).",
        "",
        "Entries of the large export: "
        + ", ".join(f"{kind} {count:,}" for kind, count in large["resources"].items())
        + ".",
        "",
    ]
    (directory / "export.md").write_text("\n".join(lines))


def main() -> int:
    vendor = django_start()
    try:
        result = run(days=DAYS, runs=RUNS, vendor=vendor)
    finally:
        if vendor == "sqlite":
            shutil.rmtree(os.environ["DATA_DIR"], ignore_errors=True)
    results_write(result, RESULTS)
    print((RESULTS / "export.md").read_text())
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
