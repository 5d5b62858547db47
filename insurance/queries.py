"""Reads of insurance records. Units used come from attendance, never from a counter."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, FilteredRelation, Q

from couples.models import Partner
from couples.queries import couple_time_zone, couple_today
from insurance.models import Authorization, Benefit, Coverage
from sessions.models import Attendance, SessionKind

ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)


def units_used_for_authorizations(*, authorizations: list[Authorization]) -> dict[int, int]:
    """authorization id -> IOP units used: the days the partner attended any session in the
    authorization's date range, counted in the couple's time zone. One query for all."""
    if not authorizations:
        return {}
    partners = {a.coverage.partner_id for a in authorizations}
    earliest = min(a.starts_on for a in authorizations) - datetime.timedelta(days=1)
    latest = max(a.ends_on for a in authorizations) + datetime.timedelta(days=2)
    rows = Attendance.objects.filter(
        partner_id__in=partners,
        status__in=ATTENDED,
        session__starts_at__date__gte=earliest,
        session__starts_at__date__lt=latest,
    ).values_list("partner_id", "session__starts_at", "partner__couple__time_zone")
    days: dict[int, set[datetime.date]] = defaultdict(set)
    for partner_id, starts_at, zone in rows:
        days[partner_id].add(starts_at.astimezone(ZoneInfo(zone)).date())
    return {
        a.pk: sum(1 for day in days[a.coverage.partner_id] if a.starts_on <= day <= a.ends_on)
        for a in authorizations
    }


# The portal's "My coverage": labels computed here so the template only displays them.

# Which benefit pays for each kind of session.
BENEFIT_FOR_SESSION_KIND = {
    SessionKind.COUPLES_THERAPY: Benefit.Category.THERAPY,
    SessionKind.INDIVIDUAL_THERAPY: Benefit.Category.THERAPY,
    SessionKind.COUNSELING: Benefit.Category.THERAPY,
    SessionKind.MEDICAL_VISIT: Benefit.Category.MEDICAL,
    SessionKind.GROUP: Benefit.Category.IOP,
    SessionKind.SOBER_ACTIVITY: Benefit.Category.SOBER_ACTIVITIES,
}
# The caseload flags a plan ending this soon, and an authorization this used up.
ENDING_SOON_DAYS = 30
AUTHORIZATION_ALERT_PERCENT = 80


def authorization_is_high(*, used: int, units_authorized: int) -> bool:
    """At least AUTHORIZATION_ALERT_PERCENT of the units used: the caseload's flag and the
    staff alert (insurance/notifications.py) both ask this."""
    return 100 * used >= AUTHORIZATION_ALERT_PERCENT * units_authorized


@dataclass
class BenefitLine:
    category: str
    is_covered: bool
    cost: str
    needs_prior_authorization: bool
    visit_limit: int | None


@dataclass
class CoverageCard:
    coverage: Coverage
    status_label: str
    status_text: str
    covered_on: str
    # What the plan pays and what each session costs: only for a plan the clinic verified
    # (empty otherwise), as an unverified, denied or expired plan's copays would mislead.
    benefits: list[BenefitLine]
    session_costs: list[tuple[str, str]]
    costs_note: str  # why no costs are shown and what to do, when they are not

    @property
    def shows_costs(self) -> bool:
        return self.coverage.status == Coverage.Status.VERIFIED

    @property
    def is_denied(self) -> bool:
        return self.coverage.status == Coverage.Status.DENIED


def coverage_cards_for_partner(*, partner: Partner) -> list[CoverageCard]:
    """The partner's own coverages, ready to display. Two queries: coverages with payers,
    their benefits. The other partner's coverages are never read, even on a shared plan."""
    coverages = (
        partner.coverages.select_related("payer")
        .prefetch_related("benefits")
        .order_by("-effective_on", "-pk")
    )
    zone = couple_time_zone(couple=partner.couple)
    return [_coverage_card(coverage, zone=zone) for coverage in coverages]


