"""The pages that compose several apps: the portal home, the caseload, the couple page, and
the health check. Each app renders its own section (`<app>.views.*.home_context`,
`couple_*_context`, `caseload_sessions_fill`); this module reads the person, checks access
through `couples.queries`, and puts the sections together."""

from urllib.parse import urlencode

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from couples import fragments, queries, services
from couples.permissions import clinician_required, partner_required, role_check
from couples.roles import Role
from goals import queries as goal_queries
from goals.views import clinic as clinic_goals
from goals.views import portal as portal_goals
from insurance import queries as insurance_queries
from insurance import views as portal_insurance
from sessions import queries as session_queries
from sessions.views import clinic as clinic_sessions
from sessions.views import portal as portal_sessions

CASELOAD_SORTS = ("status", "days", "-days")


@partner_required
def portal_home(request: HttpRequest) -> HttpResponse:
    # The revision comes with the partner and couple, before what it keys is read.
    partner = queries.partner_get_for_user(
        user=request.user, with_couple_partners=False, with_revision=True
    )
    key = fragments.key_for(
        "portal-home",
        couple_id=partner.couple_id,
        revision=partner.couple_revision,
        viewer_id=request.user.pk,
        day=queries.couple_today(couple=partner.couple).isoformat(),
    )
    parts = fragments.fragments_get_or_render(
        {partner.couple_id: key},
        lambda _: {partner.couple_id: _portal_home_render(request, partner)},
    )[partner.couple_id]
    context = {
        "partner": partner,
        "content": fragments.with_request_tokens(parts["content"], request),
    }
    return render(request, "pages/portal_home.html", context)


def _portal_home_render(request: HttpRequest, partner) -> fragments.Rendered:
    """The portal home's content, and until when it holds: the next session's answer and
    join button change as it nears, starts and ends."""
    queries.couple_partners_load(partner=partner)
    context = {
        "request": request,  # for the path the goal cards' forms come back to
        **fragments.request_token_placeholders(request),
        "partner": partner,
        "couple": partner.couple,
        "other_partner": queries.partner_other(partner=partner),
        "care_team": queries.care_team_for_partner(partner=partner),
        "consent_status": queries.consent_status_for(partner=partner),
    }
    context.update(portal_goals.home_context(request=request, partner=partner))
    context.update(portal_sessions.home_context(request=request, partner=partner))
    context.update(portal_insurance.home_context(request=request, partner=partner))
    row = context["next_session"]
    moments = _session_moments([row.session] if row else [])
    return fragments.Rendered(
        parts={"content": render_to_string("pages/portal_home.html#portal-content", context)},
        valid_until=fragments.earliest_future(timezone.now(), moments),
    )


def _session_moments(sessions) -> list:
    """When a line about each session changes by itself: its join opens, it starts, it ends."""
    return [
        moment
        for session in sessions
        for moment in (
            session_queries.join_opens_at(session=session),
            session.starts_at,
            session.ends_at,
        )
    ]


@clinician_required
def clinic_home(request: HttpRequest) -> HttpResponse:
    clinician = queries.clinician_get_for_user(user=request.user)
    search = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort") if request.GET.get("sort") in CASELOAD_SORTS else "status"
    couples = queries.caseload_couples_for_clinician(user=request.user, search=search, sort=sort)
    # The clinic's date: one "today" for the whole list, as the alerts are read together.
    today = timezone.localdate()
    keys = {
        couple.pk: fragments.key_for(
            "caseload-row",
            couple_id=couple.pk,
            revision=couple.revision_value,  # read with the list, before the rows' data
            viewer_id=request.user.pk,
            day=today.isoformat(),
        )
        for couple in couples
    }
    by_pk = {couple.pk: couple for couple in couples}

    def render_missing(couple_ids: list[int]) -> dict[int, fragments.Rendered]:
        missing = [by_pk[pk] for pk in couple_ids]
        rows = queries.caseload_rows_for_couples(user=request.user, couples=missing)
        return _caseload_rows_render(request, rows, today)

    parts = fragments.fragments_get_or_render(keys, render_missing)
    rows = [parts[couple.pk] for couple in couples]
    context = {
        "clinician": clinician,
        "rows": rows,
        "attention_rows": [row for row in rows if row["attention"]],
        "search": search,
        "sort": sort,
        "headers": _caseload_headers(sort=sort, search=search),
        # Only an empty result needs to tell "no match" from "no couples at all".
        "has_couples": bool(rows) or queries.caseload_for_clinician(user=request.user).exists(),
    }
    return render(request, "pages/clinic_home.html", context)


