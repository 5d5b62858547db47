"""Request lines as logs may keep them: without query strings (a search names a patient, a
filter a member id) and without the secrets some paths carry (calendar feed tokens).

Used by the access log of gunicorn (config/gunicorn.conf.py) and of the development server
(the `django.server` logger in settings.LOGGING).
"""

import logging
import re

REDACTED = "[redacted]"
# Paths whose last part is a credential: the subscribed calendar feed's token.
SECRET_PATHS = (re.compile(r"^(/calendar/)[^/]+(\.ics)$"),)


def path_redacted(path: str) -> str:
    """The path without its query string, and without a token in it."""
    path = path.split("?", 1)[0]
    for pattern in SECRET_PATHS:
        path = pattern.sub(rf"\g<1>{REDACTED}\g<2>", path)
    return path


def request_line_redacted(line: str) -> str:
    """'GET /clinic/?q=Morgan HTTP/1.1' -> 'GET /clinic/ HTTP/1.1'."""
    parts = line.split(" ")
    if len(parts) == 3:
        parts[1] = path_redacted(parts[1])
        return " ".join(parts)
    return path_redacted(line)


class RequestLineFilter(logging.Filter):
    """For the development server's `django.server` records ('"%s" %s %s', request line
    first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (request_line_redacted(record.args[0]), *record.args[1:])
        return True
