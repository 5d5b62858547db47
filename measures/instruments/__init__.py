"""The standard measures, as published: items, answer choices, scoring, bands and sources.

`INSTRUMENTS` is the one registry; `instrument_get(code)` looks one up. The scheduled ones
(`SCHEDULED`) are those a clinician sets for a partner; the C-SSRS screen follows a PHQ-9.
"""

from measures.instruments.core import SAFETY_FLAG, SEVERE, Band, Instrument, Item, Score
from measures.instruments.mood import GAD7, PHQ9
from measures.instruments.recovery import BAM
from measures.instruments.relationship import CSI4
from measures.instruments.safety import CSSRS

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, BAM, CSI4, CSSRS)}
SCHEDULED = (PHQ9, GAD7, BAM, CSI4)
CODE_CHOICES = [(i.code, i.name) for i in INSTRUMENTS.values()]


def instrument_get(code: str) -> Instrument:
    return INSTRUMENTS[code]


__all__ = [
    "BAM",
    "CODE_CHOICES",
    "CSI4",
    "CSSRS",
    "GAD7",
    "INSTRUMENTS",
    "PHQ9",
    "SAFETY_FLAG",
    "SCHEDULED",
    "SEVERE",
    "Band",
    "Instrument",
    "Item",
    "Score",
    "instrument_get",
]
