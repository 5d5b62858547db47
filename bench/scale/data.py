"""The rows of a large synthetic clinic, for seed_scale (`python -m bench.scale`).

Everything here decides what the rows hold; the command decides how they reach the
database. Row generators are streamed (a couple or a batch at a time), so a year of
check-ins never sits in memory. One `random.Random` drives all of it: the same seed and
the same day give the same clinic.

This module gathers the parts for the command: clinic.py (the clinic, its people),
care_teams.py, goal_rows.py (goals, check-ins, progress), session_rows.py and coverage_rows.py.
"""

from bench.scale.care_teams import (
    care_assignment_rows,
    consent_rows,
    started_at,
)
from bench.scale.clinic import (
    CLINIC_ZONE,
    COUNSELOR,
    COUPLE_STATUSES,
    DOMAIN,
    FIRST_NAMES,
    LAST_NAMES,
    MEDICAL,
    PROFILE_CREDENTIALS,
    PROFILE_FLAGS,
    THERAPIST,
    ZONES,
    Clinic,
    ClinicianRow,
    CoupleRow,
    GoalRow,
    clinician_profiles,
    couple_plan,
    name_for,
    pick,
    set_windows,
    sobriety_date,
)
from bench.scale.coverage_rows import (
    BENEFITS,
    COVERAGE_STATUSES,
    PAYERS,
    coverage_plans,
    coverage_side_rows,
)
from bench.scale.goal_rows import (
    DROPPED,
    MILESTONE,
    MOODS,
    NOTES,
    OWN_GOALS,
    SHARED_GOALS,
    STATUS_PATH,
    daily_rows,
    goal_plans,
    goal_side_rows,
)
from bench.scale.session_rows import (
    CANCEL_REASONS,
    KIND_ROLE,
    SESSION_PLAN,
    SessionPlanner,
)

__all__ = [
    "DOMAIN",
    "CLINIC_ZONE",
    "ZONES",
    "COUPLE_STATUSES",
    "FIRST_NAMES",
    "LAST_NAMES",
    "THERAPIST",
    "COUNSELOR",
    "MEDICAL",
    "PROFILE_FLAGS",
    "PROFILE_CREDENTIALS",
    "ClinicianRow",
    "CoupleRow",
    "GoalRow",
    "Clinic",
    "pick",
    "name_for",
    "clinician_profiles",
    "couple_plan",
    "sobriety_date",
    "set_windows",
    "care_assignment_rows",
    "started_at",
    "consent_rows",
    "SHARED_GOALS",
    "OWN_GOALS",
    "MILESTONE",
    "DROPPED",
    "STATUS_PATH",
    "MOODS",
    "NOTES",
    "goal_plans",
    "goal_side_rows",
    "daily_rows",
    "KIND_ROLE",
    "SESSION_PLAN",
    "CANCEL_REASONS",
    "SessionPlanner",
    "PAYERS",
    "COVERAGE_STATUSES",
    "BENEFITS",
    "coverage_plans",
    "coverage_side_rows",
]
