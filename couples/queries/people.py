"""Who may see which couple: couples, partners, clinicians and care teams, read for the asker."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import (
    Case,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.services import access_denied_record
from common.zones import zone_named
from couples.models import (
    CareAssignment,
    CareRole,
    Clinician,
    Couple,
    Partner,
    User,
)
from couples.roles import Role, roles_for_user

# Orders by the declared order of the choices rather than alphabetically.
ROLE_ORDER = Case(
    *(When(role=role, then=Value(index)) for index, role in enumerate(CareRole.values)),
    output_field=IntegerField(),
)


def partners_in_treatment() -> QuerySet[Partner]:
    """Every active partner of a couple in treatment, unordered (a plan or rule reads each
    row once, and sorting costs two joins); callers add what they read with it."""
    return Partner.objects.filter(
        couple__status__in=Couple.IN_TREATMENT, user__is_active=True
    ).order_by()


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
    """The couple if this user may see it; everyone else gets the audited 404."""
    couple = couple_list_for_user(user=user).filter(pk=pk).first()
    if couple is None:
        access_denied_record(user=user, request=request, target_type="couples.Couple", target_id=pk)
        raise Http404
    return couple


def partner_get_for_user(*, user: User, with_couple_partners: bool = True) -> Partner:
    """The signed-in partner's own profile with their couple and, unless a page needs only
    the person and the couple (one query then), both partners."""
    partner = Partner.objects.select_related("user", "couple").filter(user=user).first()
    if partner is None:
        raise Http404
    if with_couple_partners:
        couple_partners_load(partner=partner)
    return partner


def couple_partners_load(*, partner: Partner) -> None:
    """Read the partner's couple's partners with their users (one query), for
    partner.couple.partners.all()."""
    prefetch_related_objects(
        [partner], Prefetch("couple__partners", queryset=Partner.objects.select_related("user"))
    )


def clinician_get_for_user(*, user: User) -> Clinician:
    clinician = Clinician.objects.select_related("user").filter(user=user).first()
    if clinician is None:
        raise Http404
    return clinician


def partner_list_for_couple(*, couple: Couple) -> QuerySet[Partner]:
    return couple.partners.select_related("user").order_by("pk")


def partner_other(*, partner: Partner) -> Partner | None:
    """The partner's partner, from the couple's partners as loaded (prefetched, no query)."""
    return next((p for p in partner.couple.partners.all() if p.pk != partner.pk), None)


def couple_time_zone(*, couple: Couple) -> datetime.tzinfo:
    """The couple's zone for dates and times; the clinic's if the stored name is unknown."""
    return zone_named(couple.time_zone)


def couple_today(*, couple: Couple) -> datetime.date:
    """The calendar day it is now where the couple lives: consent ends at their midnight."""
    return timezone.localdate(timezone=couple_time_zone(couple=couple))


@dataclass(frozen=True)
class CareCoverage:
    """Whose individual items (individual goals, check-ins, measures) a clinician's current
    roles on one couple cover: the couples therapist's cover both partners, an individual
    therapist's, counselor's or medical provider's only the partner they are assigned to.
    The couple's shared items are for the whole care team (minimum necessary)."""

    both: bool = False
    partner_ids: frozenset[int] = frozenset()

    def covers(self, partner_id: int) -> bool:
        return self.both or partner_id in self.partner_ids


NO_COVERAGE = CareCoverage()


def care_coverage_from(assignments: Iterable[CareAssignment]) -> CareCoverage:
    """The coverage of one clinician's assignments on one couple, as read (no query)."""
    current = [a for a in assignments if a.ended_at is None]
    return CareCoverage(
        both=any(a.partner_id is None for a in current),
        partner_ids=frozenset(a.partner_id for a in current if a.partner_id is not None),
    )


def care_coverage_by_couple(
    *, user: User, couple_ids: Iterable[int] | None = None
) -> dict[int, CareCoverage]:
    """couple id -> the user's coverage there, for these couples or (None) every couple
    whose care team they are on; a couple they are not on is left out. One query."""
    current = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
    if couple_ids is not None:
        current = current.filter(couple_id__in=list(couple_ids))
    found: dict[int, list[int | None]] = {}
    for couple_id, partner_id in current.values_list("couple_id", "partner_id"):
        found.setdefault(couple_id, []).append(partner_id)
    return {
        couple_id: CareCoverage(
            both=None in partner_ids,
            partner_ids=frozenset(pk for pk in partner_ids if pk is not None),
        )
        for couple_id, partner_ids in found.items()
    }


def care_coverage_for(*, user: User, couple_id: int) -> CareCoverage:
    return care_coverage_by_couple(user=user, couple_ids=[couple_id]).get(couple_id, NO_COVERAGE)


def care_team_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    """Current assignments of the couple, couples therapist first."""
    return (
        couple.care_assignments.filter(ended_at__isnull=True)
        .select_related("clinician__user", "partner__user")
        # PostgreSQL sorts NULL last by default: say where the couples therapist goes.
        .order_by(F("partner_id").asc(nulls_first=True), ROLE_ORDER)
    )


def care_history_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    return couple.care_assignments.select_related("clinician__user", "partner__user", "assigned_by")


def care_team_from_history(history: list[CareAssignment]) -> list[CareAssignment]:
    """The current assignments among a couple's history (care_history_for_couple, read
    once for both), in care_team_for_couple's order: couples therapist first."""
    order = {role: index for index, role in enumerate(CareRole.values)}
    current = [assignment for assignment in history if assignment.ended_at is None]
    return sorted(
        current,
        key=lambda a: (a.partner_id is not None, a.partner_id or 0, order.get(a.role, len(order))),
    )


def care_team_for_partner(*, partner: Partner) -> QuerySet[CareAssignment]:
    """The partner's own current clinicians: the couples therapist and their own individual
    therapist and counselor, never the other partner's."""
    return (
        CareAssignment.objects.filter(couple_id=partner.couple_id, ended_at__isnull=True)
        .filter(Q(partner__isnull=True) | Q(partner=partner))
        .select_related("clinician__user")
        .order_by(F("partner_id").asc(nulls_first=True), ROLE_ORDER)
    )
