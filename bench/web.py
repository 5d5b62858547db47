"""What the page benchmark adds to the app it serves: the floor view and a header that
counts each request's queries. Only bench/settings_pages.py installs them."""

import time

from allauth.account.models import EmailAddress
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

# The load generator reads them: one spelling for both sides.
from bench.loadgen import APP_MS_HEADER, DB_MS_HEADER, QUERIES_HEADER


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """The least a signed-in page can cost: one indexed query and a tiny template.

    Session and user lookups come on top, as for every page; no context processors run.
    """
    return HttpResponse(render_to_string("bench/floor.html", {"email": _email(request)}))


@login_required
def floor_layout(request: HttpRequest) -> HttpResponse:
    """The floor inside the app's layout (base.html, its navigation and context processors):
    what every real page pays before its own content. A reference, with no target."""
    return render(request, "bench/floor_layout.html", {"email": _email(request)})


def _email(request: HttpRequest) -> str | None:
    return (
        EmailAddress.objects.filter(user_id=request.user.pk, primary=True)
        .values_list("email", flat=True)
        .first()
    )


class QueryCounter:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


class QueryCountMiddleware:
    """Outermost, so the session save at the end of a request is counted too. The time
    headers are server-side: Django's share of the latency, and the database's in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counter = QueryCounter()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response[QUERIES_HEADER] = str(counter.count)
        response[DB_MS_HEADER] = f"{1000 * counter.seconds:.2f}"
        response[APP_MS_HEADER] = f"{1000 * (time.perf_counter() - started):.2f}"
        return response
