"""What every instrument is made of: items, their choices, bands and a scoring function.

Nothing here reads the database. The tests in tests/measures/test_scoring.py hold every band
edge and worked example: a change here changes what a score means.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    choices: tuple[tuple[int, str], ...]
    # Asked but not counted in any score (PHQ-9's difficulty question, BAM item 7).
    scored: bool = True
    # May be left unanswered.
    optional: bool = False
    # A heading shown before the item (BAM's "how many days" block).
    lead: str = ""


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str
    # 0 none, 1 mild, 2 moderate, 3 moderately severe or past a cut-off, 4 severe.
    level: int


@dataclass(frozen=True)
class Score:
    """A scored response: the headline number, the named subscales, the band and what needs
    the care team's attention (flags)."""

    total: int
    subscales: dict[str, int] = field(default_factory=dict)
    band: Band | None = None
    flags: tuple[str, ...] = ()


SEVERE = 4
# A score that needs the care team today (PHQ-9 item 9, any C-SSRS risk).
SAFETY_FLAG = "safety"


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    title: str
    stem: str
    items: tuple[Item, ...]
    score: Callable[[dict[str, int]], Score]
    citation: str
    bands: tuple[Band, ...] = ()
    # The smallest change in the headline that is clinically meaningful, where published.
    meaningful_change: int | None = None
    # Higher is worse (PHQ-9, GAD-7, BAM risk) or better (CSI-4).
    higher_is_worse: bool = True
    max_total: int = 0
    # What the headline number is called on charts ("Total", "Risk").
    headline: str = "Total"
    # Which items must be answered, given the answers so far (skip logic); default: every
    # item that is not optional.
    required: Callable[[dict[str, int]], list[str]] | None = None
    # A partner may answer it on the portal (the safety screen follows a PHQ-9 only).
    self_report: bool = True
    # About how many minutes it takes on a phone (said before starting).
    minutes: int = 2

    def item(self, key: str) -> Item:
        return next(item for item in self.items if item.key == key)

    def band_of(self, total: int) -> Band | None:
        return next((b for b in self.bands if b.low <= total <= b.high), None)

    def required_keys(self, answers: dict[str, int]) -> list[str]:
        if self.required is not None:
            return self.required(answers)
        return [item.key for item in self.items if not item.optional]

    def missing(self, answers: dict[str, int]) -> list[Item]:
        """The items still to answer, in order."""
        required = set(self.required_keys(answers))
        return [i for i in self.items if i.key in required and answers.get(i.key) is None]

    def clean(self, answers: dict) -> dict[str, int]:
        """Only this instrument's items, each with one of its own values; anything else is
        dropped (a tampered form cannot store a value the instrument does not have)."""
        cleaned = {}
        for item in self.items:
            value = answers.get(item.key)
            if isinstance(value, str):
                value = value.strip()
                value = int(value) if value.isdigit() and len(value) < 4 else None
            if isinstance(value, int) and not isinstance(value, bool):
                if value in {v for v, _ in item.choices}:
                    cleaned[item.key] = value
        return cleaned

    def change_is_worse(self, baseline: int, now: int) -> bool:
        """Whether `now` is worse than `baseline` by at least the meaningful change."""
        if self.meaningful_change is None:
            return False
        delta = now - baseline if self.higher_is_worse else baseline - now
        return delta >= self.meaningful_change


def total_of(answers: dict[str, int], keys) -> int:
    return sum(answers[key] for key in keys)
