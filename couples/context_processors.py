from functools import cached_property

from django.conf import settings
from django.urls import reverse

from couples.queries import notification_unread_count_for_user
from couples.roles import Role, roles_for_user


class NotificationBadge:
    """The top bar's unread count, as counted in the query that loaded the request's user
    (couples.backends); counted here only for a user loaded some other way."""

    def __init__(self, user):
        self.user = user
        self.url = reverse("couples:notification_list")

    @cached_property
    def count(self) -> int:
        counted = getattr(self.user, "unread_notification_count", None)
        if counted is not None:
            return counted
        return notification_unread_count_for_user(user=self.user)

    @property
    def shown(self) -> str:
        return "99+" if self.count > 99 else str(self.count)

    @property
    def label(self) -> str:
        if not self.count:
            return "Notifications, none unread"
        return f"{self.count} unread notification{'s' if self.count != 1 else ''}"


def navigation(request) -> dict:
    """Links for the top bar, chosen by role here so templates need not decide."""
    links = []
    show_help_link = False
    notification_badge = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        roles = roles_for_user(user)
        show_help_link = Role.PARTNER in roles
        notification_badge = NotificationBadge(user)
        if Role.PARTNER in roles:
            links.append(("Home", reverse("pages:portal_home")))
            links.append(("Sessions", reverse("sessions:portal_list")))
            links.append(("Measures", reverse("measures:portal_list")))
            links.append(("Calendar", reverse("sessions:calendar")))
            links.append(("Sharing", reverse("couples:consent")))
            links.append(("Coverage", reverse("insurance:my_coverage")))
            links.append(("Record access", reverse("couples:record_access")))
        if Role.CLINICIAN in roles:
            links.append(("Caseload", reverse("pages:clinic_home")))
            links.append(("Calendar", reverse("sessions:clinic_week")))
        if Role.STAFF in roles:
            links.append(("Admin", reverse("admin:index")))
        links.append(("Security", reverse("mfa_index")))
    return {
        "nav_links": links,
        "clinic_name": settings.CLINIC_NAME,
        "show_help_link": show_help_link,
        "notification_badge": notification_badge,
    }
