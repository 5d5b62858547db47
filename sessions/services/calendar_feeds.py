"""A person's private calendar feed address: created anew, or revoked."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import User
from sessions.models import CalendarFeed


@transaction.atomic
def calendar_feed_create(*, user: User, request: HttpRequest | None = None) -> CalendarFeed:
    """A new private feed address; the old one stops working at once."""
    # Lock the person: two quick "create" clicks must not both insert an open feed.
    User.objects.select_for_update().filter(pk=user.pk).first()
    for feed in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed, request=request)
    feed = CalendarFeed.objects.create(user=user)
    audit_record(actor=user, action=AuditEvent.Action.CREATE, target=feed, request=request)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, request: HttpRequest | None = None) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(
            actor=feed.user,
            action=AuditEvent.Action.UPDATE,
            target=feed,
            request=request,
            detail={"revoked": True},
        )
    return feed