def coverage_cards_for_partners(*, partners: list[Partner]) -> dict[int, list[CoverageCard]]:
    """partner id -> that partner's coverages, ready to display, for the care team's
    insurance tab: two queries for both partners (coverages with payers, their benefits).
    The partners are one couple's, so they share its zone."""
    if not partners:
        return {}
    coverages = (
        Coverage.objects.filter(partner__in=partners)
        .select_related("payer")
        .prefetch_related("benefits")
        .order_by("-effective_on", "-pk")
    )
    zone = couple_time_zone(couple=partners[0].couple)
    cards: dict[int, list[CoverageCard]] = {partner.pk: [] for partner in partners}
    for coverage in coverages:
        cards[coverage.partner_id].append(_coverage_card(coverage, zone=zone))
    return cards


def coverage_status_for_partner(*, partner: Partner) -> Coverage | None:
    """The partner's latest coverage that has not ended, for the home page. One query."""
    today = couple_today(couple=partner.couple)
    return (
        partner.coverages.filter(Q(terminates_on__isnull=True) | Q(terminates_on__gte=today))
        .order_by("-effective_on", "-pk")
        .first()
    )


def _coverage_card(coverage: Coverage, *, zone: datetime.tzinfo) -> CoverageCard:
    by_category = {benefit.category: benefit for benefit in coverage.benefits.all()}
    covered_on = ""
    if coverage.relationship != Coverage.Relationship.SELF:
        covered_on = f"Covered on {coverage.subscriber_name}'s plan"
    verified = coverage.status == Coverage.Status.VERIFIED
    return CoverageCard(
        coverage=coverage,
        status_label=coverage.get_status_display(),
        status_text=coverage_status_text(coverage=coverage, zone=zone),
        covered_on=covered_on,
        benefits=[_benefit_line(benefit) for benefit in by_category.values()] if verified else [],
        session_costs=[
            (kind.label, benefit_cost_text(benefit=by_category.get(category)))
            for kind, category in BENEFIT_FOR_SESSION_KIND.items()
        ]
        if verified
        else [],
        costs_note="" if verified else coverage_costs_note(coverage=coverage),
    )


def coverage_costs_note(*, coverage: Coverage) -> str:
    """Why a plan's copays are not shown, and what that means for the partner."""
    if coverage.status == Coverage.Status.DENIED:
        return (
            "No copay, coinsurance or deductible from this plan applies to your sessions, "
            "because the plan does not cover them. Someone from the clinic will talk with you "
            "about what your sessions cost and other ways to pay; until then, ask the front desk."
        )
    if coverage.status == Coverage.Status.EXPIRED:
        return (
            "This plan's copays and deductible no longer apply: it has ended. "
            "Ask the front desk what your sessions cost now."
        )
    return (
        "What your sessions cost is shown here once the clinic has verified this plan with "
        "your insurer. Questions? Ask the front desk."
    )


def coverage_status_text(*, coverage: Coverage, zone: datetime.tzinfo) -> str:
    """The coverage's status in plain words, with what to do next when it needs anything."""
    payer = coverage.payer.name
    status = coverage.status
    if status == Coverage.Status.VERIFIED:
        day = coverage.verified_at.astimezone(zone).date()
        return f"Verified with {payer} on {day:%B} {day.day}, {day.year}."
    if status == Coverage.Status.PENDING:
        return f"We are checking your coverage with {payer}. There is nothing you need to do."
    if status == Coverage.Status.DENIED:
        return (
            f"{payer} could not confirm this coverage, so the clinic cannot bill your sessions "
            "to it. If your card has changed or you have another plan, show it to the front "
            "desk: we will check it, and help you look at other ways to pay."
        )
    if status == Coverage.Status.EXPIRED:
        return (
            f"Your coverage with {payer} has ended. If you have a new plan, please bring the "
            "new card to the front desk so we can check it."
        )
    return (
        f"We have not checked your coverage with {payer} yet. We will do it soon; if your "
        "card has changed, please show the new one to the front desk."
    )


