"""seed_scale (`python -m bench.scale`): a large synthetic clinic for the benchmark, in minutes.

By default 60 clinicians, 2,000 couples, a year of daily check-ins and progress and
150,000 sessions: millions of rows. What the rows hold is in `data.py`; this
module writes them. The big tables are streamed in batches, each batch in its own
transaction, through COPY on PostgreSQL (bulk_create with `--no-copy` and elsewhere).
It only ever fills an empty clinic: it refuses a database that has couples.
"""

import json
import time
from pathlib import Path

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction

from bench.scale import data
from bench.scale.writing import ProgressLine, TableWriter, analyze, fast_commits
from couples.models import CareAssignment, Clinician, Couple, Partner, SharingConsent, User
from goals.models import CheckIn, Goal, GoalAcceptance, GoalTransition, ProgressEntry
from insurance.models import Authorization, Benefit, Coverage, CoverageStatusChange, Payer
from insurance.permissions import insurance_staff_group
from sessions.models import Attendance, TherapySession
from triage.sweeps import sweep

DEFAULT_PASSWORD = "scale-bench-password-2026"
STAFF_USERS = 3
SESSION_BATCH = 5_000
CHECKIN_FIELDS = (
    "partner_id", "day", "is_sober", "craving", "mood", "had_trust_discussion",
    "attended_meeting", "note", "recorded_on",
)  # fmt: skip
PROGRESS_FIELDS = ("goal_id", "partner_id", "day", "measure", "value", "note", "recorded_on")
ATTENDANCE_FIELDS = (
    "session_id", "partner_id", "status", "minutes_attended", "marked_at", "marked_by_id",
    "response", "response_note", "responded_at",
)  # fmt: skip


