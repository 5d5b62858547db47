"""A signed treatment plan, announced to the partners it covers (issue 21).

When the responsible clinician signs a version (`plans.services.plan_version_sign`), the
partner whose plan it is (both partners, for the couple plan) hears that it is ready to read
and to acknowledge on the portal. The row is queued in the signing's own transaction, due at
once; quiet hours and each person's email and in-app settings apply, as for every kind. Its
key is the version and the moment it was signed, so it is one message per version and person.

The check withdraws it when it is no longer true: the partner acknowledged it already, a
newer version was signed (which has its own message), the recipient is no longer a partner
the plan covers, or the couple was discharged.

The email says only that there is something new to read on the portal; the in-app notice,
read behind the sign-in by the partner it is for, says it is their treatment plan.
"""

import datetime

from django.urls import reverse

from couples.models import Couple, Notification, Partner
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    notifications_create,
    object_pk,
    object_ref,
)
from plans.models import PlanAcknowledgement, PlanVersion, TreatmentPlan

PLAN_SIGNED = "plan_signed"


def plan_signed_announce(*, version: PlanVersion, plan: TreatmentPlan) -> int:
    """The plan's partner, or both partners for the couple plan (active accounts). One
    query, and the insert."""
    partners = Partner.objects.filter(couple_id=plan.couple_id, user__is_active=True)
    if plan.partner_id is not None:
        partners = partners.filter(pk=plan.partner_id)
    user_ids = sorted(partners.values_list("user_id", flat=True))
    return notifications_create(
        Draft(
            kind=PLAN_SIGNED,
            recipient_id=user_id,
            object_ref=object_ref(version),
            slot=version.signed_at,
            due_at=version.signed_at,
        )
        for user_id in user_ids
    )


def _version(notification: Notification) -> PlanVersion | None:
    return (
        PlanVersion.objects.select_related("plan__couple")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )


def plan_signed_check(notification: Notification, recipient: Recipient) -> str:
    """Up to four queries: the version with its plan, the recipient among the partners it
    covers, a newer signed version, their acknowledgement."""
    version = _version(notification)
    if version is None or not version.is_signed:
        return "The plan is no longer there"
    plan = version.plan
    if plan.couple.status == Couple.Status.DISCHARGED:
        return "The couple was discharged"
    covered = Partner.objects.filter(couple_id=plan.couple_id, user=recipient.user)
    if plan.partner_id is not None:
        covered = covered.filter(pk=plan.partner_id)
    if not covered.exists():
        return "No longer a partner this plan covers"
    newer = plan.versions.filter(number__gt=version.number, signed_at__isnull=False)
    if newer.exists():
        return "A newer version was signed"
    if PlanAcknowledgement.objects.filter(version=version, partner__user=recipient.user).exists():
        return "Acknowledged already"
    return ""


def plan_signed_message(notification: Notification, recipient: Recipient) -> Message:
    version = _version(notification)
    plan = version.plan
    which = "Your couple plan" if plan.is_couple_plan else "Your treatment plan"
    news = "is ready to read" if version.number == 1 else "was reviewed: the new version is ready"
    return Message(
        subject="Something new to read on your portal",
        lines=[
            "Your care team has something new for you to read on your portal. Read it when "
            "you have a moment, and let them know you have read it."
        ],
        in_app_subject=f"{which} {news}: read it and acknowledge it",
        link=reverse("plans:portal_detail", args=[plan.pk]),
        action="Read it",
    )


kind_register(
    Kind(
        name=PLAN_SIGNED,
        label="Treatment plan ready to read",
        message=plan_signed_message,
        check=plan_signed_check,
        # It waits for the partner's acknowledgement; its check withdraws it once made.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
    )
)
