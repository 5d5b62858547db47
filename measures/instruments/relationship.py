"""The relationship: the Couples Satisfaction Index, 4-item version (CSI-4), as published.

Funk JL, Rogge RD. Testing the ruler with item response theory: increasing precision of
measurement for relationship satisfaction with the Couples Satisfaction Index. J Fam Psychol
2007;21(4):572-583. Total 0-21 (item 1 is scored 0-6, items 2-4 0-5); scores below 13.5 suggest
notable relationship dissatisfaction (ibid.). Higher is better. Each partner answers about the
relationship; the care team reads the two side by side.
"""

from measures.instruments.core import Band, Instrument, Item, Score, total_of

HAPPINESS = (
    (0, "Extremely unhappy"),
    (1, "Fairly unhappy"),
    (2, "A little unhappy"),
    (3, "Happy"),
    (4, "Very happy"),
    (5, "Extremely happy"),
    (6, "Perfect"),
)
TRUE = (
    (0, "Not at all true"),
    (1, "A little true"),
    (2, "Somewhat true"),
    (3, "Mostly true"),
    (4, "Almost completely true"),
    (5, "Completely true"),
)
AMOUNT = (
    (0, "Not at all"),
    (1, "A little"),
    (2, "Somewhat"),
    (3, "Mostly"),
    (4, "Almost completely"),
    (5, "Completely"),
)
DISSATISFIED_BELOW = 13.5
CSI4_BANDS = (
    Band(0, 13, "Notable dissatisfaction", 3),
    Band(14, 21, "Above the distress cut-off", 0),
)


def _csi4_score(answers: dict[str, int]) -> Score:
    total = total_of(answers, ("q1", "q2", "q3", "q4"))
    return Score(total=total, band=CSI4.band_of(total))


CSI4 = Instrument(
    code="csi4",
    name="CSI-4",
    title="Our relationship (CSI-4)",
    stem="About your relationship with your partner.",
    items=(
        Item(
            "q1",
            "Please indicate the degree of happiness, all things considered, of your relationship.",
            HAPPINESS,
        ),
        Item("q2", "I have a warm and comfortable relationship with my partner.", TRUE),
        Item("q3", "How rewarding is your relationship with your partner?", AMOUNT),
        Item("q4", "In general, how satisfied are you with your relationship?", AMOUNT),
    ),
    score=_csi4_score,
    bands=CSI4_BANDS,
    higher_is_worse=False,
    max_total=21,
    minutes=1,
    citation="Funk & Rogge, J Fam Psychol 2007;21:572-583 (below 13.5: notable dissatisfaction).",
)
