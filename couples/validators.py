"""Password rules after NIST SP 800-63B: long, not known to be breached, nothing else."""

import gzip
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError


class MaximumLengthValidator:
    """Passphrases are welcome; only refuse what would make hashing a denial of service."""

    def __init__(self, max_length: int = 256):
        self.max_length = max_length

    def validate(self, password, user=None):
        if len(password) > self.max_length:
            raise ValidationError(
                f"This password is too long: use at most {self.max_length} characters.",
                code="password_too_long",
            )

    def get_help_text(self):
        return f"At most {self.max_length} characters; a passphrase of several words is fine."


@cache
def _breached_passwords(path: str) -> frozenset[str]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8", errors="ignore") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


class BreachedPasswordValidator:
    """Refuses passwords found in a list of breached passwords.

    Django's CommonPasswordValidator already refuses the 20,000 most common ones.
    A clinic may add a larger corpus (one password per line, optionally gzipped)
    through BREACHED_PASSWORDS_FILE; the app never sends a password off the machine.
    """

    def validate(self, password, user=None):
        path = settings.BREACHED_PASSWORDS_FILE
        if not path or not Path(path).exists():
            return
        if password.lower().strip() in _breached_passwords(path):
            raise ValidationError(
                "This password has appeared in a data breach. Choose a different one.",
                code="password_breached",
            )

    def get_help_text(self):
        return "It must not be a password known from data breaches."
