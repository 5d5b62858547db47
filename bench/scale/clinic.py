"""The clinic being built (options, dates, rows made so far), its people and their names."""

import datetime
import random
from dataclasses import dataclass, field
from datetime import UTC
from zoneinfo import ZoneInfo

from couples.models import Couple

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