def benefit_cost_text(*, benefit: Benefit | None) -> str:
    """What one visit costs under a benefit, e.g. "Copay $20" or "Not covered"."""
    if benefit is None:
        return "Not known yet: your plan lists nothing for this"
    if not benefit.is_covered:
        return "Not covered"
    parts = []
    if benefit.copay:
        parts.append(f"Copay {_dollars(benefit.copay)}")
    if benefit.coinsurance_percent:
        parts.append(f"{_percent(benefit.coinsurance_percent)} coinsurance after your deductible")
    return ", then ".join(parts) or "No cost to you"


def _benefit_line(benefit: Benefit) -> BenefitLine:
    return BenefitLine(
        category=benefit.get_category_display(),
        is_covered=benefit.is_covered,
        cost=benefit_cost_text(benefit=benefit),
        needs_prior_authorization=benefit.needs_prior_authorization,
        visit_limit=benefit.visit_limit,
    )


def _dollars(amount: Decimal) -> str:
    return f"${amount:,.0f}" if amount == amount.to_integral_value() else f"${amount:,.2f}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}%"


# The clinic's caseload: coverage flags for every listed partner.


def coverage_flags_for_partners(
    *, partners: list[Partner], today: datetime.date
) -> dict[int, list[tuple[str, str]]]:
    """partner id -> flags as (problem, words): coverage unverified, denied, ending within 30
    days ("ending"), or an authorization 80% used. The problem names the flag whatever
    the day's wording ("ends in 12 days" changes daily). One query for the coverages with
    their current authorizations (a left join, one row per current authorization), one more
    for the units used when an authorization is current."""
    if not partners:
        return {}
    names = {partner.pk: partner.display_name for partner in partners}
    current = FilteredRelation(
        "authorizations",
        condition=Q(authorizations__starts_on__lte=today, authorizations__ends_on__gte=today),
    )
    rows = (
        Coverage.objects.filter(partner__in=partners)
        .filter(Q(terminates_on__isnull=True) | Q(terminates_on__gte=today))
        .annotate(
            current=current,
            auth_pk=F("current__pk"),
            auth_starts_on=F("current__starts_on"),
            auth_ends_on=F("current__ends_on"),
            auth_units=F("current__units_authorized"),
        )
        .order_by("partner_id", "pk", "auth_pk")
    )
    flags: dict[int, list[tuple[str, str]]] = defaultdict(list)
    authorizations = []
    seen = set()
    for coverage in rows:
        name = names[coverage.partner_id]
        if coverage.pk not in seen:
            seen.add(coverage.pk)
            flags[coverage.partner_id].extend(_coverage_flags(coverage, name=name, today=today))
        if coverage.auth_pk is not None:
            authorizations.append(_current_authorization(coverage))
    used = units_used_for_authorizations(authorizations=authorizations)
    for authorization in authorizations:
        units_used = used[authorization.pk]
        if authorization_is_high(used=units_used, units_authorized=authorization.units_authorized):
            percent = 100 * units_used // authorization.units_authorized
            name = names[authorization.coverage.partner_id]
            flags[authorization.coverage.partner_id].append(
                ("authorization", f"Authorization {percent}% used for {name}")
            )
    return dict(flags)


def _coverage_flags(
    coverage: Coverage, *, name: str, today: datetime.date
) -> list[tuple[str, str]]:
    if coverage.status == Coverage.Status.UNVERIFIED:
        return [("unverified", f"Coverage unverified for {name}")]
    if coverage.status == Coverage.Status.DENIED:
        return [("denied", f"Coverage denied for {name}")]
    if coverage.terminates_on and (coverage.terminates_on - today).days <= ENDING_SOON_DAYS:
        days = (coverage.terminates_on - today).days
        when = "today" if days == 0 else f"in {days} day{'' if days == 1 else 's'}"
        return [("ending", f"Coverage for {name} ends {when}")]
    return []


def _current_authorization(coverage: Coverage) -> Authorization:
    """The authorization read alongside its coverage, as a model units_used can count."""
    return Authorization(
        pk=coverage.auth_pk,
        coverage=coverage,
        starts_on=coverage.auth_starts_on,
        ends_on=coverage.auth_ends_on,
        units_authorized=coverage.auth_units,
    )