def _caseload_rows_render(
    request: HttpRequest, rows: list[queries.CaseloadRow], today
) -> dict[int, fragments.Rendered]:
    """Each row's table line and its "needs attention" item (empty without flags), for the
    couples whose kept parts are missing: the same queries for one couple as for forty."""
    attention = goal_queries.needs_attention(couples=[row.couple for row in rows], today=today)
    partners = [partner for row in rows for partner in row.couple.partners.all()]
    coverage = insurance_queries.coverage_flags_for_partners(partners=partners, today=today)
    for row in rows:
        row.flags = attention.get(row.couple.pk, []) + [
            flag for partner in row.couple.partners.all() for flag in coverage.get(partner.pk, [])
        ]
    clinic_sessions.caseload_sessions_fill(request=request, rows=rows)
    rendered = {}
    for row in rows:
        context = {"row": row}
        next_session = getattr(row.next_session, "session", None)
        rendered[row.couple.pk] = fragments.Rendered(
            parts={
                "row": render_to_string("pages/clinic_home.html#caseload-row", context),
                "attention": (
                    render_to_string("pages/clinic_home.html#attention-item", context)
                    if row.flags
                    else ""
                ),
            },
            # The next session is next until it ends.
            valid_until=next_session.ends_at if next_session is not None else None,
        )
    return rendered


def _caseload_headers(*, sort: str, search: str) -> dict:
    """Each sortable column's link and its aria-sort; Days toggles its direction."""

    def link(key: str) -> str:
        return "?" + urlencode({"q": search, "sort": key} if search else {"sort": key})

    def header(url: str, aria_sort: str) -> dict:
        arrow = {"ascending": "↑", "descending": "↓"}.get(aria_sort, "")
        return {"url": url, "aria_sort": aria_sort, "arrow": arrow}

    days_sort = {"days": "ascending", "-days": "descending"}.get(sort, "")
    return {
        "status": header(link("status"), "ascending" if sort == "status" else ""),
        "days": header(link("-days" if sort == "days" else "days"), days_sort),
    }


@login_required
def couple_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Scope before role: anyone outside the couple, a partner of another couple included,
    # gets the audited 404; only this couple's own partners learn it is a clinic page (403).
    # The revision comes with the couple, before what it keys is read.
    couple = queries.couple_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    key = fragments.key_for(
        "couple-page",
        couple_id=couple.pk,
        revision=couple.revision_value,
        viewer_id=request.user.pk,
        day=queries.couple_today(couple=couple).isoformat(),
        clinic_day=timezone.localdate().isoformat(),
    )
    parts = fragments.fragments_get_or_render(
        {couple.pk: key}, lambda _: {couple.pk: _couple_page_render(request, couple)}
    )[couple.pk]
    # Every opening is audited, whether the page is drawn or kept: one row for each partner
    # the page shows (kept with it, under the revision that any change of partner raises).
    services.couple_record_read(
        viewer=request.user, couple=couple, partner_ids=parts["partner_ids"], request=request
    )
    context = {
        "couple": couple,
        "title": parts["title"],
        "content": fragments.with_request_tokens(parts["content"], request),
    }
    return render(request, "pages/couple_detail.html", context)


def _couple_page_render(request: HttpRequest, couple) -> fragments.Rendered:
    """The couple page's title and content, the partners it shows, and until when it holds:
    sessions move from upcoming to past when they start, and their join links open and close."""
    partners = list(queries.partner_list_for_couple(couple=couple))
    context = {
        "couple": couple,
        "partners": [
            (partner, queries.consent_overview_for_partner(partner=partner)) for partner in partners
        ],
        "partner_names": [partner.display_name for partner in partners],
        "days_in_program": queries.days_in_program(couple=couple),
        "is_discharged": couple.status == couple.Status.DISCHARGED,
        "care_team": queries.care_team_for_couple(couple=couple),
        "care_history": queries.care_history_for_couple(couple=couple),
        "time_zone": queries.couple_time_zone(couple=couple),
        **fragments.request_token_placeholders(request),
    }
    context.update(clinic_goals.couple_goals_context(request=request, couple=couple))
    context.update(clinic_sessions.couple_sessions_context(request=request, couple=couple))
    rows = context["upcoming_sessions"] + context["past_sessions"]
    moments = _session_moments([row.session for row in rows])
    return fragments.Rendered(
        parts={
            "content": render_to_string("pages/couple_detail.html#couple-content", context),
            "title": render_to_string("pages/couple_detail.html#couple-title", context),
        },
        data={"partner_ids": [partner.pk for partner in partners]},
        valid_until=fragments.earliest_future(timezone.now(), moments),
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker reachability for load balancers and compose health checks."""
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    healthy = all(checks.values())
    body = {name: "ok" if ok else "unavailable" for name, ok in checks.items()}
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **body}, status=200 if healthy else 503
    )


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
