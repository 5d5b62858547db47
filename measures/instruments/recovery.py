"""Recovery: the Brief Addiction Monitor (BAM), 17 items, as published.

Cacciola JS, Alterman AI, DePhilippis D, et al. Development and initial evaluation of the Brief
Addiction Monitor (BAM). J Subst Abuse Treat 2013;44(3):256-263. Items, answer categories and
scoring as in the VA's BAM manual (DePhilippis D, Goodman J, Beamer K, Bloedorn S. Brief
Addiction Monitor (BAM): Manual for Use in SUD Group Treatment. Philadelphia VAMC CESATE,
2014) and the VISN 4 MIRECC scoring guide:
- Use = items 4 + 5 + 6 (0-12); any use (1 or more) needs attention.
- Risk = items 1, 2, 3, 8, 11, 15 (0-24); 12 or more needs attention.
- Protective = items 9, 10, 12, 13, 14, 16 (0-24); 12 or less needs attention.
- Items 7A-7G say which drugs (not scored); item 17 is an overall view of progress (not scored).
The BAM has no validated total; the headline number here is the Risk score, with Use and
Protective beside it. In IOP the BAM is given weekly; the published wording asks about the past
30 days, and this keeps it (the manual's IOP guidance repeats it weekly rather than rewording).
"""

from measures.instruments.core import Band, Instrument, Item, Score, total_of

DAYS = ((0, "0 days"), (1, "1–3 days"), (2, "4–8 days"), (3, "9–15 days"), (4, "16–30 days"))
NIGHTS = (
    (0, "0 nights"),
    (1, "1–3 nights"),
    (2, "4–8 nights"),
    (3, "9–15 nights"),
    (4, "16–30 nights"),
)
HOW_MUCH = (
    (0, "Not at all"),
    (1, "Slightly"),
    (2, "Moderately"),
    (3, "Considerably"),
    (4, "Extremely"),
)
HEALTH = ((0, "Excellent"), (1, "Very good"), (2, "Good"), (3, "Fair"), (4, "Poor"))
NO_YES = ((0, "No"), (4, "Yes"))
P30 = "In the past 30 days, "

