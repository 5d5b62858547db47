"""Every read of couples' data that depends on who is asking.

A couple is visible to its two partners and to the clinicians currently on its
care team; to everyone else it does not exist (404), and the attempt is audited.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone

from couples.models import (
    AuditEvent,
    CareAssignment,
    Clinician,
    Couple,
    Partner,
    SharingConsent,
    User,
)
from couples.roles import Role, roles_for_user

# How far back a partner's accounting of who saw their records reaches (Part 2: 3 years).
DISCLOSURE_LOOKBACK = datetime.timedelta(days=3 * 365)


def couple_list_for_user(*, user: User) -> QuerySet[Couple]:
    """The couples this user may see: their own, or those whose care team they are on."""
    roles = roles_for_user(user)
    visible = Q(pk__in=[])
    if Role.PARTNER in roles:
        visible |= Q(pk__in=Partner.objects.filter(user=user).values("couple_id"))
    if Role.CLINICIAN in roles:
        current = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
        visible |= Q(pk__in=current.values("couple_id"))
    return Couple.objects.filter(visible)


def couple_get_for_user(*, user: User, pk: int, request: HttpRequest | None = None) -> Couple:
    couple = couple_list_for_user(user=user).filter(pk=pk).first()
    if couple is None:
        _record_denied(user=user, request=request, target_type="couples.Couple", target_id=pk)
        raise Http404
    return couple


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


def is_on_care_team(*, user: User, couple_id: int) -> bool:
    return CareAssignment.objects.filter(
        couple_id=couple_id, clinician__user=user, ended_at__isnull=True
    ).exists()


@dataclass(frozen=True)
class IndividualItemsAccess:
    """Whether a viewer may see a partner's individual goals and check-ins, and why."""

    goals: bool
    checkins: bool
    consent: SharingConsent | None = None  # set when the access rests on the partner's consent

    @property
    def is_disclosure(self) -> bool:
        return self.consent is not None


NO_ACCESS = IndividualItemsAccess(goals=False, checkins=False)


def individual_items_access(*, viewer: User, owner: Partner) -> IndividualItemsAccess:
    """The partner themself and their care team always; the other partner only under an
    active consent (checked on every call, so a revocation counts from the next request)."""
    if owner.user_id == viewer.pk:
        return IndividualItemsAccess(goals=True, checkins=True)
    if Role.CLINICIAN in roles_for_user(viewer) and is_on_care_team(
        user=viewer, couple_id=owner.couple_id
    ):
        return IndividualItemsAccess(goals=True, checkins=True)
    consent = consent_active_for(partner=owner)
    if consent is None or consent.recipient.user_id != viewer.pk:
        return NO_ACCESS
    return IndividualItemsAccess(
        goals=consent.shares_goals, checkins=consent.shares_checkins, consent=consent
    )


def consent_active_for(*, partner: Partner, today: datetime.date | None = None):
    """The partner's open, unexpired consent, or None. Expiry needs no job: it is read here."""
    today = today or timezone.localdate()
    consent = (
        SharingConsent.objects.select_related("recipient__user")
        .filter(partner=partner, revoked_at__isnull=True)
        .first()
    )
    if consent is None or not consent.is_active_on(today):
        return None
    return consent


def consent_history_for_partner(*, partner: Partner) -> QuerySet[SharingConsent]:
    return partner.consents_given.select_related("recipient__user", "granted_by", "revoked_by")


def record_access_list_for_partner(*, partner: Partner) -> QuerySet[AuditEvent]:
    """Who saw this partner's records over the last 3 years (an accounting of disclosures)."""
    since = timezone.now() - DISCLOSURE_LOOKBACK
    return (
        AuditEvent.objects.filter(
            patient=partner,
            allowed=True,
            at__gte=since,
            action__in=[
                AuditEvent.Action.READ,
                AuditEvent.Action.DISCLOSE,
                AuditEvent.Action.EXPORT,
            ],
        )
        .exclude(actor_id=partner.user_id)
        .select_related("actor")
        .order_by("-at")
    )


def care_team_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    """Current assignments of the couple, couples therapist first."""
    return (
        couple.care_assignments.filter(ended_at__isnull=True)
        .select_related("clinician__user", "partner__user")
        .order_by("partner_id", "role")
    )


def care_history_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    return couple.care_assignments.select_related("clinician__user", "partner__user", "assigned_by")


CASELOAD_SORTS = {
    "status": ["status", "admitted_on"],
    "days": ["admitted_on"],
    "-days": ["-admitted_on"],
    "admitted": ["-admitted_on"],
}


def caseload_for_clinician(*, user: User, search: str = "", sort: str = "") -> QuerySet[Couple]:
    """The clinician's current couples with partners and the clinician's own roles in each.

    Three queries whatever the caseload's size: couples, partners with users, my roles.
    """
    mine = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
    couples = Couple.objects.filter(pk__in=mine.values("couple_id"))
    search = search.strip()
    if search:
        matching = Partner.objects.filter(
            Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
            | Q(preferred_name__icontains=search)
        )
        couples = couples.filter(pk__in=matching.values("couple_id"))
    return couples.prefetch_related(
        Prefetch("partners", queryset=Partner.objects.select_related("user").order_by("pk")),
        Prefetch(
            "care_assignments",
            queryset=mine.select_related("partner__user"),
            to_attr="my_assignments",
        ),
    ).order_by(*CASELOAD_SORTS.get(sort, ["status", "-admitted_on"]), "pk")


def _record_denied(*, user: User, request: HttpRequest | None, target_type: str, target_id) -> None:
    from couples.services import audit_record

    audit_record(
        actor=user,
        action=AuditEvent.Action.READ,
        request=request,
        allowed=False,
        detail={"target_type": target_type, "target_id": str(target_id)},
    )
