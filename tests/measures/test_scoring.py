"""Every instrument scores as published: worked examples and every band edge."""

import pytest

from measures.instruments import BAM, CSI4, CSSRS, GAD7, INSTRUMENTS, PHQ9, SAFETY_FLAG
from tests.measures.answers import phq9


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Moderately severe"),
        (19, "Moderately severe"),
        (20, "Severe"),
        (27, "Severe"),
    ],
)
def test_phq9_bands_at_every_edge(total, band):
    score = PHQ9.score(phq9(total, item9=min(3, max(0, total - 24))))

    assert (score.total, score.band.label) == (total, band)


def test_phq9_worked_example():
    # Kroenke 2001's scoring: 0+1+2+3+0+1+2+3+0 = 12, moderate; item 10 is not counted.
    answers = dict(zip([f"q{n}" for n in range(1, 10)], [0, 1, 2, 3, 0, 1, 2, 3, 0], strict=True))
    score = PHQ9.score({**answers, "q10": 3})

    assert (score.total, score.band.label, score.flags) == (12, "Moderate", ())


def test_phq9_item_9_above_zero_is_a_safety_flag_whatever_the_total():
    assert PHQ9.score(phq9(1, item9=1)).flags == (SAFETY_FLAG,)
    assert PHQ9.score(phq9(27, item9=3)).flags == (SAFETY_FLAG,)
    assert PHQ9.score(phq9(24, item9=0)).flags == ()


def test_phq9_difficulty_question_is_optional_and_the_nine_are_required():
    assert [i.key for i in PHQ9.missing({})] == [f"q{n}" for n in range(1, 10)]
    assert PHQ9.missing(phq9(10)) == []


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "Minimal"),
        (4, "Minimal"),
        (5, "Mild"),
        (9, "Mild"),
        (10, "Moderate"),
        (14, "Moderate"),
        (15, "Severe"),
        (21, "Severe"),
    ],
)
def test_gad7_bands_at_every_edge(total, band):
    answers, left = {}, total
    for n in range(1, 8):
        answers[f"q{n}"] = min(3, left)
        left -= answers[f"q{n}"]

    score = GAD7.score(answers)

    assert (score.total, score.band.label) == (total, band)


def test_a_meaningful_change_is_five_on_the_phq9_and_four_on_the_gad7():
    assert PHQ9.change_is_worse(8, 13) and not PHQ9.change_is_worse(8, 12)
    assert GAD7.change_is_worse(3, 7) and not GAD7.change_is_worse(3, 6)
    assert not PHQ9.change_is_worse(13, 8)  # better is not worse


def bam(**values: int) -> dict[str, int]:
    answers = {item.key: 0 for item in BAM.items if not item.optional}
    answers["q14"] = 4  # enough income
    return {**answers, **values}


def test_bam_subscales_sum_exactly_their_items():
    """Use = 4+5+6, Risk = 1+2+3+8+11+15, Protective = 9+10+12+13+14+16; 7A-7G and 17 in
    none (VISN 4 MIRECC scoring)."""
    answers = bam(
        q1=1,
        q2=2,
        q3=3,
        q4=1,
        q5=2,
        q6=3,
        q7c=4,
        q8=4,
        q9=1,
        q10=2,
        q11=1,
        q12=3,
        q13=4,
        q14=4,
        q15=2,
        q16=1,
        q17=4,
    )

    score = BAM.score(answers)

    assert score.subscales == {"Use": 6, "Risk": 13, "Protective": 15}
    assert score.total == 13  # the headline is Risk
    assert set(score.flags) == {"use", "risk"}


@pytest.mark.parametrize(("risk", "flagged"), [(11, False), (12, True)])
def test_bam_risk_cutoff_is_twelve_or_more(risk, flagged):
    values = dict(zip(["q1", "q2", "q3", "q8", "q11", "q15"], [4, 4, 3, 0, 0, 0], strict=True))
    values["q15"] = risk - 11
    score = BAM.score(bam(**values))

    assert score.subscales["Risk"] == risk
    assert ("risk" in score.flags) is flagged
    assert score.band.label == (
        "At or above the risk cut-off" if flagged else "Below the risk cut-off"
    )


@pytest.mark.parametrize(("protective", "flagged"), [(12, True), (13, False)])
def test_bam_protective_cutoff_is_twelve_or_less(protective, flagged):
    values = {"q9": 4, "q10": 4, "q12": 0, "q13": 0, "q14": 4, "q16": protective - 12}
    score = BAM.score(bam(**values))

    assert score.subscales["Protective"] == protective
    assert ("low_protection" in score.flags) is flagged


def test_bam_any_use_is_flagged_and_no_use_is_not():
    assert "use" in BAM.score(bam(q4=1)).flags
    assert "use" not in BAM.score(bam()).flags


def test_bam_drug_items_are_optional_and_unscored():
    assert all(BAM.item(f"q7{letter}").optional for letter in "abcdefg")
    assert BAM.score(bam(q7a=4, q7e=4)).subscales == BAM.score(bam()).subscales


@pytest.mark.parametrize(
    ("answers", "total", "band"),
    [
        ({"q1": 0, "q2": 0, "q3": 0, "q4": 0}, 0, "Notable dissatisfaction"),
        ({"q1": 3, "q2": 3, "q3": 4, "q4": 3}, 13, "Notable dissatisfaction"),
        ({"q1": 3, "q2": 4, "q3": 4, "q4": 3}, 14, "Above the distress cut-off"),
        ({"q1": 6, "q2": 5, "q3": 5, "q4": 5}, 21, "Above the distress cut-off"),
    ],
)
def test_csi4_total_and_the_13_5_cutoff(answers, total, band):
    score = CSI4.score(answers)

    assert (score.total, score.band.label) == (total, band)


def test_csi4_first_item_runs_to_six_the_others_to_five():
    assert [max(v for v, _ in item.choices) for item in CSI4.items] == [6, 5, 5, 5]


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ({"q1": 0, "q2": 0, "q6": 0}, "No risk indicated"),
        ({"q1": 1, "q2": 0, "q6": 0}, "Low risk"),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}, "Low risk"),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0}, "Moderate risk"),
        ({"q1": 0, "q2": 0, "q6": 1, "q6b": 0}, "Moderate risk"),
        ({"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0}, "High risk"),
        ({"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 1, "q6": 0}, "High risk"),
        ({"q1": 0, "q2": 0, "q6": 1, "q6b": 1}, "High risk"),
    ],
)
def test_cssrs_screen_risk_levels(answers, band):
    assert CSSRS.missing(answers) == []
    assert CSSRS.score(answers).band.label == band


def test_cssrs_asks_three_to_five_only_after_a_yes_to_two():
    assert [i.key for i in CSSRS.missing({"q1": 1, "q2": 0})] == ["q6"]
    assert [i.key for i in CSSRS.missing({"q1": 1, "q2": 1})] == ["q3", "q4", "q5", "q6"]
    assert [i.key for i in CSSRS.missing({"q1": 1, "q2": 0, "q6": 1})] == ["q6b"]


def test_clean_keeps_only_the_instruments_own_values():
    cleaned = PHQ9.clean(
        {"q1": "3", "q2": "7", "q3": True, "q4": "x" * 10_000, "q5": " 2 ", "zz": 1}
    )

    assert cleaned == {"q1": 3, "q5": 2}


def test_every_instrument_names_its_source_and_its_bands_cover_its_range():
    for instrument in INSTRUMENTS.values():
        assert instrument.citation
        covered = {n for band in instrument.bands for n in range(band.low, band.high + 1)}
        assert covered == set(range(instrument.max_total + 1)), instrument.code
