"""Notifications: each person sees only their own, and only what reached them in the app."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import Notification, NotificationPreference, User
from couples.notifications import preference_for


def _delivered_in_app(recipient) -> QuerySet[Notification]:
    """What reached `recipient` (a user, or an OuterRef to one) in the app. A row sent while
    the person had the app channel off (in_app False) went by email only."""
    return Notification.objects.filter(
        recipient=recipient, status=Notification.Status.SENT, in_app=True
    )


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's delivered in-app notifications, newest first."""
    return _delivered_in_app(user).order_by("-sent_at", "-pk")


def notification_unread_count_for_user(*, user: User) -> int:
    return _delivered_in_app(user).filter(read_at__isnull=True).count()


def notification_unread_count_of(recipient: OuterRef) -> Coalesce:
    """notification_unread_count_for_user as an annotation, for the query that loads the
    request's user (couples.backends)."""
    unread = (
        _delivered_in_app(recipient)
        .filter(read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(unread), 0)


def notification_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> Notification:
    notification = notification_list_for_user(user=user).filter(pk=pk).first()
    if notification is None:
        access_denied_record(
            user=user, request=request, target_type="couples.Notification", target_id=pk
        )
        raise Http404
    return notification


def notification_preference_for_user(*, user: User) -> NotificationPreference:
    """The saved preferences, or the defaults (unsaved) for someone who never changed them."""
    return preference_for(user)
