"""Who a signed-in user is to the clinic, resolved in one place."""

from django.db.models import TextChoices
from django.urls import reverse


class Role(TextChoices):
    PARTNER = "partner", "Partner"
    CLINICIAN = "clinician", "Clinician"
    STAFF = "staff", "Clinic staff"


def roles_for_user(user) -> frozenset[Role]:
    """The user's roles, computed with one query and cached on the user object."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    from couples.models import User

    links = User.objects.filter(pk=user.pk).values("clinician__id", "partner__id").first() or {}
    roles = set()
    if links.get("partner__id"):
        roles.add(Role.PARTNER)
    if links.get("clinician__id"):
        roles.add(Role.CLINICIAN)
    if user.is_staff:
        roles.add(Role.STAFF)
    user._roles_cache = frozenset(roles)
    return user._roles_cache


def requires_mfa(user) -> bool:
    """Clinicians and staff must use two-factor sign-in; partners may."""
    return bool(roles_for_user(user) & {Role.CLINICIAN, Role.STAFF})


def home_url_for(user) -> str:
    roles = roles_for_user(user)
    if Role.CLINICIAN in roles:
        return reverse("couples:clinic_home")
    if Role.PARTNER in roles:
        return reverse("couples:portal_home")
    if Role.STAFF in roles:
        return reverse("admin:index")
    return reverse("couples:no_role")
