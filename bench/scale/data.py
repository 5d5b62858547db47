"""The rows of a large synthetic clinic, for seed_scale (`python -m bench.scale`).

Everything here decides what the rows hold; the command decides how they reach the
database. Row generators are streamed (a couple or a batch at a time), so a year of
check-ins never sits in memory. One `random.Random` drives all of it: the same seed and
the same day give the same clinic.
"""

import datetime
import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC
from zoneinfo import ZoneInfo

from couples.models import CareRole, Couple
from goals.models import Goal
from insurance.models import Benefit, Coverage
from sessions.models import Attendance, SessionKind, TherapySession

DOMAIN = "scale.test"
CLINIC_ZONE = "America/New_York"
ZONES = {
    "America/New_York": 40,
    "America/Chicago": 25,
    "America/Denver": 10,
    "America/Phoenix": 5,
    "America/Los_Angeles": 20,
}
COUPLE_STATUSES = {
    Couple.Status.ACTIVE: 80,
    Couple.Status.STEP_DOWN: 8,
    Couple.Status.INTAKE: 5,
    Couple.Status.DISCHARGED: 7,
}
FIRST_NAMES = (
    "Jordan Alex Casey Riley Morgan Taylor Jamie Avery Quinn Rowan Skyler Drew Parker Reese "
    "Cameron Dakota Emerson Finley Harper Hayden Kendall Logan Marley Peyton Sage Blake "
    "Charlie Elliot Frankie Jesse Kai Lane Micah Noel Oakley Remy Sam Toby"
).split()
LAST_NAMES = (
    "Miller Nguyen Park Diaz Johnson Garcia Smith Brown Davis Lopez Wilson Moore Clark Lewis "
    "Walker Young Allen King Wright Scott Hill Green Adams Baker Nelson Carter Mitchell Perez "
    "Roberts Turner Phillips Campbell Evans Edwards Collins Stewart Morris Rogers Reed Cook"
).split()

# Clinician profiles: who may hold which care-team role (couples/rules.py).
THERAPIST, COUNSELOR, MEDICAL = "therapist", "counselor", "medical"
PROFILE_FLAGS = {
    THERAPIST: {"can_be_couples_therapist": True, "can_be_individual_therapist": True},
    COUNSELOR: {"can_be_counselor": True},
    MEDICAL: {"can_be_medical_provider": True},
}
PROFILE_CREDENTIALS = {
    THERAPIST: ["LMFT", "LCSW", "LPC", "PsyD"],
    COUNSELOR: ["CADC", "LADC"],
    MEDICAL: ["MD", "NP"],
}
KIND_ROLE = {
    SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
    SessionKind.COUNSELING: CareRole.COUNSELOR,
    SessionKind.MEDICAL_VISIT: CareRole.MEDICAL_PROVIDER,
}
# kind: share of all sessions (%), local start hours, lengths in minutes, on weekends?
SESSION_PLAN = {
    SessionKind.COUPLES_THERAPY: (52, range(8, 19), (50, 60, 60, 90), False),
    SessionKind.GROUP: (14, (9, 18), (180,), False),
    SessionKind.COUNSELING: (14, range(9, 17), (50,), False),
    SessionKind.INDIVIDUAL_THERAPY: (7, range(9, 18), (50,), False),
    SessionKind.MEDICAL_VISIT: (5, range(8, 16), (30, 45), False),
    SessionKind.SOBER_ACTIVITY: (8, range(10, 15), (120,), True),
}
CANCEL_REASONS = ["Clinician unwell", "The couple asked to reschedule", "Holiday closure"]

