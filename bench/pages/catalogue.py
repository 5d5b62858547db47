"""The pages under load, the floor they are compared with, the targets, and the run's paths."""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
WORK = ROOT / "bench" / ".work"
BIN = Path(sys.executable).parent
SETTINGS = "bench.settings_pages"
# Issue 16: with nothing kept, every page at a fifth of the floor or better, p95 < 100 ms.
TARGET_FLOOR_SHARE, TARGET_P95_MS, TARGET_WORKER_MB = 0.20, 100.0, 250.0
# A page's run is disturbed when other work on the machine took more than this share of it.
DISTURBED = 0.10
MB_PER_MIB = 1.048576


@dataclass(frozen=True)
class Page:
    """A page under load: who asks for it, where, and how to tell it is the real page."""

    ROLES: ClassVar[tuple[str, ...]] = ("clinician", "partner", "insurance_staff")

    name: str
    title: str
    role: str
    path: str
    marker: bytes = b""
    method: str = "GET"
    redirect_to: str = ""

    @property
    def status(self) -> int:
        return 302 if self.redirect_to else 200

    def url(self, place: dict[str, int]) -> str:
        """The path with the benchmark's records in it: `couple`, and the plan page's
        `plan_couple` and `plan_partner` (bench/pages_records.py)."""
        return self.path.format(**place)

    def check(self, status: int, location: str, body: bytes) -> None:
        """Raise unless the response is the page itself (not a login redirect or an error)."""
        if status != self.status or (self.redirect_to and location != self.redirect_to):
            raise RuntimeError(f"{self.name}: status {status} {location}\n{body[:1500]!r}")
        if self.marker and self.marker not in body:
            raise RuntimeError(f"{self.name}: {self.marker!r} not in the page\n{body[:1500]!r}")


FLOOR = Page("floor", "Floor: signed in, one indexed query", "partner", "/bench/floor/",
             b"bench-floor: signed in as")  # fmt: skip
# A reference without targets: the floor inside base.html, which every page extends.
LAYOUT = Page("floor_layout", "Reference: the floor in the app's layout", "partner",
              "/bench/floor/layout/", b"bench-floor-layout: signed in as")  # fmt: skip
REFERENCES = (FLOOR, LAYOUT)
PAGES = [
    Page("caseload", "Clinician caseload", "clinician", "/clinic/",
         b'<h1 class="h3 mb-1">Caseload</h1>'),
    Page("couple", "Couple page: overview", "clinician", "/clinic/couples/{couple}/",
         b'id="partners-heading"'),
    Page("couple_goals", "Couple page: goals tab", "clinician",
         "/clinic/couples/{couple}/goals/", b'id="goals-heading"'),
    Page("couple_checkins", "Couple page: check-ins tab", "clinician",
         "/clinic/couples/{couple}/checkins/", b'id="checkins-heading"'),
    Page("couple_sessions", "Couple page: sessions tab", "clinician",
         "/clinic/couples/{couple}/sessions/", b'id="sessions-heading"'),
    Page("couple_measures", "Couple page: measures tab", "clinician",
         "/clinic/couples/{couple}/measures/", b'aria-current="page">Measures</a>'),
    Page("couple_insurance", "Couple page: insurance tab", "clinician",
         "/clinic/couples/{couple}/insurance/", b'aria-current="page">Insurance</a>'),
    # bench/pages_records.py writes the notes and the plan these two read.
    Page("couple_notes", "Couple page: notes tab", "clinician",
         "/clinic/couples/{couple}/notes/", b'id="notes-heading"'),
    Page("plan", "Treatment plan (a partner's)", "clinician",
         "/clinic/couples/{plan_couple}/plans/partner/{plan_partner}/", b'aria-label="Problem 1"'),
    Page("portal_home", "Portal home", "partner", "/portal/", b'<h1 class="page-title">Hello,'),
    Page("portal_goals", "Portal goals", "partner", "/portal/goals/",
         b'<h1 class="page-title">Goals</h1>'),
    Page("checkin_post", "Daily check-in (POST)", "partner", "/portal/checkin/",
         method="POST", redirect_to="/portal/"),
    Page("week", "Clinician's week calendar", "clinician", "/clinic/sessions/week/",
         b"My sessions,"),
    Page("coverage_admin", "Coverage admin list", "insurance_staff",
         "/admin/insurance/coverage/", b'id="result_list"'),
    LAYOUT,
    FLOOR,
]  # fmt: skip


def places(prepared: dict) -> dict[str, int]:
    """What the pages' paths name (Page.url), from `prepare`'s answer: the benchmark's
    couple, and where the plan page reads (bench/pages_records.py)."""
    records = prepared["records"]
    return {
        "couple": prepared["logins"]["partner"]["couple"],
        "plan_couple": records["plan_couple"],
        "plan_partner": records["plan_partner"],
    }


def checkin_form_data(html: str) -> dict[str, str]:
    """A valid daily check-in from the form page: its day and CSRF token, sober, craving 2."""

    def value_of(name: str) -> str:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        found = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
        if found is None:
            raise RuntimeError(f"The check-in form has no {name} field:\n{html[:1500]}")
        return found.group(1)

    return {
        "csrfmiddlewaretoken": value_of("csrfmiddlewaretoken"),
        "day": value_of("day"),
        "is_sober": "yes",
        "craving": "2",
        "mood": "4",
        "had_trust_discussion": "on",
        "note": "Benchmark check-in.",
    }