USE_ITEMS = ("q4", "q5", "q6")
RISK_ITEMS = ("q1", "q2", "q3", "q8", "q11", "q15")
PROTECTIVE_ITEMS = ("q9", "q10", "q12", "q13", "q14", "q16")
RISK_CUTOFF = 12  # 12 or more
PROTECTIVE_CUTOFF = 12  # 12 or less
DRUGS = (
    ("q7a", "Marijuana (cannabis, pot, weed)"),
    (
        "q7b",
        "Sedatives/tranquilizers (e.g. “benzos”, Valium, Xanax, Ativan, Ambien, "
        "“barbs”, phenobarbital, downers)",
    ),
    ("q7c", "Cocaine/crack"),
    (
        "q7d",
        "Other stimulants (e.g. amphetamine, methamphetamine, Dexedrine, Ritalin, "
        "Adderall, “speed”, “crystal meth”, “ice”)",
    ),
    (
        "q7e",
        "Opiates (e.g. heroin, morphine, Dilaudid, Demerol, OxyContin, oxy, codeine, "
        "Percocet, Vicodin, fentanyl)",
    ),
    ("q7f", "Inhalants (glues, adhesives, nail polish remover, paint thinner)"),
    (
        "q7g",
        "Other drugs (steroids, non-prescription sleep or diet pills, Benadryl, ephedra, "
        "other over-the-counter or unknown medications)",
    ),
)
BAM_ITEMS = (
    Item("q1", P30 + "would you say your physical health has been:", HEALTH),
    Item(
        "q2", P30 + "how many nights did you have trouble falling asleep or staying asleep?", NIGHTS
    ),
    Item(
        "q3",
        P30 + "how many days have you felt depressed, anxious, angry or very upset "
        "throughout most of the day?",
        DAYS,
    ),
    Item("q4", P30 + "how many days did you drink ANY alcohol?", DAYS),
    Item(
        "q5",
        P30 + "how many days did you have at least 5 drinks (if you are a man) or at "
        "least 4 drinks (if you are a woman)? One drink is one shot of hard liquor (1.5 oz), "
        "a 12-ounce can or bottle of beer, or a 5-ounce glass of wine.",
        DAYS,
    ),
    Item(
        "q6",
        P30 + "how many days did you use any illegal/street drugs or abuse any "
        "prescription medications?",
        DAYS,
    ),
    *(
        Item(
            key,
            text,
            DAYS,
            scored=False,
            optional=True,
            lead=P30 + "how many days did you use any of the following drugs?"
            if key == "q7a"
            else "",
        )
        for key, text in DRUGS
    ),
    Item(
        "q8",
        P30 + "how much were you bothered by cravings or urges to drink alcohol or use drugs?",
        HOW_MUCH,
    ),
    Item(
        "q9",
        "How confident are you in your ability to be completely abstinent (clean) "
        "from alcohol and drugs in the next 30 days?",
        HOW_MUCH,
    ),
    Item(
        "q10",
        P30 + "how many days did you attend self-help meetings like AA or NA to "
        "support your recovery?",
        DAYS,
    ),
    Item(
        "q11",
        P30 + "how many days were you in any situations or with any people that "
        "might put you at an increased risk for using alcohol or drugs (i.e., around risky "
        "“people, places or things”)?",
        DAYS,
    ),
    Item("q12", "Does your religion or spirituality help support your recovery?", HOW_MUCH),
    Item(
        "q13",
        P30 + "how many days did you spend much of the time at work, school, or "
        "doing volunteer work?",
        DAYS,
    ),
    Item(
        "q14",
        "Do you have enough income (from legal sources) to pay for necessities such "
        "as housing, transportation, food and clothing for yourself and your dependents?",
        NO_YES,
    ),
    Item(
        "q15",
        P30 + "how much have you been bothered by arguments or problems getting "
        "along with any family members or friends?",
        HOW_MUCH,
    ),
    Item(
        "q16",
        P30 + "how many days were you in contact or spent time with any family "
        "members or friends who are supportive of your recovery?",
        DAYS,
    ),
    Item(
        "q17",
        "How satisfied are you with your progress toward achieving your recovery goals?",
        HOW_MUCH,
        scored=False,
    ),
)
BAM_RISK_BANDS = (
    Band(0, RISK_CUTOFF - 1, "Below the risk cut-off", 0),
    Band(RISK_CUTOFF, 24, "At or above the risk cut-off", 3),
)
USE_FLAG = "use"
RISK_FLAG = "risk"
LOW_PROTECTION_FLAG = "low_protection"


def _bam_score(answers: dict[str, int]) -> Score:
    use = total_of(answers, USE_ITEMS)
    risk = total_of(answers, RISK_ITEMS)
    protective = total_of(answers, PROTECTIVE_ITEMS)
    flags = tuple(
        flag
        for flag, raised in (
            (USE_FLAG, use >= 1),
            (RISK_FLAG, risk >= RISK_CUTOFF),
            (LOW_PROTECTION_FLAG, protective <= PROTECTIVE_CUTOFF),
        )
        if raised
    )
    return Score(
        total=risk,
        subscales={"Use": use, "Risk": risk, "Protective": protective},
        band=BAM.band_of(risk),
        flags=flags,
    )


BAM = Instrument(
    code="bam",
    name="BAM",
    title="Recovery check (BAM)",
    stem="These questions ask about your health, alcohol and drug use, and what supports "
    "your recovery.",
    items=BAM_ITEMS,
    score=_bam_score,
    bands=BAM_RISK_BANDS,
    max_total=24,
    headline="Risk",
    minutes=4,
    citation="Cacciola et al., J Subst Abuse Treat 2013;44:256-263; VA BAM manual (CESATE "
    "2014) and VISN 4 MIRECC scoring: Use 4+5+6 (≥1), Risk 1,2,3,8,11,15 (≥12), "
    "Protective 9,10,12,13,14,16 (≤12).",
)
