"""Rendered parts of pages, kept until what they show changes.

A part about a couple is kept under the couple's revision (couples/revisions.py: the database
raises it with every change to what is shown about the couple), the person viewing it (what
they may see and the links they get differ), and the day and zone it was rendered for. A part
that shows something time makes stale (a session that will have ended, a join button that will
open) says until when it holds. Nothing is kept longer than FRAGMENT_CACHE_SECONDS either.

The parts stay in the web process that rendered them (a local-memory cache, settings
CACHES["fragments"]): patient data is not copied to Redis, and a lost part is only rendered
again. A part is drawn with placeholders where each request's own CSRF token and CSP nonce go
(request_token_placeholders), and with_request_tokens puts in those of the request it serves.
"""

import datetime
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.csp import CONTEXT_KEY as CSP_NONCE_CONTEXT_KEY
from django.utils.safestring import SafeString, mark_safe

# Unguessable per process, so no text a person entered can contain it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
NONCE_PLACEHOLDER = f"nonce-{secrets.token_hex(16)}"


def fragment_cache():
    return caches["fragments"]


@dataclass(frozen=True)
class Rendered:
    """What a render function returns: the parts (HTML), until when they hold (None: as
    long as the revision and the day do), and plain values drawn with them that the page
    needs besides (ids), kept alongside and never marked safe."""

    parts: dict[str, str]
    valid_until: datetime.datetime | None = None
    data: dict[str, object] = field(default_factory=dict)


def key_for(name: str, *, couple_id: int, revision: int, viewer_id: int, **extra) -> str:
    details = ":".join(f"{k}={v}" for k, v in sorted(extra.items()))
    zone = timezone.get_current_timezone_name()
    return f"{name}:{couple_id}:{revision}:{viewer_id}:{zone}:{details}"


def fragments_get_or_render(
    keys: dict[int, str], render: Callable[[list[int]], dict[int, Rendered]]
) -> dict[int, dict[str, object]]:
    """For each couple id in `keys`, its parts (marked safe) and data, in one dict: from the
    cache, or from one call of `render` with the ids that were missing (so a page pays for
    the missing couples only)."""
    cache = fragment_cache()
    found = cache.get_many(list(keys.values())) if keys else {}
    missing = [pk for pk, key in keys.items() if key not in found]
    result = {pk: found[key] for pk, key in keys.items() if key in found}
    if missing:
        now = timezone.now()
        for pk, rendered in render(missing).items():
            result[pk] = (rendered.parts, rendered.data)
            seconds = settings.FRAGMENT_CACHE_SECONDS
            if rendered.valid_until is not None:
                seconds = min(seconds, int((rendered.valid_until - now).total_seconds()))
            if seconds > 0:
                cache.set(keys[pk], result[pk], timeout=seconds)
    return {
        pk: {**{name: mark_safe(html) for name, html in parts.items()}, **data}
        for pk, (parts, data) in result.items()
    }


def digest_key(name: str, *inputs) -> str:
    """The key of a part drawn from `inputs` alone (plain values with a stable repr, the
    viewer among them where it matters): it changes whenever they do, so the part needs no
    revision to go stale by."""
    return f"{name}:{hashlib.sha256(repr(inputs).encode()).hexdigest()}"


def request_token_placeholders(request) -> dict[str, str]:
    """Template context that draws placeholders for the request's CSRF token and (where the
    CSP middleware gives the request one) its CSP nonce, for a part that is kept."""
    placeholders = {"csrf_token": CSRF_PLACEHOLDER}
    if get_nonce(request) is not None:
        placeholders[CSP_NONCE_CONTEXT_KEY] = NONCE_PLACEHOLDER
    return placeholders


def with_request_tokens(html: str, request) -> SafeString:
    """A kept part with the requesting person's CSRF token in its forms and their request's
    CSP nonce in its tags."""
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    if NONCE_PLACEHOLDER in html:
        nonce = get_nonce(request)
        html = html.replace(NONCE_PLACEHOLDER, "" if nonce is None else str(nonce))
    return mark_safe(html)


def earliest_future(now: datetime.datetime, moments: Iterable[datetime.datetime | None]):
    """The first of `moments` after now, or None: when a part that shows them changes."""
    future = [moment for moment in moments if moment is not None and moment > now]
    return min(future, default=None)
