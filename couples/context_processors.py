from dataclasses import dataclass
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


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    # "page" on the link to this very page, "true" on the section the page belongs to.
    aria_current: str = ""
    icon: str = ""  # SVG path data (24×24, stroked) for the phone's tab bar


# The tab bar's icons: simple stroked outlines drawn with currentColor.
ICONS = {
    "today": "M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
    "goals": (
        "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18zm0-4a5 5 0 1 0 0-10 5 5 0 0 0 0 10z"
        "m0-4a1 1 0 1 0 0-2 1 1 0 0 0 0 2z"
    ),
    "sessions": (
        "M3 7.5A2.5 2.5 0 0 1 5.5 5h8A2.5 2.5 0 0 1 16 7.5v9a2.5 2.5 0 0 1-2.5 2.5h-8"
        "A2.5 2.5 0 0 1 3 16.5zM16 10l5-3v10l-5-3"
    ),
    "more": (
        "M5 13.5a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3zm7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"
        "m7 0a1.5 1.5 0 1 0 0-3 1.5 1.5 0 0 0 0 3z"
    ),
}


def _current(path: str, url: str, section: tuple[str, ...] = ()) -> str:
    if path == url:
        return "page"
    return "true" if any(path.startswith(prefix) for prefix in section) else ""


def _partner_links(path: str) -> tuple[list[NavLink], list[NavLink]]:
    """The partner's destinations: the phone's tab bar (Today, Goals, Sessions, More) and
    the wider screen's top bar, which adds the check-in. More is current on every page it
    lists."""
    today = reverse("pages:portal_home")
    goals = reverse("goals:portal_goal_list")
    sessions = reverse("sessions:portal_list")
    checkin = reverse("goals:checkin")
    more = reverse("pages:portal_more")
    more_pages = tuple(
        reverse(name)
        for name in (
            "couples:consent",
            "couples:record_access",
            "insurance:my_coverage",
            "measures:portal_list",
            "sessions:calendar",
            "couples:notification_preferences",
            "mfa_index",
            "account_change_password",
            "usersessions_list",
        )
    )
    tabs = [
        NavLink("Today", today, _current(path, today), ICONS["today"]),
        NavLink("Goals", goals, _current(path, goals, (goals,)), ICONS["goals"]),
        NavLink("Sessions", sessions, _current(path, sessions, (sessions,)), ICONS["sessions"]),
        NavLink("More", more, _current(path, more, more_pages), ICONS["more"]),
    ]
    top = [*tabs[:3], NavLink("Check-in", checkin, _current(path, checkin, (checkin,))), tabs[3]]
    return top, tabs


def navigation(request) -> dict:
    """Links for the top bar and, for partners, the phone's tab bar: chosen by role here so
    templates need not decide."""
    links, tabs = [], []
    show_help_link = False
    notification_badge = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        path = request.path
        roles = roles_for_user(user)
        show_help_link = Role.PARTNER in roles
        notification_badge = NotificationBadge(user)
        if Role.PARTNER in roles:
            links, tabs = _partner_links(path)
        if Role.CLINICIAN in roles:
            for label, name in (
                ("Caseload", "pages:clinic_home"),
                ("Calendar", "sessions:clinic_week"),
            ):
                url = reverse(name)
                links.append(NavLink(label, url, _current(path, url)))
        if Role.STAFF in roles:
            url = reverse("admin:index")
            links.append(NavLink("Admin", url, _current(path, url)))
        if Role.PARTNER not in roles:
            # Partners find security settings on their More page.
            url = reverse("mfa_index")
            links.append(NavLink("Security", url, _current(path, url)))
    return {
        "nav_links": links,
        "tab_links": tabs,
        "clinic_name": settings.CLINIC_NAME,
        "show_help_link": show_help_link,
        "notification_badge": notification_badge,
    }
