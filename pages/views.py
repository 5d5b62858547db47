"""The pages that compose several apps: the caseload and the health check (the couple page
is pages/couple.py, the partner's home and More page pages/portal.py). Each app renders its
own section (`caseload_sessions_fill`, …); this module reads the person, checks access through
`couples.queries`, and puts the sections together."""

from urllib.parse import urlencode

import redis
from django.conf import settings
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from couples import queries
from couples.notifications import health
from couples.permissions import clinician_required
from notes.views import clinic as clinic_notes
from sessions.views import clinic as clinic_sessions
from triage import queries as triage_queries
from triage.models import TriageItem

CASELOAD_SORTS = ("status", "days", "-days")
CASELOAD_PER_PAGE = 20


@clinician_required
def clinic_home(request: HttpRequest) -> HttpResponse:
    clinician = queries.clinician_get_for_user(user=request.user)
    search = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort") if request.GET.get("sort") in CASELOAD_SORTS else "status"
    couples = queries.caseload_couples_for_clinician(user=request.user, search=search, sort=sort)
    # A page of couples at a time: each row reads its people, sessions, alerts and coverage.
    page = Paginator(couples, CASELOAD_PER_PAGE).get_page(request.GET.get("page"))
    rows = queries.caseload_rows_for_couples(user=request.user, couples=list(page.object_list))
    _caseload_rows_fill(request, rows)
    context = {
        "clinician": clinician,
        # What partners told the app, and what their records show, that someone must act on:
        # before the caseload.
        "queue": _queue(request),
        "rows": rows,
        "page": page,
        "page_query": _caseload_query(search=search, sort=sort),
        "search": search,
        "sort": sort,
        "headers": _caseload_headers(sort=sort, search=search),
        # Only an empty result needs to tell "no match" from "no couples at all".
        "has_couples": bool(rows) or queries.caseload_for_clinician(user=request.user).exists(),
        # Attended sessions of theirs without a signed note (one query).
        **clinic_notes.home_context(request=request),
    }
    return render(request, "pages/clinic_home.html", context)


# Where each kind of item's cause is seen on the couple page.
ITEM_TABS = {
    TriageItem.Kind.SAFETY: "pages:couple_measures",
    TriageItem.Kind.MEASURE: "pages:couple_measures",
    TriageItem.Kind.MEASURE_OVERDUE: "pages:couple_measures",
    TriageItem.Kind.SESSION_REQUEST: "pages:couple_sessions",
    TriageItem.Kind.IOP_SHORT: "pages:couple_sessions",
    TriageItem.Kind.NO_SESSION: "pages:couple_sessions",
    TriageItem.Kind.GOAL_CHANGE_REQUEST: "pages:couple_goals",
    TriageItem.Kind.GOAL_STALLED: "pages:couple_goals",
    TriageItem.Kind.RATINGS_APART: "pages:couple_goals",
    TriageItem.Kind.COVERAGE: "pages:couple_insurance",
}


def _queue(request: HttpRequest) -> triage_queries.Queue:
    queue = triage_queries.queue_for_clinician(user=request.user)
    for item in queue.items:
        if item.kind == TriageItem.Kind.NOTE_OVERDUE:
            # The clinician's own note to finish: straight to it; its summary says who.
            item.link, item.couple_names = clinic_notes.overdue_item_link(item), ""
            continue
        item.link = reverse(
            ITEM_TABS.get(item.kind, "pages:couple_checkins"), args=[item.couple_id]
        )
        item.couple_names = " & ".join(p.display_name for p in item.couple.partners.all())
    return queue


def _caseload_rows_fill(request: HttpRequest, rows: list[queries.CaseloadRow]) -> None:
    """Each row's open items, next session and IOP hours: the same queries for one couple as
    for forty. What needs attention is in the queue above (triage items, raised by the apps'
    rules), so a row only counts its couple's open items."""
    counts = triage_queries.open_counts_by_couple(
        user=request.user, couple_ids=[row.couple.pk for row in rows]
    )
    for row in rows:
        row.open_items = counts.get(row.couple.pk, 0)
    clinic_sessions.caseload_sessions_fill(request=request, rows=rows)


def _caseload_query(*, search: str, sort: str) -> str:
    return urlencode({"q": search, "sort": sort} if search else {"sort": sort})


def _caseload_headers(*, sort: str, search: str) -> dict:
    """Each sortable column's link and its aria-sort; Days toggles its direction. A new
    order starts again at the first page."""

    def link(key: str) -> str:
        return "?" + _caseload_query(search=search, sort=key)

    def header(url: str, aria_sort: str) -> dict:
        arrow = {"ascending": "↑", "descending": "↓"}.get(aria_sort, "")
        return {"url": url, "aria_sort": aria_sort, "arrow": arrow}

    days_sort = {"days": "ascending", "-days": "descending"}.get(sort, "")
    return {
        "status": header(link("status"), "ascending" if sort == "status" else ""),
        "days": header(link("-days" if sort == "days" else "days"), days_sort),
    }


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability, and whether the outbox is moving, for load balancers
    and compose health checks.

    The outbox is stalled when a message has been due for longer than OUTBOX_STALL_SECONDS
    without being sent (no worker, no beat, or a mail server refusing everything for a while).
    Without a database it cannot be read and is reported as unknown."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    outbox = _outbox_report() if checks["database"] else _OUTBOX_UNKNOWN
    healthy = all(checks.values()) and outbox["outbox"] != "stalled"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **body, **outbox},
        status=200 if healthy else 503,
    )


_OUTBOX_UNKNOWN = {"outbox": "unknown", "oldest_due_seconds": None}


def _outbox_report() -> dict:
    now = timezone.now()
    try:
        waited = health.seconds_since(health.outbox_oldest_due(now), now)
    except DatabaseError:
        return _OUTBOX_UNKNOWN
    if not health.outbox_stalled(waited):
        return {"outbox": "ok", "oldest_due_seconds": waited}
    return {
        "outbox": "stalled",
        "oldest_due_seconds": waited,
        "reason": f"A message due {health.wait_phrase(waited)} ago has not been sent",
    }


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:
        return False


def _broker_ok() -> bool:
    if settings.REDIS_URL:
        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
            )
            return bool(client.ping())
        except redis.RedisError:
            return False
    queue_dir = settings.CELERY_BROKER_DIR / "queue"
    return queue_dir.is_dir()
