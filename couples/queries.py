from django.http import Http404

from couples.models import Clinician, Partner, User


def partner_get_for_user(*, user: User) -> Partner:
    """The signed-in partner's own profile with their couple and both partners."""
    partner = (
        Partner.objects.select_related("user", "couple")
        .prefetch_related("couple__partners__user")
        .filter(user=user)
        .first()
    )
    if partner is None:
        raise Http404
    return partner


def clinician_get_for_user(*, user: User) -> Clinician:
    clinician = Clinician.objects.select_related("user").filter(user=user).first()
    if clinician is None:
        raise Http404
    return clinician
