"""Staff's one change to the outbox: sending again messages that were never delivered."""

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Notification, Partner, User

# Only a message that was never delivered is sent again: queued and sending rows are on their
# way, and sent or withdrawn ones are finished.
SEND_AGAIN_STATUSES = (Notification.Status.FAILED, Notification.Status.EXPIRED)


@transaction.atomic
def notifications_send_again(
    *, notification_ids: list[int], by: User, request: HttpRequest | None = None
) -> int:
    """Queue again, due now, the failed and expired messages among these; leave the others
    alone. Returns how many were queued. Audited, one event per message.

    The row starts afresh (no attempts, no dispatch, no claim, no error: its last error goes
    into the audit event), so /healthz counts its wait from now and not from when it first fell
    due. The worker checks it again before sending, as it does every message, so one that no
    longer applies (a session that has started) is withdrawn, not sent.
    """
    rows = list(
        Notification.objects.select_for_update()
        .filter(pk__in=notification_ids, status__in=SEND_AGAIN_STATUSES)
        .order_by("pk")
    )
    if not rows:
        return 0
    Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
        status=Notification.Status.QUEUED,
        next_attempt_at=timezone.now(),
        dispatched_at=None,
        claimed_at=None,
        attempts=0,
        last_error="",
        status_note=f"Sent again by {by.email}"[:200],
    )
    # A message to a partner is part of that patient's record; one to staff is about no one.
    partners = {
        partner.user_id: partner
        for partner in Partner.objects.filter(user_id__in={row.recipient_id for row in rows})
    }
    for row in rows:
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=row,
            patient=partners.get(row.recipient_id),
            request=request,
            detail={
                "via": "admin",
                "change": "sent again",
                "was": row.status,
                "last_error": row.last_error[:200],
            },
        )
    return len(rows)
