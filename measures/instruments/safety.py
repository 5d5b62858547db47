"""The Columbia Suicide Severity Rating Scale, screen version (C-SSRS screener), past month.

Posner K, Brown GK, Stanley B, et al. The Columbia-Suicide Severity Rating Scale: initial
validity and internal consistency findings from three multisite studies with adolescents and
adults. Am J Psychiatry 2011;168(12):1266-1277. Wording, skip logic and risk levels as in the
Columbia Lighthouse Project's "C-SSRS Screen Version" (past month): ask 1 and 2; if 2 is yes,
ask 3, 4 and 5; always ask 6, and if 6 is yes, whether it was within the past three months.
Risk: yes to 1 or 2 only → low; yes to 3, or to 6 longer ago → moderate; yes to 4 or 5, or
to 6 within three months → high.

It follows a PHQ-9 whose item 9 is above 0 (the partner's own answers) or is asked by a
clinician; every answered screen raises an urgent item for the care team.
"""

from measures.instruments.core import SAFETY_FLAG, Band, Instrument, Item, Score

NO_YES = ((0, "No"), (1, "Yes"))
CSSRS_BANDS = (
    Band(0, 0, "No risk indicated", 0),
    Band(1, 1, "Low risk", 2),
    Band(2, 2, "Moderate risk", 3),
    Band(3, 3, "High risk", 4),
)


def _required(answers: dict[str, int]) -> list[str]:
    keys = ["q1", "q2"]
    if answers.get("q2") == 1:
        keys += ["q3", "q4", "q5"]
    keys.append("q6")
    if answers.get("q6") == 1:
        keys.append("q6b")
    return keys


def _yes(answers: dict[str, int], key: str) -> bool:
    return answers.get(key) == 1


def _cssrs_score(answers: dict[str, int]) -> Score:
    thoughts = _yes(answers, "q2")
    behaviour = _yes(answers, "q6")
    recent = behaviour and _yes(answers, "q6b")
    if thoughts and (_yes(answers, "q4") or _yes(answers, "q5")) or recent:
        level = 3
    elif thoughts and _yes(answers, "q3") or behaviour:
        level = 2
    elif _yes(answers, "q1") or thoughts:
        level = 1
    else:
        level = 0
    return Score(total=level, band=CSSRS.band_of(level), flags=(SAFETY_FLAG,) if level else ())


CSSRS = Instrument(
    code="cssrs",
    name="C-SSRS screen",
    title="A few more questions (C-SSRS)",
    stem="In the past month:",
    items=(
        Item(
            "q1",
            "Have you wished you were dead or wished you could go to sleep and not wake up?",
            NO_YES,
        ),
        Item("q2", "Have you actually had any thoughts of killing yourself?", NO_YES),
        Item("q3", "Have you been thinking about how you might do this?", NO_YES, optional=True),
        Item(
            "q4",
            "Have you had these thoughts and had some intention of acting on them?",
            NO_YES,
            optional=True,
        ),
        Item(
            "q5",
            "Have you started to work out or worked out the details of how to kill "
            "yourself? Do you intend to carry out this plan?",
            NO_YES,
            optional=True,
        ),
        Item(
            "q6",
            "Have you ever done anything, started to do anything, or prepared to do "
            "anything to end your life?",
            NO_YES,
        ),
        Item("q6b", "Was this within the past three months?", NO_YES, optional=True),
    ),
    score=_cssrs_score,
    bands=CSSRS_BANDS,
    max_total=3,
    headline="Risk level",
    required=_required,
    self_report=False,
    minutes=1,
    citation="Posner et al., Am J Psychiatry 2011;168:1266-1277; Columbia Lighthouse "
    "Project, C-SSRS Screen Version (past month).",
)
