"""The safety net: an urgent item reaches a clinician at once, and the clinic's on-call
contact if nobody acknowledges it in time.

1. When an urgent item is raised, every clinician whose current role covers the partner (the
   couples therapist, the partner's own individual therapist, counselor or medical provider;
   never the other partner's) gets an alert, due at once.
2. In the same transaction, the on-call contact gets an alert due TRIAGE_ESCALATE_MINUTES
   later: the outbox holds it until then (no countdown task), and its check withdraws it if
   someone acknowledged the item or reached the partner meanwhile. With nobody on the care
   team covering the partner, the on-call alert is due at once.

Both ignore quiet hours and email settings (they must wake someone) and say nothing about
the patient or what they reported: the clinic's queue, behind the sign-in, says who and why.
The on-call contact is the active user whose email is CLINIC_ON_CALL_EMAIL; with the setting
empty, or naming nobody active, every active staff superuser.
"""

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from couples.models import CareAssignment, Notification, User
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    notifications_create,
    notifications_withdraw,
    object_pk,
    object_ref,
)
from couples.queries import care_coverage_for
from triage.models import TriageItem

logger = logging.getLogger(__name__)

URGENT_ALERT = "triage_urgent"
URGENT_ESCALATION = "triage_urgent_escalated"
ALERT_KINDS = (URGENT_ALERT, URGENT_ESCALATION)
# An alert that could not be delivered for this long is overtaken by the on-call escalation
# and the clinic's own routines.
ALERT_LIFETIME = datetime.timedelta(hours=4)


def covering_user_ids(item: TriageItem) -> list[int]:
    """The active clinicians whose current role covers the item's partner (the whole care
    team for an item about the couple). One query."""
    roles = CareAssignment.objects.filter(
        couple_id=item.couple_id, ended_at__isnull=True, clinician__user__is_active=True
    )
    if item.partner_id is not None:
        roles = roles.filter(Q(partner__isnull=True) | Q(partner_id=item.partner_id))
    return sorted(set(roles.values_list("clinician__user_id", flat=True)))


def on_call_user_ids() -> list[int]:
    """The clinic's on-call contact: the active user with CLINIC_ON_CALL_EMAIL, else every
    active staff superuser. One or two queries."""
    email = settings.CLINIC_ON_CALL_EMAIL.strip()
    active = User.objects.filter(is_active=True).order_by("pk")
    if email:
        found = list(active.filter(email__iexact=email).values_list("pk", flat=True))
        if found:
            return found
        logger.warning("CLINIC_ON_CALL_EMAIL names no active user: alerting staff superusers")
    return list(active.filter(is_staff=True, is_superuser=True).values_list("pk", flat=True))


def urgent_alerts_queue(*, item: TriageItem) -> int:
    """Queue both alerts for a newly raised urgent item (inside its transaction). The item
    and its moment are the rows' key, so calling again adds nothing."""
    team = covering_user_ids(item)
    escalate_at = item.raised_at + datetime.timedelta(minutes=settings.TRIAGE_ESCALATE_MINUTES)
    drafts = [
        Draft(
            kind=URGENT_ALERT,
            recipient_id=user_id,
            object_ref=object_ref(item),
            slot=item.raised_at,
            due_at=item.raised_at,
        )
        for user_id in team
    ]
    drafts += [
        Draft(
            kind=URGENT_ESCALATION,
            recipient_id=user_id,
            object_ref=object_ref(item),
            slot=item.raised_at,
            due_at=escalate_at if team else item.raised_at,
        )
        for user_id in on_call_user_ids()
    ]
    return notifications_create(drafts)


def urgent_alerts_withdraw(*, item: TriageItem, reason: str) -> int:
    """Someone has the item in hand: the alerts not sent yet are withdrawn now (each one's
    check would withdraw it anyway when it falls due)."""
    return notifications_withdraw(object_ref=object_ref(item), kinds=ALERT_KINDS, reason=reason)


def _handled_reason(item: TriageItem | None) -> str:
    if item is None:
        return "The item no longer exists"
    if item.acknowledged_at is not None:
        return "Acknowledged already"
    if item.resolved_at is not None:
        return "Its cause ended"
    if item.contacted_at is not None:
        return "Someone on the care team reached the partner"
    return ""


def _item(notification: Notification) -> TriageItem | None:
    return TriageItem.objects.filter(pk=object_pk(notification.object_ref)).first()


def urgent_alert_check(notification: Notification, recipient: Recipient) -> str:
    """Two queries: the item, the recipient's roles on its couple."""
    item = _item(notification)
    reason = _handled_reason(item)
    if reason:
        return reason
    coverage = care_coverage_for(user=recipient.user, couple_id=item.couple_id)
    if item.partner_id is None:
        on_team = coverage.both or bool(coverage.partner_ids)
    else:
        on_team = coverage.covers(item.partner_id)
    return "" if on_team else "No longer caring for this partner"


def urgent_escalation_check(notification: Notification, recipient: Recipient) -> str:
    """One query: the item."""
    return _handled_reason(_item(notification))


def queue_link() -> str:
    return reverse("pages:clinic_home") + "#triage-heading"


def urgent_alert_message(notification: Notification, recipient: Recipient) -> Message:
    """No name, no measure, no answer: only that the queue holds something to act on now."""
    return Message(
        subject="A patient needs your attention",
        lines=[
            "A patient on your caseload needs a clinician's attention now.",
            "Open the clinic and look at the top of your queue.",
        ],
        link=queue_link(),
        action="Open the clinic",
    )


def urgent_escalation_message(notification: Notification, recipient: Recipient) -> Message:
    return Message(
        subject="A patient needs attention: not yet acknowledged",
        lines=[
            "You are the clinic's on-call contact. An item in the clinic's queue that needs "
            "attention now has not been acknowledged by the patient's care team.",
            "Open the clinic, or reach the care team.",
        ],
        link=queue_link(),
        action="Open the clinic",
    )


kind_register(
    Kind(
        name=URGENT_ALERT,
        label="Urgent item (care team)",
        message=urgent_alert_message,
        check=urgent_alert_check,
        respects_quiet_hours=False,
        always_emailed=True,
        lifetime=ALERT_LIFETIME,
        expires_note="it was four hours old",
    )
)
kind_register(
    Kind(
        name=URGENT_ESCALATION,
        label="Urgent item not acknowledged (on-call)",
        message=urgent_escalation_message,
        check=urgent_escalation_check,
        respects_quiet_hours=False,
        always_emailed=True,
        lifetime=ALERT_LIFETIME,
        expires_note="it was four hours old",
    )
)