# Goals: title, category, measure, target. Every couple (past intake) gets the shared ones,
# each partner one daily goal of their own and the relapse-prevention milestone.
SHARED_GOALS = [
    ("Ten minutes of talk after dinner", Goal.Category.COMMUNICATION, Goal.Measure.YES_NO, 5),
    ("How heard we felt today", Goal.Category.TRUST, Goal.Measure.RATING, 8),
    ("Sober activities together", Goal.Category.SOBER_ACTIVITIES, Goal.Measure.COUNT, 2),
]
OWN_GOALS = [
    ("Support meetings", Goal.Category.SOBRIETY, Goal.Measure.COUNT, 3),
    ("Walk or exercise", Goal.Category.HEALTH, Goal.Measure.YES_NO, 4),
    ("In bed by eleven", Goal.Category.HEALTH, Goal.Measure.YES_NO, 5),
    ("Journal each evening", Goal.Category.OTHER, Goal.Measure.YES_NO, 6),
]
MILESTONE = ("Finish the relapse-prevention plan", Goal.Category.SOBRIETY, "milestone", None)
DROPPED = ("Daily gratitude list", Goal.Category.OTHER, Goal.Measure.YES_NO, 7)
STATUS_PATH = {
    Goal.Status.PROPOSED: [Goal.Status.PROPOSED],
    Goal.Status.ACTIVE: [Goal.Status.PROPOSED, Goal.Status.ACTIVE],
    Goal.Status.ACHIEVED: [Goal.Status.PROPOSED, Goal.Status.ACTIVE, Goal.Status.ACHIEVED],
    Goal.Status.ON_HOLD: [Goal.Status.PROPOSED, Goal.Status.ACTIVE, Goal.Status.ON_HOLD],
    Goal.Status.CANCELLED: [Goal.Status.PROPOSED, Goal.Status.CANCELLED],
}
# Moods lean towards "okay" and "good"; sampled by index, which is cheaper than choices().
MOODS = (1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5)
NOTES = ("Hard evening, called my sponsor.", "Good talk tonight.", "Tired but okay.")

PAYERS = [
    ("Blue Cross Blue Shield PPO", Coverage.PlanType.PPO, "BCBS1"),
    ("Aetna Choice POS II", Coverage.PlanType.POS, "60054"),
    ("UnitedHealthcare Options PPO", Coverage.PlanType.PPO, "87726"),
    ("Cigna Open Access Plus", Coverage.PlanType.OTHER, "62308"),
    ("Humana Gold HMO", Coverage.PlanType.HMO, "61101"),
    ("Kaiser Permanente HMO", Coverage.PlanType.HMO, "94134"),
    ("Anthem Blue Cross EPO", Coverage.PlanType.EPO, "47198"),
    ("Oscar Health EPO", Coverage.PlanType.EPO, "OSCAR"),
]
COVERAGE_STATUSES = {
    Coverage.Status.VERIFIED: 55,
    Coverage.Status.PENDING: 15,
    Coverage.Status.UNVERIFIED: 12,
    Coverage.Status.DENIED: 8,
    Coverage.Status.EXPIRED: 10,
}
# category -> covered?, copays to pick from, coinsurance %, needs prior authorization, visit limit
BENEFITS = {
    Benefit.Category.IOP: (True, (0,), (10, 20, 30), True, None),
    Benefit.Category.THERAPY: (True, (20, 30, 40), (0,), False, 52),
    Benefit.Category.MEDICAL: (True, (15, 25, 35), (0,), False, None),
    Benefit.Category.MEDICATIONS: (True, (5, 10, 20), (0,), False, None),
    Benefit.Category.STAY: (False, (0,), (0,), False, None),
    Benefit.Category.MEALS: (False, (0,), (0,), False, None),
    Benefit.Category.SOBER_ACTIVITIES: (False, (0,), (0,), False, None),
}


@dataclass
class ClinicianRow:
    pk: int
    user_pk: int
    profile: str
    email: str
    caseload: set[int] = field(default_factory=set)  # couple pks with a current role


@dataclass
class CoupleRow:
    pk: int
    status: str
    zone: str
    admitted_on: datetime.date | None
    discharged_on: datetime.date | None
    partners: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    first_day: datetime.date | None = None  # the days with check-ins and progress
    last_day: datetime.date | None = None
    session_from: datetime.date | None = None  # the days with sessions
    session_to: datetime.date | None = None
    couples_therapists: list[tuple[datetime.date, int]] = field(default_factory=list)
    # (role, partner pk) -> clinician pk, for the current one-partner roles
    partner_roles: dict[tuple[str, int], int] = field(default_factory=dict)

    def couples_therapist_on(self, day: datetime.date) -> int:
        current = self.couples_therapists[0][1]
        for since, clinician in self.couples_therapists:
            if since <= day:
                current = clinician
        return current


@dataclass
class GoalRow:
    pk: int
    measure: str
    partner: int | None  # None: shared by both partners
    is_daily: bool  # logged day by day while active
    achieved_on: datetime.date | None = None  # the milestone's one entry


