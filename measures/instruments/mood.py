"""Mood and anxiety: PHQ-9 and GAD-7, as published."""

from measures.instruments.core import SAFETY_FLAG, Band, Instrument, Item, Score, total_of

OFTEN = (
    (0, "Not at all"),
    (1, "Several days"),
    (2, "More than half the days"),
    (3, "Nearly every day"),
)

# --- PHQ-9 -----------------------------------------------------------------------------------
# Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity
# measure. J Gen Intern Med 2001;16(9):606-613. Bands 0-4, 5-9, 10-14, 15-19, 20-27 (ibid.,
# table 3). A change of 5 points is clinically meaningful: Löwe B, Unützer J, Callahan CM,
# et al. Monitoring depression treatment outcomes with the PHQ-9. Med Care 2004;42:1194-1201.
# Item 9 above 0 needs a safety follow-up the same day (PHQ-9 instructions).
PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_DIFFICULTY = (
    (0, "Not difficult at all"),
    (1, "Somewhat difficult"),
    (2, "Very difficult"),
    (3, "Extremely difficult"),
)
PHQ9_BANDS = (
    Band(0, 4, "Minimal", 0),
    Band(5, 9, "Mild", 1),
    Band(10, 14, "Moderate", 2),
    Band(15, 19, "Moderately severe", 3),
    Band(20, 27, "Severe", 4),
)


def _phq9_score(answers: dict[str, int]) -> Score:
    total = total_of(answers, [f"q{n}" for n in range(1, 10)])
    flags = (SAFETY_FLAG,) if answers["q9"] > 0 else ()
    return Score(total=total, band=PHQ9.band_of(total), flags=flags)


PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    title="Mood (PHQ-9)",
    stem="Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    items=(
        *(Item(f"q{n}", text, OFTEN) for n, text in enumerate(PHQ9_ITEMS, start=1)),
        Item(
            "q10",
            "If you checked off any problems, how difficult have these problems made it for "
            "you to do your work, take care of things at home, or get along with other people?",
            PHQ9_DIFFICULTY,
            scored=False,
            optional=True,
        ),
    ),
    score=_phq9_score,
    bands=PHQ9_BANDS,
    meaningful_change=5,
    max_total=27,
    citation="Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-613 (bands); "
    "Löwe et al., Med Care 2004;42:1194-1201 (a 5-point change is meaningful).",
)

# --- GAD-7 -----------------------------------------------------------------------------------
# Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized
# anxiety disorder: the GAD-7. Arch Intern Med 2006;166(10):1092-1097. Bands 0-4, 5-9, 10-14,
# 15-21 (ibid.). Minimal clinically important difference 4 points: Toussaint A, Hüsing P,
# Gumz A, et al. Sensitivity to change and minimal clinically important difference of the
# 7-item Generalized Anxiety Disorder Questionnaire (GAD-7). J Affect Disord 2020;265:395-401.
GAD7_ITEMS = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
GAD7_BANDS = (
    Band(0, 4, "Minimal", 0),
    Band(5, 9, "Mild", 1),
    Band(10, 14, "Moderate", 2),
    Band(15, 21, "Severe", 4),
)


def _gad7_score(answers: dict[str, int]) -> Score:
    total = total_of(answers, [f"q{n}" for n in range(1, 8)])
    return Score(total=total, band=GAD7.band_of(total))


GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    title="Anxiety (GAD-7)",
    stem="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=tuple(Item(f"q{n}", text, OFTEN) for n, text in enumerate(GAD7_ITEMS, start=1)),
    score=_gad7_score,
    bands=GAD7_BANDS,
    meaningful_change=4,
    max_total=21,
    citation="Spitzer, Kroenke, Williams & Löwe, Arch Intern Med 2006;166:1092-1097 (bands); "
    "Toussaint et al., J Affect Disord 2020;265:395-401 (a 4-point change is meaningful).",
)
