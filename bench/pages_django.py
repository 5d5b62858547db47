"""The page benchmark's work inside Django: sign the load's users in, and measure each page
once in this process (its queries and where its time goes).

bench/pages/ runs this as a subprocess against each benchmark database
(`python -m bench.pages_django prepare|measure`, JSON in and out), so that the load
generator itself never imports Django. The smoke test calls the functions directly.
"""

import cProfile
import io
import json
import pstats
import sys
import time

from bench.pages import PAGES, Page, checkin_form_data, places
from bench.pages_records import records_ensure

CLINICAL_ROLES = ("clinician", "insurance_staff")
BENCH_STAFF_EMAIL = "bench-insurance-staff@bench.test"


def logins_pick() -> dict:
    """Users for the load in a database seeded by seed_demo (seed_scale's --json names them):
    the clinician with the largest caseload, a partner in it, and an insurance-staff member
    (created here if the database has none: the demo's only staff user is a superuser,
    whose admin pages skip the permission queries)."""
    from couples.models import Clinician, User
    from couples.queries import caseload_for_clinician
    from insurance.permissions import insurance_staff_group

    clinician = max(
        Clinician.objects.select_related("user").order_by("pk"),
        key=lambda c: caseload_for_clinician(user=c.user).count(),
    )
    couple = caseload_for_clinician(user=clinician.user).order_by("pk").first()
    partner = couple.partners.select_related("user").order_by("pk").first()
    group = insurance_staff_group()
    staff = group.user_set.filter(is_superuser=False).order_by("pk").first()
    if staff is None:
        staff = User.objects.create(
            email=BENCH_STAFF_EMAIL, first_name="Bench", last_name="Staff", is_staff=True
        )
        staff.set_unusable_password()
        staff.save(update_fields=["password"])
        group.user_set.add(staff)
    return {
        "clinician": {"email": clinician.user.email},
        "partner": {"email": partner.user.email, "couple": couple.pk},
        "insurance_staff": {"email": staff.email},
    }


def sessions_create(*, logins: dict) -> dict[str, str]:
    """A signed-in session for each login, as allauth leaves it after password (and TOTP):
    Django's auth keys, allauth's record of the methods used, and the clinic's timeout marks.

    Clinicians and staff get a TOTP authenticator first if they have none, and their session
    records the code step: clinic pages open only for a session that passed a second factor
    (couples/middleware.py).
    """
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from couples.middleware import AUTH_AT_KEY, SEEN_AT_KEY
    from couples.models import User

    keys = {}
    for role, login in logins.items():
        user = User.objects.get(email=login["email"])
        now = time.time()
        methods = [{"method": "password", "at": now, "email": user.email}]
        if role in CLINICAL_ROLES:
            totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
            if totp is None:
                totp = TOTP.activate(user, generate_totp_secret()).instance
            methods.append({"method": "mfa", "at": now, "id": totp.pk, "type": "totp"})
        session = SessionStore()
        session[SESSION_KEY] = user._meta.pk.value_to_string(user)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[AUTHENTICATION_METHODS_SESSION_KEY] = methods
        session["account_authentication_methods_user"] = str(user.pk)
        session[AUTH_AT_KEY] = now
        session[SEEN_AT_KEY] = now
        session.create()
        keys[role] = session.session_key
    return keys


def page_measure(page: Page, *, session_key: str, place: dict, repeat: int = 20) -> dict:
    """One page in this process through the test client: its queries (the second request,
    so first-use caches are warm), the mean time of `repeat` more, then a profile of as many
    again (apart: the profiler slows Python code down)."""
    from django.db import connection
    from django.test import Client

    client = Client()
    client.cookies["sessionid"] = session_key
    path = page.url(place)
    data = None
    if page.method == "POST":
        # The same valid form each time, as the load sends it: it corrects today's check-in.
        data = checkin_form_data(client.get(path).content.decode())
        data.pop("csrfmiddlewaretoken", None)

    def once():
        # As the load sends it: the same cookies each time. A success message left in the
        # messages cookie (nobody follows the redirect) would otherwise grow with each POST.
        client.cookies.pop("messages", None)
        if data is not None:
            response = client.post(path, data)
        else:
            response = client.get(path)
        page.check(response.status_code, response.headers.get("Location", ""), response.content)

    once()
    recorder = QueryRecorder()
    with connection.execute_wrapper(recorder):
        once()
    started = time.perf_counter()
    for _ in range(repeat):
        once()
    seconds = (time.perf_counter() - started) / repeat
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        once()
    profiler.disable()
    slowest = sorted(recorder.queries, key=lambda query: -query[1])[:3]
    return {
        "queries": len(recorder.queries),
        "query_ms": round(sum(ms for _, ms in recorder.queries), 2),
        "ms_per_request_in_process": round(1000 * seconds, 2),
        "sql": [sql[:160] for sql, _ in recorder.queries],
        "slowest_queries": [{"ms": round(ms, 2), "sql": sql[:600]} for sql, ms in slowest],
        "profile_top": _profile_top(profiler, repeat=repeat),
    }


class QueryRecorder:
    """Each query's SQL (whitespace folded) and its time in ms, client side."""

    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = 1000 * (time.perf_counter() - started)
            self.queries.append((" ".join(str(sql).split()), elapsed))


APP_CODE = (
    "couples/", "audit/", "goals/", "sessions/", "insurance/", "pages/", "notes/", "plans/",
)  # fmt: skip


def _profile_top(profiler: cProfile.Profile, *, repeat: int, limit: int = 15) -> dict:
    """Per request: the app's own functions by cumulative time (middleware left out: it wraps
    everything), and the functions anywhere with the most time of their own."""
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in stats.stats.items():
        where = filename.split("site-packages/")[-1].replace(str(_root()) + "/", "")
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "calls": calls // repeat,
                "cumulative_ms": round(1000 * cumulative / repeat, 2),
                "own_ms": round(1000 * own / repeat, 2),
            }
        )
    app = [
        row
        for row in rows
        if row["function"].startswith(APP_CODE) and "middleware.py" not in row["function"]
    ]
    return {
        "app_functions": sorted(app, key=lambda row: -row["cumulative_ms"])[:limit],
        "most_own_time": sorted(rows, key=lambda row: -row["own_ms"])[:limit],
    }


def _root():
    from django.conf import settings

    return settings.BASE_DIR


def main(argv: list[str]) -> int:
    """prepare: read {"logins": ... or null} on stdin; make the couple's notes and plan if
    missing; write logins, session keys and the records (bench/pages_records.py).
    measure: read {"logins", "sessions", "records", "repeat"?} on stdin, write each page's
    measurement."""
    import django

    django.setup()
    command, given = argv[0], json.load(sys.stdin)
    if command == "prepare":
        logins = given.get("logins") or logins_pick()
        records = records_ensure(logins=logins)
        keys = sessions_create(logins={role: logins[role] for role in Page.ROLES})
        json.dump({"logins": logins, "sessions": keys, "records": records}, sys.stdout)
    elif command == "measure":
        place, repeat = places(given), given.get("repeat", 20)
        measured = {
            page.name: page_measure(
                page,
                session_key=given["sessions"][page.role],
                place=place,
                repeat=repeat,
            )
            for page in PAGES
        }
        json.dump(measured, sys.stdout)
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
