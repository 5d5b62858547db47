"""Sharing consent between partners, and the audit rows of who read or saw a partner's records."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many
from couples.models import Couple, Partner, SharingConsent, User
from couples.queries import couple_today

# The furthest a sharing consent may run: it can always be given again.
CONSENT_LONGEST = datetime.timedelta(days=2 * 365)


@transaction.atomic
def consent_grant(
    *,
    partner: Partner,
    shares_goals: bool,
    shares_checkins: bool,
    shares_measures: bool = False,
    expires_on=None,
    by: User,
    request: HttpRequest | None = None,
) -> SharingConsent:
    """Start sharing with the other partner; an open consent is replaced, not edited."""
    recipient = Partner.objects.filter(couple_id=partner.couple_id).exclude(pk=partner.pk).first()
    if recipient is None:
        raise ValidationError("There is no partner to share with yet.")
    today = couple_today(couple=partner.couple)
    if expires_on is not None and expires_on < today:
        raise ValidationError({"expires_on": "The end date cannot be in the past."})
    latest = today + CONSENT_LONGEST
    if expires_on is not None and expires_on > latest:
        raise ValidationError(
            {
                "expires_on": f"Choose an end date no later than {latest:%B} {latest.day}, "
                f"{latest.year}: a consent can be given again when it ends."
            }
        )
    open_consent = (
        SharingConsent.objects.select_for_update()
        .filter(partner=partner, revoked_at__isnull=True)
        .first()
    )
    choices = (shares_goals, shares_checkins, shares_measures, expires_on)
    if open_consent is not None and choices == (
        open_consent.shares_goals,
        open_consent.shares_checkins,
        open_consent.shares_measures,
        open_consent.expires_on,
    ):
        return open_consent  # The same choices again: keep the history free of noise.
    if open_consent is not None:
        consent_revoke(consent=open_consent, by=by, request=request)
    consent = SharingConsent(
        partner=partner,
        recipient=recipient,
        shares_goals=shares_goals,
        shares_checkins=shares_checkins,
        shares_measures=shares_measures,
        expires_on=expires_on,
        granted_by=by,
    )
    consent.full_clean()
    consent.save()
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=consent,
        patient=partner,
        request=request,
        detail={
            "shares": consent.scope_labels,
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
    )
    return consent


@transaction.atomic
def consent_revoke(
    *, consent: SharingConsent, by: User, request: HttpRequest | None = None
) -> SharingConsent:
    """Stop sharing from the very next request. The grant itself stays on record."""
    if consent.revoked_at is not None:
        return consent
    consent.revoked_at = timezone.now()
    consent.revoked_by = by
    consent.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=by,
        action=AuditEvent.Action.UPDATE,
        target=consent,
        patient=consent.partner,
        request=request,
        detail={"revoked": True},
    )
    return consent


def disclosure_record(
    *, viewer: User, owner: Partner, consent: SharingConsent, what: str, request: HttpRequest | None
) -> AuditEvent:
    """One row in the owner's accounting of disclosures: who saw what, under which consent."""
    return audit_record(
        actor=viewer,
        action=AuditEvent.Action.DISCLOSE,
        target=consent,
        patient=owner,
        request=request,
        detail={"what": what, "consent": consent.pk},
    )


def couple_record_read(
    *, viewer: User, couple: Couple, partner_ids: list[int], request: HttpRequest | None
) -> list[AuditEvent]:
    """A clinician opening a couple's page reads both partners' records: one row each,
    written together. The page keeps the partners' ids, not the partners: an event needs
    only the id."""
    return audit_record_many(
        actor=viewer,
        action=AuditEvent.Action.READ,
        target=couple,
        patients=[Partner(pk=pk) for pk in partner_ids],
        request=request,
    )
