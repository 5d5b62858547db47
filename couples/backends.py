"""Loads the signed-in user of each request together with what every page asks about them."""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.db.models import Exists, OuterRef, QuerySet

from couples.models import Clinician, Partner, User


@cache
def _users_with_access_flags() -> QuerySet[User]:
    """Users with three booleans: couples.roles and the MFA middleware read them instead of
    running a query each on every page.

    Built once per process, because building the three subqueries takes longer than the
    database takes to run them. It holds the query only: get() runs a fresh copy each time,
    so no row is ever kept between requests.
    """
    return User.objects.annotate(
        has_partner_profile=Exists(Partner.objects.filter(user=OuterRef("pk"))),
        has_clinician_profile=Exists(Clinician.objects.filter(user=OuterRef("pk"))),
        has_totp_authenticator=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
    )


class ClinicAuthenticationBackend(AuthenticationBackend):
    """allauth's backend (sign-in by email, its rate limits and inactive-account page), with
    the request's user loaded in one query that also says who they are to the clinic.

    The flags are read afresh with the user on every request and never cached beyond it:
    a clinician who loses their authenticator, or a person who becomes a partner, is
    treated accordingly on their very next request.
    """

    def get_user(self, user_id):
        try:
            user = _users_with_access_flags().get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

    async def aget_user(self, user_id):
        try:
            user = await _users_with_access_flags().aget(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
