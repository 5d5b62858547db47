"""Who a signed-in user is to the clinic, resolved in one place."""

from django.db.models import TextChoices
from django.urls import reverse

from couples.models import User


class Role(TextChoices):
    PARTNER = "partner", "Partner"
    CLINICIAN = "clinician", "Clinician"
    STAFF = "staff", "Clinic staff"


def roles_for_user(user) -> frozenset[Role]:
    """The user's roles, cached on the user object. The request's user comes with them
    (couples.backends); a user loaded anywhere else costs one query."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_roles_cache", None)
    if cached is not None:
        return cached
    is_partner = getattr(user, "has_partner_profile", None)
    is_clinician = getattr(user, "has_clinician_profile", None)
    if is_partner is None or is_clinician is None:
        is_partner, is_clinician = _profiles_of(user)
    roles = set()
    if is_partner:
        roles.add(Role.PARTNER)
    if is_clinician:
        roles.add(Role.CLINICIAN)
    if user.is_staff:
        roles.add(Role.STAFF)
    user._roles_cache = frozenset(roles)
    return user._roles_cache


def _profiles_of(user) -> tuple[bool, bool]:
    links = User.objects.filter(pk=user.pk).values("clinician__id", "partner__id").first() or {}
    return bool(links.get("partner__id")), bool(links.get("clinician__id"))


def requires_mfa(user) -> bool:
    """Clinicians and staff must use two-factor sign-in; partners may."""
    return bool(roles_for_user(user) & {Role.CLINICIAN, Role.STAFF})


def home_url_for(user) -> str:
    roles = roles_for_user(user)
    if Role.CLINICIAN in roles:
        return reverse("pages:clinic_home")
    if Role.PARTNER in roles:
        return reverse("pages:portal_home")
    if Role.STAFF in roles:
        return reverse("admin:index")
    return reverse("couples:no_role")
