"""Loads the signed-in user of each request together with what every page asks about them."""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

from couples.models import Clinician, Partner, User
from couples.queries import notification_unread_count_of


@cache
def _users_with_access_flags() -> QuerySet[User]:
    """Users with three booleans, which couples.roles and the MFA middleware read instead of
    running a query each on every page, and the count of their unread notifications for the
    top bar's badge (couples.context_processors).

    Built once per process, because building the subqueries takes longer than the
    database takes to run them. It holds the query only: get() runs a fresh copy each time,
    so no row is ever kept between requests.
    """
    return User.objects.annotate(
        has_partner_profile=Exists(Partner.objects.filter(user=OuterRef("pk"))),
        has_clinician_profile=Exists(Clinician.objects.filter(user=OuterRef("pk"))),
        has_totp_authenticator=Exists(
            Authenticator.objects.filter(user=OuterRef("pk"), type=Authenticator.Type.TOTP)
        ),
        unread_notification_count=notification_unread_count_of(OuterRef("pk")),
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

    def get_all_permissions(self, user_obj, obj=None):
        """As Django's, with the user's own and their groups' permissions read in one query
        rather than one each (every admin page asks)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(
                    Q(pk__in=user_obj.user_permissions.values("pk"))
                    | Q(pk__in=Permission.objects.filter(group__user=user_obj).values("pk"))
                )
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
