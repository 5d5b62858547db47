from django.conf import settings
from django.urls import reverse

from couples.roles import Role, roles_for_user


def navigation(request) -> dict:
    """Links for the top bar, chosen by role here so templates need not decide."""
    links = []
    show_help_link = False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        roles = roles_for_user(user)
        show_help_link = Role.PARTNER in roles
        if Role.PARTNER in roles:
            links.append(("Home", reverse("couples:portal_home")))
            links.append(("Sessions", reverse("sessions:portal_list")))
            links.append(("Calendar", reverse("sessions:calendar")))
            links.append(("Sharing", reverse("couples:consent")))
            links.append(("Coverage", reverse("insurance:my_coverage")))
            links.append(("Record access", reverse("couples:record_access")))
        if Role.CLINICIAN in roles:
            links.append(("Caseload", reverse("couples:clinic_home")))
            links.append(("Calendar", reverse("sessions:clinic_week")))
        if Role.STAFF in roles:
            links.append(("Admin", reverse("admin:index")))
        links.append(("Security", reverse("mfa_index")))
    return {
        "nav_links": links,
        "clinic_name": settings.CLINIC_NAME,
        "show_help_link": show_help_link,
    }
