from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import base36_to_int
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from couples import queries, services
from couples.forms import InvitationAcceptForm
from couples.models import User
from couples.permissions import clinician_required, partner_required
from couples.roles import home_url_for, roles_for_user


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(home_url_for(request.user))
    return redirect(settings.LOGIN_URL)


@partner_required
def portal_home(request: HttpRequest) -> HttpResponse:
    partner = queries.partner_get_for_user(user=request.user)
    others = [p for p in partner.couple.partners.all() if p.pk != partner.pk]
    context = {
        "partner": partner,
        "couple": partner.couple,
        "other_partner": next(iter(others), None),
    }
    return render(request, "couples/portal_home.html", context)


@clinician_required
def clinic_home(request: HttpRequest) -> HttpResponse:
    clinician = queries.clinician_get_for_user(user=request.user)
    return render(request, "couples/clinic_home.html", {"clinician": clinician})


@login_required
def no_role(request: HttpRequest) -> HttpResponse:
    # Signed in, but not (yet) a partner, clinician or staff member.
    if roles_for_user(request.user):
        return redirect(home_url_for(request.user))
    return render(request, "couples/no_role.html")


def page_not_found(request: HttpRequest) -> HttpResponse:
    raise Http404


@never_cache
def invitation_accept(request: HttpRequest, uidb36: str, token: str) -> HttpResponse:
    user = _invited_user(uidb36, token)
    if user is None:
        return render(request, "couples/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.invitation_accept(
            user=user, password=form.cleaned_data["new_password1"], request=request
        )
        messages.success(request, "Your password is set. Sign in to continue.")
        return redirect(settings.LOGIN_URL)
    return render(request, "couples/invitation_accept.html", {"form": form, "invitee": user})


def _invited_user(uidb36: str, token: str) -> User | None:
    try:
        user = User.objects.filter(pk=base36_to_int(uidb36), is_active=True).first()
    except ValueError:
        return None
    if user is None or not services.invitation_tokens.check_token(user, token):
        return None
    return user


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
        import redis

        try:
            client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2
            )
            return bool(client.ping())
        except redis.RedisError:
            return False
    queue_dir = settings.CELERY_BROKER_DIR / "queue"
    return queue_dir.is_dir()
