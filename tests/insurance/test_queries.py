import pytest

from insurance.queries import authorization_is_high


@pytest.mark.parametrize(
    ("used", "authorized", "high"),
    [
        (0, 10, False),
        (7, 10, False),
        (8, 10, True),
        (79, 100, False),
        (80, 100, True),
        (4, 5, True),
    ],
)
def test_an_authorization_is_high_from_80_percent_of_its_units(used, authorized, high):
    # The caseload's flag and the staff alert both ask this one rule.
    assert authorization_is_high(used=used, units_authorized=authorized) is high
