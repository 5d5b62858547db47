"""Everyone's notifications: the in-app list, opening one, and how and when to be told.

Partners, clinicians and clinic staff alike, each only their own: another person's
notification answers 404 (audited), as if it did not exist.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.forms import attach_service_error
from common.moments import zone_label
from couples import notifications, queries, services
from couples.forms import NotificationPreferenceForm
from couples.models import NotificationPreference, User
from couples.roles import Role, roles_for_user

NOTIFICATIONS_PER_PAGE = 20


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    rows = queries.notification_list_for_user(user=request.user)
    page = Paginator(rows, NOTIFICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    preference = queries.notification_preference_for_user(user=request.user)
    zone = notifications.zone_for(request.user, preference)
    context = {"page": page, "time_zone": zone}
    return render(request, "couples/notification_list.html", context)


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = queries.notification_get_for_user(user=request.user, pk=pk, request=request)
    notifications.notification_mark_read(user=request.user, pk=notification.pk)
    # Kinds write links as paths on this site. No allowed host at all means only such a
    # path passes: never send anyone off the site from a stored value.
    if notification.link and url_has_allowed_host_and_scheme(
        notification.link, allowed_hosts=set(), require_https=request.is_secure()
    ):
        return redirect(notification.link)
    return redirect("couples:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    if notifications.notification_mark_read(user=request.user):
        messages.success(request, "All your notifications are marked read.")
    else:
        messages.info(request, "You had no unread notifications.")
    return redirect("couples:notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    preference = queries.notification_preference_for_user(user=request.user)
    reminders_default = services.session_reminders_default(user=request.user)
    fields = services.preference_fields_for(user=request.user)
    form = NotificationPreferenceForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(preference, fields=fields, reminders_default=reminders_default),
        fields=fields,
        default_zone_label=_default_zone_label(request.user),
        session_reminders_default=reminders_default,
    )
    if form.is_valid():
        try:
            services.notification_preference_update(
                user=request.user, changes=form.changes(), request=request
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, "Your notification preferences are saved.")
            return redirect("couples:notification_preferences")
    return render(request, "couples/notification_preference_form.html", {"form": form})


def _initial(
    preference: NotificationPreference, *, fields: tuple[str, ...], reminders_default: bool
) -> dict:
    initial = {name: getattr(preference, name) for name in fields}
    if initial.get("session_reminders") is None:
        initial["session_reminders"] = reminders_default  # show what actually happens
    return initial


def _default_zone_label(user: User) -> str:
    """What an empty time zone means for this person, named."""
    zone = notifications.zone_for(user, NotificationPreference(user=user))
    whose = "my couple’s" if Role.PARTNER in roles_for_user(user) else "the clinic’s"
    return f"Same as {whose} ({zone_label(zone)})"
