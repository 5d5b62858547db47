import gzip

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError


def test_a_long_passphrase_without_symbols_is_accepted(db):
    validate_password("correct horse battery staple")


@pytest.mark.parametrize("password", ["short", "password1234", "a" * 257])
def test_short_common_and_absurdly_long_passwords_are_refused(db, password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_password_from_the_breached_list_is_refused(db, settings, tmp_path):
    corpus = tmp_path / "breached.txt.gz"
    with gzip.open(corpus, "wt") as lines:
        lines.write("sunflower-meadow-2019\nanother one\n")
    settings.BREACHED_PASSWORDS_FILE = str(corpus)

    with pytest.raises(ValidationError, match="data breach"):
        validate_password("Sunflower-Meadow-2019")
    validate_password("sunflower-meadow-2020")
