"""Answers the measure tests share."""


def phq9(total: int, *, item9: int = 0) -> dict[str, int]:
    """PHQ-9 answers summing to `total` (0-27), question 9 as given, the others filled in
    order."""
    answers = {f"q{n}": 0 for n in range(1, 10)}
    answers["q9"] = item9
    left = total - item9
    for n in range(1, 9):
        answers[f"q{n}"] = min(3, left)
        left -= answers[f"q{n}"]
    assert left == 0, "no PHQ-9 sums to that with this question 9"
    return answers
