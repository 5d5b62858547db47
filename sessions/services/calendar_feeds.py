"""A person's private calendar feed address: created anew, or revoked."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import User
from sessions.models import CalendarFeed, token_hash_of, unguessable_token


def calendar_feed_fetched(*, feed: CalendarFeed, request: HttpRequest) -> None:
    """A calendar app fetched the feed (no sign-in: whoever holds the address). Audited as
    an export of the owner's schedule, with the address it came from."""
    partner = getattr(feed.user, "partner", None)
    audit_record(
        actor=None,
        action=AuditEvent.Action.EXPORT,
        target=feed,
        patient=partner,
        request=request,
        detail={"via": "calendar feed", "owner": feed.user_id},
    )


@transaction.atomic
def calendar_feed_create(*, user: User, request: HttpRequest | None = None) -> CalendarFeed:
    """A new private feed address; the old one stops working at once.

    Only the token's hash is stored: the returned feed carries the token itself as
    `feed.token`, for the one time its owner is shown the address."""
    # Lock the person: two quick "create" clicks must not both insert an open feed.
    User.objects.select_for_update().filter(pk=user.pk).first()
    for feed in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed, request=request)
    token = unguessable_token()
    feed = CalendarFeed.objects.create(user=user, token_hash=token_hash_of(token))
    feed.token = token
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