class Clinic:
    """The clinic as it is being built: options, dates and what has been created so far."""

    def __init__(self, *, couples: int, clinicians: int, days: int, sessions: int, seed: int):
        self.rng = random.Random(seed)
        self.couple_count = couples
        self.clinician_count = clinicians
        self.days = days
        self.session_count = sessions
        self.now = datetime.datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.astimezone(ZoneInfo(CLINIC_ZONE)).date()
        self.start = self.today - datetime.timedelta(days=days - 1)
        # Sessions reach some weeks ahead, so calendars have something scheduled.
        self.future_end = self.today + datetime.timedelta(days=min(28, max(7, days // 12)))
        self.zone_today = {
            zone: self.now.astimezone(ZoneInfo(zone)).date() for zone in [*ZONES, CLINIC_ZONE]
        }
        self.clinicians: list[ClinicianRow] = []
        self.couples: list[CoupleRow] = []
        self.staff_user_pks: list[int] = []
        self.goals: dict[int, list[GoalRow]] = {}  # couple pk -> goals

    def moment(self, day: datetime.date, hour: int) -> datetime.datetime:
        """That day at that hour (UTC), but never later than now."""
        return min(self.now, datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC))

    def estimate(self) -> dict[str, int]:
        """Roughly how many rows each big table gets, for the plan and the progress bars."""
        partner_days = 2 * self.couple_count * self.days * 0.86
        return {
            "check-ins": round(partner_days * 0.94),
            "progress entries": round(partner_days * 0.94 * 3.5 * 0.8),
            "sessions": self.session_count,
            "attendance": round(self.session_count * 3.0),
        }


def pick(rng, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def name_for(number: int) -> tuple[str, str]:
    return FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[(number // 7) % len(LAST_NAMES)]


# People -------------------------------------------------------------------------------


def clinician_profiles(count: int) -> list[str]:
    """Mostly therapists (couples and individual), about 15% counselors, 10% medical."""
    counselors = round(count * 0.15)
    medical = round(count * 0.10)
    therapists = max(2, count - counselors - medical)
    profiles = [THERAPIST] * therapists + [COUNSELOR] * counselors + [MEDICAL] * medical
    return profiles[:count]


def couple_plan(clinic: Clinic, number: int) -> dict:
    """Status, zone and program dates of one couple."""
    rng = clinic.rng
    status = pick(rng, COUPLE_STATUSES)
    admitted_on = discharged_on = None
    if status != Couple.Status.INTAKE:
        if rng.random() < 0.8:  # in the program for the whole year
            admitted_on = clinic.start - datetime.timedelta(days=rng.randint(0, 60))
        else:
            offset = rng.randint(0, max(0, int(clinic.days * 0.8)))
            admitted_on = min(clinic.today, clinic.start + datetime.timedelta(days=offset))
    if status == Couple.Status.DISCHARGED:
        discharged_on = max(admitted_on, clinic.today - datetime.timedelta(rng.randint(1, 90)))
    return {
        "status": status,
        "time_zone": pick(rng, ZONES),
        "admitted_on": admitted_on,
        "discharged_on": discharged_on,
        "level_of_care": "ASAM 1.0 OP" if status == Couple.Status.STEP_DOWN else "ASAM 2.1 IOP",
    }


def sobriety_date(clinic: Clinic, admitted_on: datetime.date | None) -> datetime.date | None:
    if admitted_on is None or clinic.rng.random() < 0.1:
        return None
    return admitted_on - datetime.timedelta(days=clinic.rng.randint(0, 60))


def set_windows(clinic: Clinic, couple: CoupleRow) -> None:
    """The days a couple checks in (up to its local today) and the days it has sessions."""
    if couple.admitted_on is None:  # intake: only its first sessions, ahead
        couple.session_from, couple.session_to = clinic.today, clinic.future_end
        return
    first = max(clinic.start, couple.admitted_on)
    last = min(clinic.zone_today[couple.zone], couple.discharged_on or clinic.future_end)
    if first <= last:
        couple.first_day, couple.last_day = first, last
    couple.session_from = first
    couple.session_to = couple.discharged_on or clinic.future_end


# Care teams ---------------------------------------------------------------------------


def care_assignment_rows(clinic: Clinic) -> list[dict]:
    """Care teams that keep the rule of couples/rules.py and give every clinician ~one caseload.

    1. Current couples get a couples therapist, dealt round the therapists, so caseloads
       differ by at most one; a few had a handover (the earlier row is ended, kept as history).
    2. Discharged couples keep their couples therapist as an ended row.
    3. Each counselor and medical provider takes as many couples (both partners) as a
       therapist has, from separate pools, so they never collide with the therapy roles.
    4. One couple in twenty also has an individual therapist, never its couples therapist.
    """
    rng = clinic.rng
    by_profile = {
        profile: [c for c in clinic.clinicians if c.profile == profile] for profile in PROFILE_FLAGS
    }
    therapists = by_profile[THERAPIST]
    current = [c for c in clinic.couples if c.status != Couple.Status.DISCHARGED]
    rng.shuffle(current)
    rows = []

    def add(couple, clinician, role, *, partner=None, started, ended=None):
        rows.append(
            {
                "couple_id": couple.pk,
                "partner_id": partner,
                "clinician_id": clinician.pk,
                "role": role,
                "started_at": started,
                "ended_at": ended,
            }
        )
        if ended is None:
            clinician.caseload.add(couple.pk)
            if partner is not None:
                couple.partner_roles[(role, partner)] = clinician.pk

    for index, couple in enumerate(current):
        therapist = therapists[index % len(therapists)]
        started = started_at(clinic, couple)
        couple.couples_therapists = [(datetime.date.min, therapist.pk)]
        span = (couple.last_day - couple.first_day).days if couple.first_day else 0
        if span > 90 and rng.random() < 0.06:
            earlier = therapists[(index + 1) % len(therapists)]
            handover = couple.first_day + datetime.timedelta(days=rng.randint(30, span - 30))
            add(
                couple,
                earlier,
                CareRole.COUPLES_THERAPIST,
                started=started,
                ended=clinic.moment(handover, 15),
            )
            couple.couples_therapists = [
                (datetime.date.min, earlier.pk),
                (handover, therapist.pk),
            ]
            started = clinic.moment(handover, 15)
        add(couple, therapist, CareRole.COUPLES_THERAPIST, started=started)
    for couple in clinic.couples:
        if couple.status == Couple.Status.DISCHARGED:
            therapist = rng.choice(therapists)
            couple.couples_therapists = [(datetime.date.min, therapist.pk)]
            ended = clinic.moment(couple.discharged_on, 20)
            started = clinic.moment(couple.admitted_on, 14)
            add(couple, therapist, CareRole.COUPLES_THERAPIST, started=started, ended=ended)
    caseload = math.ceil(len(current) / len(therapists)) if current else 0
    for profile, role in ((COUNSELOR, CareRole.COUNSELOR), (MEDICAL, CareRole.MEDICAL_PROVIDER)):
        pool = by_profile[profile]
        share = min(caseload, len(current) // len(pool)) if pool else 0
        for position, couple in enumerate(rng.sample(current, share * len(pool))):
            for partner in couple.partners:
                started = started_at(clinic, couple)
                add(couple, pool[position // share], role, partner=partner, started=started)
    for couple in rng.sample(current, len(current) // 20):
        couples_therapist = couple.couples_therapists[-1][1]
        others = [t for t in therapists if t.pk != couples_therapist]
        therapist = rng.choice(others)
        for partner in couple.partners:
            started = started_at(clinic, couple)
            add(couple, therapist, CareRole.INDIVIDUAL_THERAPIST, partner=partner, started=started)
    return rows


def started_at(clinic: Clinic, couple: CoupleRow) -> datetime.datetime:
    if couple.admitted_on is None:
        return clinic.now - datetime.timedelta(days=clinic.rng.randint(1, 10))
    return clinic.moment(couple.admitted_on, 14)


def consent_rows(clinic: Clinic) -> list[dict]:
    """About 40% of partners share with their partner; a few have revoked since."""
    rng = clinic.rng
    rows = []
    for couple in clinic.couples:
        if couple.admitted_on is None:
            continue
        granted = clinic.moment(couple.admitted_on, 16)
        pairs = zip(couple.partners, reversed(couple.partners), couple.users, strict=True)
        for partner, recipient, user in pairs:
            if rng.random() >= 0.4:
                continue
            goals, checkins = rng.choice([(True, True), (True, True), (True, False), (False, True)])
            revoked = rng.random() < 0.1
            rows.append(
                {
                    "partner_id": partner,
                    "recipient_id": recipient,
                    "shares_goals": goals,
                    "shares_checkins": checkins,
                    "granted_at": granted,
                    "granted_by_id": user,
                    "revoked_at": max(granted, clinic.now - datetime.timedelta(days=20))
                    if revoked
                    else None,
                    "revoked_by_id": user if revoked else None,
                }
            )
    return rows


# Goals --------------------------------------------------------------------------------


def goal_plans(clinic: Clinic, couple: CoupleRow) -> list[dict]:
    """One couple's goals as field values, with `_daily` and `_achieved_on` for the stream."""
    rng = clinic.rng
    if couple.admitted_on is None:
        return [_goal(couple, None, SHARED_GOALS[0], Goal.Status.PROPOSED, start_on=clinic.today)]
    daily_status = Goal.Status.ACTIVE
    if couple.status == Couple.Status.DISCHARGED:
        daily_status = Goal.Status.ACHIEVED
    plans = []
    for number, spec in enumerate(SHARED_GOALS):
        status = daily_status
        if number == 2 and rng.random() < 0.5:
            status = Goal.Status.ON_HOLD  # the third shared goal waits for half the couples
        plans.append(_goal(couple, None, spec, status, start_on=couple.admitted_on))
    for partner in couple.partners:
        own = rng.choice(OWN_GOALS)
        plans.append(_goal(couple, partner, own, daily_status, start_on=couple.admitted_on))
        achieved_on = None
        if couple.first_day and rng.random() < 0.6:
            day = couple.first_day + datetime.timedelta(days=rng.randint(7, 60))
            achieved_on = day if day <= couple.last_day else None
        milestone = _goal(
            couple,
            partner,
            MILESTONE,
            Goal.Status.ACHIEVED if achieved_on else Goal.Status.ACTIVE,
            start_on=couple.admitted_on,
            due_on=couple.admitted_on + datetime.timedelta(days=60),
        )
        milestone["_daily"], milestone["_achieved_on"] = False, achieved_on
        plans.append(milestone)
        if rng.random() < 0.15:
            plans.append(
                _goal(couple, partner, DROPPED, Goal.Status.CANCELLED, start_on=couple.admitted_on)
            )
    return plans


def _goal(couple: CoupleRow, partner: int | None, spec: tuple, status: str, **fields) -> dict:
    title, category, measure, target = spec
    owner = couple.users[0] if partner is None else couple.users[couple.partners.index(partner)]
    return {
        "couple_id": couple.pk,
        "partner_id": partner,
        "title": title,
        "category": category,
        "measure": measure,
        "target": target,
        "status": status,
        "created_by_id": owner,
        "_daily": status == Goal.Status.ACTIVE
        or (status == Goal.Status.ACHIEVED and measure != Goal.Measure.MILESTONE),
        "_achieved_on": None,
        **fields,
    }


def goal_side_rows(goal: dict, pk: int, couple: CoupleRow):
    """Acceptances of a shared goal and the goal's status history, as (model name, fields)."""
    if goal["partner_id"] is None and goal["status"] != Goal.Status.PROPOSED:
        for partner in couple.partners:
            yield "acceptance", {"goal_id": pk, "partner_id": partner}
    elif goal["status"] == Goal.Status.PROPOSED:
        yield "acceptance", {"goal_id": pk, "partner_id": couple.partners[0]}
    previous = ""
    for status in STATUS_PATH[goal["status"]]:
        yield (
            "transition",
            {
                "goal_id": pk,
                "from_status": previous,
                "to_status": status,
                "by_id": goal["created_by_id"],
            },
        )
        previous = status


# Check-ins and progress ----------------------------------------------------------------


def daily_rows(clinic: Clinic, couple: CoupleRow):
    """One couple's check-ins and progress entries, as two lists of tuples.

    Each partner has their own habits: how often they skip a day, how strong cravings
    run, how often they say yes. Missed days have neither a check-in nor progress.
    """
    checkins, entries = [], []
    if couple.first_day is None:
        return checkins, entries
    rng = clinic.rng
    random = rng.random
    today = clinic.zone_today[couple.zone]
    goals = clinic.goals.get(couple.pk, [])
    days = [
        couple.first_day + datetime.timedelta(days=offset)
        for offset in range((couple.last_day - couple.first_day).days + 1)
    ]
    for partner in couple.partners:
        gap_rate = rng.choice((0.03, 0.05, 0.08, 0.12, 0.25))
        craving_mean = rng.choice((1.0, 2.0, 3.0, 4.5))
        relapse_rate = rng.choice((0.003, 0.01, 0.01, 0.04))
        says_yes = rng.uniform(0.55, 0.9)
        rating_base = rng.randint(4, 8)
        logs = rng.uniform(0.7, 0.95)  # how reliably they log each goal
        mine = [g for g in goals if g.partner in (None, partner)]
        daily = [(g.pk, g.measure) for g in mine if g.is_daily]
        milestones = {g.achieved_on: g.pk for g in mine if g.achieved_on}
        for day in days:
            if day in milestones:  # reaching it is worth logging, even on a missed day
                entries.append((milestones[day], partner, day, Goal.Measure.MILESTONE, 1, "", day))
            if random() < gap_rate:
                continue
            recorded_on = day
            if random() < 0.1:  # logged a day or three late, within the 7-day window
                recorded_on = min(today, day + datetime.timedelta(days=rng.randint(1, 3)))
            is_sober = random() > relapse_rate
            craving = min(10, int(rng.expovariate(1 / craving_mean)) + (0 if is_sober else 5))
            checkins.append(
                (
                    partner,
                    day,
                    is_sober,
                    craving,
                    MOODS[int(random() * len(MOODS))] if is_sober else 1,
                    random() < 0.65,
                    random() < 0.45,
                    NOTES[int(random() * len(NOTES))] if random() < 0.02 else "",
                    recorded_on,
                )
            )
            for goal, measure in daily:
                if random() > logs:
                    continue
                if measure == Goal.Measure.YES_NO:
                    value = int(random() < says_yes)
                elif measure == Goal.Measure.RATING:
                    value = max(1, min(10, rating_base + int(random() * 5) - 2))
                else:
                    value = int(random() < 0.4) + int(random() < 0.05)
                entries.append((goal, partner, day, measure, value, "", recorded_on))
    return checkins, entries


# Sessions -----------------------------------------------------------------------------


class SessionPlanner:
    """Draws plausible sessions one at a time: a kind, then people in the program that day.

    The day is drawn over the whole range first and a couple accepted only if it is in
    the program that day, so couples in the program longer have more sessions.
    """

    def __init__(self, clinic: Clinic):
        self.clinic = clinic
        self.rng = clinic.rng
        self.user_of = {c.pk: c.user_pk for c in clinic.clinicians}
        self.leaders = [c.pk for c in clinic.clinicians if c.profile != MEDICAL]
        self.couples = [
            c for c in clinic.couples if c.session_from and c.session_from <= c.session_to
        ]
        self.by_zone: dict[str, list[CoupleRow]] = {}
        for couple in self.couples:
            self.by_zone.setdefault(couple.zone, []).append(couple)
        self.holders = {kind: [] for kind in KIND_ROLE}
        for couple in self.couples:
            for (role, partner), clinician in couple.partner_roles.items():
                for kind, kind_role in KIND_ROLE.items():
                    if kind_role == role:
                        self.holders[kind].append((couple, partner, clinician))
        self.kinds = [kind for kind, plan in SESSION_PLAN.items() for _ in range(plan[0])]
        self.span = (clinic.future_end - clinic.start).days + 1
        self.zones = {zone: ZoneInfo(zone) for zone in [*ZONES, CLINIC_ZONE]}

    def draw(self) -> tuple[TherapySession, list[tuple]] | None:
        """One session (unsaved) and its attendance rows without the session id."""
        kind = self.kinds[int(self.rng.random() * len(self.kinds))]
        if kind in KIND_ROLE and not self.holders[kind]:
            kind = SessionKind.COUPLES_THERAPY
        if not self.couples:
            return None
        weekend = SESSION_PLAN[kind][3]
        if kind in KIND_ROLE:
            (couple, partner, clinician), day = self._draw_in_program(self.holders[kind], weekend)
            partners, zone, couple_pk = [partner], couple.zone, couple.pk
        elif kind == SessionKind.COUPLES_THERAPY:
            couple, day = self._draw_in_program(self.couples, weekend)
            clinician = couple.couples_therapist_on(day)
            partners, zone, couple_pk = couple.partners, couple.zone, couple.pk
        else:
            couple, day = self._draw_in_program(self.couples, weekend)
            clinician, zone, couple_pk = self.rng.choice(self.leaders), couple.zone, None
            size = self.rng.randint(3, 6) if kind == SessionKind.GROUP else self.rng.randint(2, 4)
            partners = [p for c in self._others_in_zone(couple, day, size) for p in c.partners]
        return self._session(kind, clinician, couple_pk, zone, day, partners)

    def _draw_in_program(self, candidates, weekend: bool):
        rng = self.rng
        for _ in range(12):
            candidate = candidates[int(rng.random() * len(candidates))]
            couple = candidate[0] if isinstance(candidate, tuple) else candidate
            day = self.clinic.start + datetime.timedelta(days=int(rng.random() * self.span))
            if couple.session_from <= day <= couple.session_to and (day.weekday() >= 5) == weekend:
                return candidate, day
        # A short stay rarely wins the draw above: any day of its own will do.
        offset = rng.randint(0, (couple.session_to - couple.session_from).days)
        return candidate, couple.session_from + datetime.timedelta(days=offset)

    def _others_in_zone(self, first: CoupleRow, day: datetime.date, size: int):
        chosen = {first.pk: first}
        pool = self.by_zone[first.zone]
        for _ in range(size * 3):
            if len(chosen) == size:
                break
            couple = pool[int(self.rng.random() * len(pool))]
            if couple.session_from <= day <= couple.session_to:
                chosen[couple.pk] = couple
        return chosen.values()

    def _session(self, kind, clinician, couple_pk, zone, day, partners):
        rng, now = self.rng, self.clinic.now
        _, hours, lengths, _ = SESSION_PLAN[kind]
        hour = rng.choice(hours)
        minute = 0 if kind == SessionKind.GROUP else rng.choice((0, 0, 30))
        local = datetime.datetime.combine(day, datetime.time(hour, minute), self.zones[zone])
        starts_at = local.astimezone(UTC)
        ends_at = starts_at + datetime.timedelta(minutes=rng.choice(lengths))
        status, reason = TherapySession.Status.SCHEDULED, ""
        if rng.random() < 0.04:
            status, reason = TherapySession.Status.CANCELLED, rng.choice(CANCEL_REASONS)
        attendance = [self._attendance(p, starts_at, ends_at, status, clinician) for p in partners]
        marked = status != TherapySession.Status.CANCELLED and ends_at <= now
        if marked:
            anyone_there = any(row[1] in ("present", "late") for row in attendance)
            status = (
                TherapySession.Status.COMPLETED if anyone_there else TherapySession.Status.NO_SHOW
            )
        session = TherapySession(
            kind=kind,
            clinician_id=clinician,
            couple_id=couple_pk,
            starts_at=starts_at,
            ends_at=ends_at,
            time_zone=zone,
            room_id=secrets.token_urlsafe(16),  # a real room link: never from the seeded RNG
            status=status,
            change_reason=reason,
            created_by_id=self.user_of[clinician],
        )
        return session, attendance

    def _attendance(self, partner, starts_at, ends_at, status, clinician) -> tuple:
        """(partner, status, minutes, marked_at, marked_by, response, note, responded_at).

        Past sessions are marked; some partners have confirmed one still ahead of them.
        """
        rng, now = self.rng, self.clinic.now
        if status == TherapySession.Status.CANCELLED or ends_at > now:
            if starts_at > now and status != TherapySession.Status.CANCELLED and rng.random() < 0.4:
                answered = min(now, starts_at - datetime.timedelta(hours=rng.randint(2, 48)))
                return (partner, "", 0, None, None, Attendance.Response.CONFIRMED, "", answered)
            return (partner, "", 0, None, None, "", "", None)
        length = int((ends_at - starts_at).total_seconds() // 60)
        roll = rng.random()
        if roll < 0.8:
            status, minutes = Attendance.Status.PRESENT, length
        elif roll < 0.9:
            status, minutes = Attendance.Status.LATE, max(1, length - rng.choice((5, 10, 20)))
        elif roll < 0.97:
            status, minutes = Attendance.Status.ABSENT, 0
        else:
            status, minutes = Attendance.Status.EXCUSED, 0
        marked_at = min(now, ends_at + datetime.timedelta(minutes=rng.randint(5, 180)))
        return (partner, status, minutes, marked_at, self.user_of[clinician], "", "", None)


# Insurance ----------------------------------------------------------------------------


def coverage_plans(clinic: Clinic, payers: list[tuple[int, str, str]]):
    """Coverage fields for every partner: (couple, fields); payers are (pk, name, plan type)."""
    rng = clinic.rng
    staff = clinic.staff_user_pks
    this_year = datetime.date(clinic.today.year, 1, 1)
    for couple in clinic.couples:
        on_one_plan = rng.random() < 0.3  # the second partner is a dependent on the first's plan
        payer, payer_name, plan_type = rng.choice(payers)
        for index, (partner, name) in enumerate(zip(couple.partners, couple.names, strict=True)):
            dependent = on_one_plan and index == 1
            if not on_one_plan:
                payer, payer_name, plan_type = rng.choice(payers)
            status = pick(rng, COVERAGE_STATUSES)
            if couple.admitted_on is None and status == Coverage.Status.EXPIRED:
                status = Coverage.Status.PENDING  # at intake nobody has checked it yet
            effective_on, terminates_on = this_year, None
            if status == Coverage.Status.EXPIRED:
                effective_on = datetime.date(clinic.today.year - 1, 1, 1)
                terminates_on = clinic.today - datetime.timedelta(days=rng.randint(1, 60))
            elif rng.random() < 0.06:  # ends within the month: the queue's warning
                terminates_on = clinic.today + datetime.timedelta(days=rng.randint(1, 30))
            deductible = rng.choice((500, 1000, 1500, 2500, 3000))
            out_of_pocket = rng.choice((3000, 4500, 6000, 8000))
            fields = {
                "partner_id": partner,
                "payer_id": payer,
                "plan_type": plan_type,
                "plan_name": f"{payer_name} {rng.choice(('Gold', 'Silver', 'Bronze'))}",
                "member_id": f"SC{partner:08}{'01' if dependent else '00'}",
                "group_number": f"GRP-{payer:03}-{couple.pk % 97:02}",
                "subscriber_name": couple.names[0] if dependent else name,
                "relationship": rng.choice(("spouse", "spouse", "domestic_partner"))
                if dependent
                else "self",
                "effective_on": effective_on,
                "terminates_on": terminates_on,
                "deductible": deductible,
                "deductible_met": round(deductible * rng.random()),
                "out_of_pocket_max": out_of_pocket,
                "out_of_pocket_met": round(out_of_pocket * rng.random() * 0.5),
                "status": status,
            }
            if status in (Coverage.Status.VERIFIED, Coverage.Status.EXPIRED):
                verified_at = clinic.now - datetime.timedelta(days=rng.randint(1, 120))
                fields |= {
                    "verified_by_id": rng.choice(staff),
                    "verified_at": verified_at,
                    "verification_method": rng.choice(Coverage.Method.values),
                    "reference_number": f"REF-{partner:07}",
                    "reverify_on": verified_at.date() + datetime.timedelta(days=90),
                }
            elif status == Coverage.Status.PENDING:
                fields["reverify_on"] = clinic.today
            yield couple, fields


def coverage_side_rows(clinic: Clinic, coverage_pk: int, couple: CoupleRow, fields: dict):
    """Benefits, authorizations and status history of one coverage, as (kind, fields)."""
    rng = clinic.rng
    for category, (covered, copays, coinsurance, prior, limit) in BENEFITS.items():
        yield (
            "benefit",
            {
                "coverage_id": coverage_pk,
                "category": category,
                "is_covered": covered,
                "copay": rng.choice(copays),
                "coinsurance_percent": rng.choice(coinsurance),
                "needs_prior_authorization": prior,
                "visit_limit": limit,
            },
        )
    status, by = fields["status"], rng.choice(clinic.staff_user_pks)
    path = {
        Coverage.Status.PENDING: ["unverified", "pending"],
        Coverage.Status.VERIFIED: ["unverified", "pending", "verified"],
        Coverage.Status.DENIED: ["unverified", "pending", "denied"],
        Coverage.Status.EXPIRED: ["unverified", "pending", "verified", "expired"],
    }.get(status, [])
    for before, after in zip(path, path[1:], strict=False):
        yield (
            "status_change",
            {
                "coverage_id": coverage_pk,
                "from_status": before,
                "to_status": after,
                "by_id": None if after == "expired" else by,  # expiry is the hourly task's
                "note": "Plan ended" if after == "expired" else "",
            },
        )
    if status in (Coverage.Status.VERIFIED, Coverage.Status.EXPIRED) and couple.admitted_on:
        starts_on = max(couple.admitted_on, fields["effective_on"])
        for number in range(1, rng.choice((1, 2, 2, 3)) + 1):
            ends_on = starts_on + datetime.timedelta(days=rng.choice((30, 60, 90)) - 1)
            if fields["terminates_on"]:
                ends_on = max(starts_on, min(ends_on, fields["terminates_on"]))
            yield (
                "authorization",
                {
                    "coverage_id": coverage_pk,
                    "number": f"AUTH-{coverage_pk:06}-{number}",
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "units_authorized": rng.choice((12, 16, 20, 30)),
                },
            )
            starts_on = ends_on + datetime.timedelta(days=1)
            if starts_on > min(clinic.today, fields["terminates_on"] or clinic.today):
                break