class Command(BaseCommand):
    help = "Fill an empty database with a large synthetic clinic for benchmarks (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--couples", type=int, default=2000)
        parser.add_argument("--clinicians", type=int, default=60)
        parser.add_argument("--days", type=int, default=365, help="Days of check-ins, to today.")
        parser.add_argument("--sessions", type=int, default=150_000)
        parser.add_argument("--seed", type=int, default=2026, help="Same seed, same clinic.")
        parser.add_argument("--password", default=DEFAULT_PASSWORD, help="Every user's password.")
        parser.add_argument("--json", type=Path, help="Write logins, TOTP secrets and counts here.")
        parser.add_argument("--batch-size", type=int, default=20_000, help="Rows per transaction.")
        parser.add_argument(
            "--no-copy", action="store_true", help="Use bulk_create even on PostgreSQL."
        )
        parser.add_argument(
            "--yes-i-mean-it",
            action="store_true",
            help="Run even though DEBUG is off (still only into a database without couples).",
        )

    def handle(self, *args, **options):
        check_allowed(options)
        if options["json"]:
            # Made before the minutes of seeding, not found missing after them.
            options["json"].parent.mkdir(parents=True, exist_ok=True)
        clinic = data.Clinic(
            couples=options["couples"],
            clinicians=options["clinicians"],
            days=options["days"],
            sessions=options["sessions"],
            seed=options["seed"],
        )
        self.use_copy = connection.vendor == "postgresql" and not options["no_copy"]
        self.batch_size = options["batch_size"]
        self._print_plan(clinic, options)
        started = time.monotonic()
        timings = {}
        with fast_commits():
            for name, step in [
                ("people", lambda: self._people(clinic, options["password"])),
                ("care teams", lambda: self._care_teams(clinic)),
                ("goals", lambda: self._goals(clinic)),
                ("check-ins and progress", lambda: self._daily(clinic)),
                ("sessions", lambda: self._sessions(clinic)),
                ("insurance", lambda: self._insurance(clinic)),
                # The work queue as beat's sweep leaves it: the clinician home reads it.
                ("triage sweep", sweep),
                ("analyze", analyze),
            ]:
                step_started = time.monotonic()
                step()
                timings[name] = round(time.monotonic() - step_started, 1)
        timings["total"] = round(time.monotonic() - started, 1)
        self._report(clinic, options, timings)

    # Steps ---------------------------------------------------------------------------

    @transaction.atomic
    def _people(self, clinic: data.Clinic, password: str) -> None:
        """Couples, then every user (one password hash for all), clinicians, partners, staff.

        Hashing is deliberately slow (Argon2): 4,000 hashes would take minutes, so the
        hash is computed once and shared; each user can still sign in with the password.
        """
        line = self._line("people", 1)
        rng = clinic.rng
        plans = [data.couple_plan(clinic, number) for number in range(clinic.couple_count)]
        couples = Couple.objects.bulk_create(
            [Couple(**plan) for plan in plans], batch_size=self.batch_size
        )
        profiles = data.clinician_profiles(clinic.clinician_count)
        users = self._users(len(profiles), 2 * len(couples), make_password(password))
        clinician_users = users[: len(profiles)]
        partner_users = users[len(profiles) : len(profiles) + 2 * len(couples)]
        staff_users = users[len(profiles) + 2 * len(couples) :]
        clinicians = Clinician.objects.bulk_create(
            Clinician(
                user=user,
                credentials=rng.choice(data.PROFILE_CREDENTIALS[profile]),
                **data.PROFILE_FLAGS[profile],
            )
            for user, profile in zip(clinician_users, profiles, strict=True)
        )
        partners = Partner.objects.bulk_create(
            [
                Partner(
                    user=user,
                    couple=couples[number // 2],
                    preferred_name=user.first_name[:3] if rng.random() < 0.05 else "",
                    sobriety_date=data.sobriety_date(clinic, plans[number // 2]["admitted_on"]),
                )
                for number, user in enumerate(partner_users)
            ],
            batch_size=self.batch_size,
        )
        insurance_staff_group().user_set.add(*staff_users)
        clinic.staff_user_pks = [user.pk for user in staff_users]
        clinic.clinicians = [
            data.ClinicianRow(pk=c.pk, user_pk=c.user_id, profile=profile, email=c.user.email)
            for c, profile in zip(clinicians, profiles, strict=True)
        ]
        for index, couple in enumerate(couples):
            pair = partners[2 * index : 2 * index + 2]
            row = data.CoupleRow(
                pk=couple.pk,
                status=couple.status,
                zone=couple.time_zone,
                admitted_on=couple.admitted_on,
                discharged_on=couple.discharged_on,
                partners=[p.pk for p in pair],
                users=[p.user_id for p in pair],
                names=[p.user.get_full_name() for p in pair],
            )
            data.set_windows(clinic, row)
            clinic.couples.append(row)
        # Clinicians and staff must use TOTP (couples/middleware.py); the secrets go to --json.
        self.totp_secrets = {}
        for user in [*clinician_users, *staff_users]:
            self.totp_secrets[user.email] = generate_totp_secret()
            TOTP.activate(user, self.totp_secrets[user.email])
        line.finish(1, f"{len(users):,} users, {len(couples):,} couples")

    def _users(self, clinicians: int, partners: int, password_hash: str) -> list[User]:
        """Clinicians, partners and insurance staff, in that order, with verified emails."""
        emails = [f"scale-clinician-{n:03}@{data.DOMAIN}" for n in range(1, clinicians + 1)]
        emails += [f"scale-partner-{n:05}@{data.DOMAIN}" for n in range(1, partners + 1)]
        emails += [f"scale-insurance-{n}@{data.DOMAIN}" for n in range(1, STAFF_USERS + 1)]
        users = User.objects.bulk_create(
            [
                User(
                    email=email,
                    first_name=data.name_for(number)[0],
                    last_name=data.name_for(number)[1],
                    password=password_hash,
                    is_staff=email.startswith("scale-insurance-"),
                )
                for number, email in enumerate(emails)
            ],
            batch_size=self.batch_size,
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
            batch_size=self.batch_size,
        )
        return users

    @transaction.atomic
    def _care_teams(self, clinic: data.Clinic) -> None:
        line = self._line("care teams", 1)
        assignments = CareAssignment.objects.bulk_create(
            (CareAssignment(**row) for row in data.care_assignment_rows(clinic)),
            batch_size=self.batch_size,
        )
        consents = SharingConsent.objects.bulk_create(
            (SharingConsent(**row) for row in data.consent_rows(clinic)),
            batch_size=self.batch_size,
        )
        line.finish(1, f"{len(assignments):,} assignments, {len(consents):,} consents")

    @transaction.atomic
    def _goals(self, clinic: data.Clinic) -> None:
        line = self._line("goals", 1)
        plans = [
            (couple, plan) for couple in clinic.couples for plan in data.goal_plans(clinic, couple)
        ]
        goals = Goal.objects.bulk_create(
            [Goal(**{k: v for k, v in plan.items() if not k.startswith("_")}) for _, plan in plans],
            batch_size=self.batch_size,
        )
        side = {"acceptance": [], "transition": []}
        for (couple, plan), goal in zip(plans, goals, strict=True):
            clinic.goals.setdefault(couple.pk, []).append(
                data.GoalRow(
                    pk=goal.pk,
                    measure=goal.measure,
                    partner=goal.partner_id,
                    is_daily=plan["_daily"],
                    achieved_on=plan["_achieved_on"],
                )
            )
            for kind, fields in data.goal_side_rows(plan, goal.pk, couple):
                side[kind].append(fields)
        GoalAcceptance.objects.bulk_create(
            (GoalAcceptance(**row) for row in side["acceptance"]), batch_size=self.batch_size
        )
        GoalTransition.objects.bulk_create(
            (GoalTransition(**row) for row in side["transition"]), batch_size=self.batch_size
        )
        line.finish(1, f"{len(goals):,} goals")

    def _daily(self, clinic: data.Clinic) -> None:
        """A year of check-ins and progress, one couple at a time into two batched writers."""
        checkins = self._writer(CheckIn, CHECKIN_FIELDS, now=clinic.now)
        entries = self._writer(ProgressEntry, PROGRESS_FIELDS, now=clinic.now)
        line = self._line("check-ins + progress", len(clinic.couples))
        for done, couple in enumerate(clinic.couples, start=1):
            couple_checkins, couple_entries = data.daily_rows(clinic, couple)
            checkins.extend(couple_checkins)
            entries.extend(couple_entries)
            line.update(done, f"check-ins {checkins.count:,}  progress {entries.count:,}")
        checkins.flush()
        entries.flush()
        line.finish(
            len(clinic.couples), f"check-ins {checkins.count:,}  progress {entries.count:,}"
        )

    def _sessions(self, clinic: data.Clinic) -> None:
        """Sessions in batches: bulk_create returns their ids, then their attendance rows."""
        planner = data.SessionPlanner(clinic)
        attendance = self._writer(Attendance, ATTENDANCE_FIELDS, now=clinic.now)
        line = self._line("sessions + attendance", clinic.session_count)
        done = 0
        while done < clinic.session_count:
            batch = []
            for _ in range(min(SESSION_BATCH, clinic.session_count - done)):
                drawn = planner.draw()
                if drawn is None:
                    break
                batch.append(drawn)
            if not batch:
                break
            with transaction.atomic():
                TherapySession.objects.bulk_create([session for session, _ in batch])
            reset_queries()
            for session, rows in batch:
                attendance.extend([(session.pk, *row) for row in rows])
            attendance.flush()
            done += len(batch)
            line.update(done, f"attendance {attendance.count:,}")
        line.finish(done, f"attendance {attendance.count:,}")

    @transaction.atomic
    def _insurance(self, clinic: data.Clinic) -> None:
        line = self._line("insurance", 1)
        payers = Payer.objects.bulk_create(
            Payer(name=name, phone=f"+1 800 555 01{n:02}", payer_id=edi)
            for n, (name, _, edi) in enumerate(data.PAYERS)
        )
        plan_types = {name: plan_type for name, plan_type, _ in data.PAYERS}
        plans = list(
            data.coverage_plans(clinic, [(p.pk, p.name, plan_types[p.name]) for p in payers])
        )
        coverages = Coverage.objects.bulk_create(
            [Coverage(**fields) for _, fields in plans], batch_size=self.batch_size
        )
        models = {
            "benefit": Benefit,
            "status_change": CoverageStatusChange,
            "authorization": Authorization,
        }
        side = {kind: [] for kind in models}
        for (couple, fields), coverage in zip(plans, coverages, strict=True):
            for kind, row in data.coverage_side_rows(clinic, coverage.pk, couple, fields):
                side[kind].append(models[kind](**row))
        for kind, model in models.items():
            model.objects.bulk_create(side[kind], batch_size=self.batch_size)
        line.finish(1, f"{len(coverages):,} coverages, {len(side['benefit']):,} benefits")

    # Helpers -------------------------------------------------------------------------

    def _writer(self, model, fields, *, now) -> "TableWriter":
        return TableWriter(model, fields, copy=self.use_copy, batch_size=self.batch_size, now=now)

    def _line(self, label: str, total: int) -> "ProgressLine":
        return ProgressLine(self.stderr, label, total)

    def _print_plan(self, clinic: data.Clinic, options) -> None:
        estimate = clinic.estimate()
        method = "COPY" if self.use_copy else "bulk_create"
        self.stdout.write(
            f"Seeding a synthetic clinic into {connection.vendor} "
            f"({connection.settings_dict['NAME']}), seed {options['seed']}, "
            f"big tables by {method}, {self.batch_size:,} rows a batch:\n"
            f"  {clinic.clinician_count:,} clinicians, {clinic.couple_count:,} couples "
            f"({2 * clinic.couple_count:,} partners), {STAFF_USERS} insurance staff\n"
            f"  {clinic.days} days of check-ins (about {estimate['check-ins']:,}) and progress "
            f"(about {estimate['progress entries']:,}), {clinic.start} to {clinic.today}\n"
            f"  {clinic.session_count:,} sessions up to {clinic.future_end} "
            f"(about {estimate['attendance']:,} attendance rows)\n"
            f"  coverage for every partner, with benefits, authorizations and history"
        )

    def _report(self, clinic: data.Clinic, options, timings: dict) -> None:
        logins = bench_logins(clinic, self.totp_secrets)
        counts = table_counts()
        self.stdout.write(self.style.SUCCESS(f"Done in {timings['total']} s."))
        self.stdout.write(f"Every password: {options['password']}")
        for role, login in logins.items():
            extra = f" ({login['caseload']} couples)" if "caseload" in login else ""
            self.stdout.write(f"  {role:<16} {login['email']}{extra}")
        self.stdout.write(
            "Clinicians and staff have TOTP on: sign in with the code from the secret in --json, "
            "or make a session in code (Client.force_login)."
        )
        for table, count in counts.items():
            self.stdout.write(f"  {table:<34} {count:>10,}")
        if options["json"]:
            payload = {
                "password": options["password"],
                "logins": logins,
                "totp_secrets": self.totp_secrets,
                "counts": counts,
                "seconds": timings,
                "options": {
                    key: options[key]
                    for key in ("couples", "clinicians", "days", "sessions", "seed")
                },
                "method": "copy" if self.use_copy else "bulk_create",
            }
            options["json"].write_text(json.dumps(payload, indent=2, default=str))
            self.stdout.write(f"Wrote {options['json']}")


def check_allowed(options) -> None:
    """Never beside real data: DEBUG (or the explicit flag), and a database with no couples."""
    if not settings.DEBUG and not options["yes_i_mean_it"]:
        raise CommandError("seed_scale only runs with DEBUG on (or --yes-i-mean-it).")
    if options["couples"] < 1 or options["days"] < 1 or options["sessions"] < 0:
        raise CommandError("Give at least one couple and one day, and no negative sessions.")
    if options["clinicians"] < 2:
        raise CommandError("Give at least two clinicians: a couples therapist needs a colleague.")
    if Couple.objects.exists():
        raise CommandError(
            "This database already has couples: seed_scale only fills an empty clinic. "
            "Use a new database (for example: dropdb, createdb, migrate)."
        )
    if User.objects.filter(email__iendswith=f"@{data.DOMAIN}").exists():
        raise CommandError(
            f"Users @{data.DOMAIN} are left from an interrupted run: use a new database."
        )


def bench_logins(clinic: data.Clinic, totp_secrets: dict) -> dict:
    """A therapist whose caseload is closest to 40, a partner in it, an insurance verifier."""
    therapists = [c for c in clinic.clinicians if c.profile == data.THERAPIST]
    busy = [c for c in therapists if c.caseload] or therapists
    clinician = min(busy, key=lambda c: (abs(len(c.caseload) - 40), c.pk))
    in_caseload = [c for c in clinic.couples if c.pk in clinician.caseload] or clinic.couples
    # The partner with the longest history: an active couple checking in for the whole range.
    couple = min(
        in_caseload,
        key=lambda c: (c.status != Couple.Status.ACTIVE, c.first_day or clinic.today, c.pk),
    )
    partner_email = User.objects.get(pk=couple.users[0]).email
    staff_email = User.objects.get(pk=clinic.staff_user_pks[0]).email
    return {
        "clinician": {
            "email": clinician.email,
            "caseload": len(clinician.caseload),
            "totp_secret": totp_secrets[clinician.email],
        },
        "partner": {"email": partner_email, "couple": couple.pk},
        "insurance_staff": {"email": staff_email, "totp_secret": totp_secrets[staff_email]},
    }


def table_counts() -> dict[str, int]:
    models = [
        User, Clinician, Couple, Partner, CareAssignment, SharingConsent, Goal, GoalAcceptance,
        GoalTransition, CheckIn, ProgressEntry, TherapySession, Attendance, Payer, Coverage,
        CoverageStatusChange, Benefit, Authorization,
    ]  # fmt: skip
    return {model._meta.db_table: model.objects.count() for model in models}
