import logging
import time
from urllib.parse import unquote_to_bytes, urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.defaults import permission_denied

from audit.models import AuditEvent
from audit.services import audit_record
from couples.roles import requires_mfa
from couples.services import second_factor

denials_log = logging.getLogger("couples.denials")

AUTH_AT_KEY = "couples_auth_at"
SEEN_AT_KEY = "couples_seen_at"
# Refresh the "last seen" mark at most this often, to save a session write per request.
SEEN_AT_GRANULARITY = 30


def session_timeout_exempt(view):
    """Serve this view even to a session that has timed out, without touching the session.

    For the crisis-help page: a person who needs it must never meet a login screen first.
    """
    view.session_timeout_exempt = True
    return view


class SessionTimeoutMiddleware:
    """Signs people out after SESSION_IDLE_TIMEOUT idle and SESSION_ABSOLUTE_TIMEOUT in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or getattr(view_func, "session_timeout_exempt", False):
            return None
        now = time.time()
        auth_at = request.session.setdefault(AUTH_AT_KEY, now)
        seen_at = request.session.get(SEEN_AT_KEY, now)
        idle = now - seen_at > settings.SESSION_IDLE_TIMEOUT
        expired = now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT
        if idle or expired:
            return self._sign_out(request, reason="idle" if idle else "absolute")
        if now - seen_at >= SEEN_AT_GRANULARITY or SEEN_AT_KEY not in request.session:
            request.session[SEEN_AT_KEY] = now
        return None

    def _sign_out(self, request, *, reason: str):
        user = request.user
        audit_record(
            actor=user,
            action=AuditEvent.Action.SESSION_TIMEOUT,
            request=request,
            detail={"reason": reason},
        )
        logout(request)
        minutes = settings.SESSION_IDLE_TIMEOUT // 60
        text = (
            f"You were signed out after {minutes} minutes without activity, "
            "to protect your privacy."
            if reason == "idle"
            else "Your session reached its time limit. Please sign in again."
        )
        messages.info(request, text)
        return redirect_to_login(request.get_full_path())


class MFARequiredMiddleware:
    """Clinicians and staff reach clinic pages, the admin, video rooms, feeds, notifications
    and their two-factor settings only from a session that passed a second factor.

    allauth offers MFA but never forces it; this is the one place that does, and it asks of
    the session, not the person (couples.services.second_factor): a session signed in with
    the password alone is asked for a code, even if an authenticator was set up meanwhile
    elsewhere. Someone with no authenticator is sent to set one up only while their setup
    window is open (an invitation); otherwise they are refused, and the refusal audited.
    """

    # Everything a clinician or staff member opens with patient data, video rooms included,
    # their notifications (subjects carry session times, links lead to clinic pages), and
    # the pages that change their second factor.
    PROTECTED_PREFIXES = (
        "/clinic/",
        "/admin/",
        "/sessions/",
        "/calendar/",
        "/notifications/",
        "/accounts/2fa/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.user.is_authenticated
            and request.path.startswith(self.PROTECTED_PREFIXES)
            and requires_mfa(request.user)
            and not second_factor.session_passed_second_factor(request)
        ):
            refusal = self._second_factor_first(request)
            if refusal is not None:
                return refusal
        return self.get_response(request)

    def _second_factor_first(self, request):
        """Where a session without a second factor goes instead; None lets the request on
        (the pages that give it one)."""
        user = request.user
        reauthenticate, activate = reverse("mfa_reauthenticate"), reverse("mfa_activate_totp")
        if second_factor.has_authenticator(user):
            if request.path == reauthenticate:
                return None
            messages.info(request, "Enter a code from your authenticator app to continue.")
            return redirect(f"{reauthenticate}?{urlencode({'next': request.get_full_path()})}")
        if second_factor.may_set_up_second_factor(user):
            if request.path == activate:
                return None
            messages.warning(
                request,
                "Clinic pages hold patient records: set up two-factor sign-in to continue.",
            )
            return redirect(activate)
        audit_record(
            actor=user,
            action=AuditEvent.Action.SECOND_FACTOR_MISSING,
            target=user,
            request=request,
            allowed=False,
            detail={"path": request.path[:200]},
        )
        return render(request, "couples/second_factor_needed.html", status=403)


class MalformedInputMiddleware:
    """Refuse, before any view runs, what no page can read: a NUL byte or bytes that are not
    UTF-8 in the path, the query string or a form's fields (400), and a body larger than
    REQUEST_BODY_MAX_BYTES (413, before it is read). The refusal is audited with the visitor
    (anonymous too), naming what was wrong but not the input itself."""

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem, status = self._problem(request)
        if problem:
            user = request.user if request.user.is_authenticated else None
            audit_record(
                actor=user,
                action=AuditEvent.Action.READ,
                request=request,
                allowed=False,
                detail={"refused": problem, "method": request.method},
            )
            text = (
                "This request is too large."
                if status == 413
                else "This request could not be read: it contains characters that are not text."
            )
            return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    def _problem(self, request) -> tuple[str, int]:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return "unreadable Content-Length", 400
        if length > settings.REQUEST_BODY_MAX_BYTES:
            return "body too large", 413
        raw_path = request.META.get("PATH_INFO", "").encode("latin-1", "replace")
        if not _is_text(raw_path):
            return "path", 400
        if not _is_text(unquote_to_bytes(request.META.get("QUERY_STRING", "").replace("+", " "))):
            return "query string", 400
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            if request.content_type == "application/x-www-form-urlencoded":
                if not _is_text(unquote_to_bytes(request.body.replace(b"+", b" "))):
                    return "form", 400
            elif any("\x00" in value for values in request.POST.lists() for value in values[1]):
                return "form", 400
        return "", 200


def _is_text(raw: bytes) -> bool:
    """UTF-8 without a NUL byte."""
    if b"\x00" in raw:
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class PermissionDeniedMiddleware:
    """Every 403 a view raises (a role rule: an individual therapist posting attendance on a
    colleague's session) is audited, and logged in one line instead of a traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, PermissionDenied):
            return None
        user = request.user if request.user.is_authenticated else None
        audit_record(
            actor=user,
            action=AuditEvent.Action.READ if request.method == "GET" else AuditEvent.Action.UPDATE,
            request=request,
            allowed=False,
            detail={"status": 403, "method": request.method, "path": request.path[:200]},
        )
        denials_log.warning(
            "403 %s %s for user %s", request.method, request.path[:200], getattr(user, "pk", "-")
        )
        return permission_denied(request, exception)


# No page of ours uses these; video rooms open at the telehealth service, on its own origin.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=(), "
    "serial=(), hid=(), display-capture=(), interest-cohort=()"
)


class NoStoreMiddleware:
    """Pages shown to a signed-in person may hold patient data: never cache them. Every
    response also denies the browser features no page needs (Permissions-Policy)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if request.user.is_authenticated:
            # max-age=0, no-cache, no-store, must-revalidate, private
            add_never_cache_headers(response)
        return response
