"""Demo insurance for every demo partner (seed_demo calls seed()).

One coverage of each kind the verification queue shows: verified, pending, denied and
one ending within 30 days; Alex is covered on Jordan's plan as a spouse. Statuses
change through the services, so each coverage has its verification history. IOP
authorizations span the demo's past sessions, so their units are partly used.
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from couples.management.commands.seed_demo import DEMO_DOMAIN
from couples.models import Partner, User
from insurance import services
from insurance.models import Authorization, Benefit, Coverage, Payer

PAYERS = [
    # name, phone, EDI payer id
    ("Blue Cross Blue Shield PPO", "+1 800 555 0101", "BCBS1"),
    ("Aetna Choice POS II", "+1 800 555 0102", "60054"),
    ("UnitedHealthcare Options PPO", "+1 800 555 0103", "87726"),
]
# partner handle -> payer index, status, plan ends in (days) or None, on whose plan
COVERAGES = [
    ("jordan", 0, Coverage.Status.VERIFIED, None, None),
    ("alex", 0, Coverage.Status.VERIFIED, None, "jordan"),
    ("casey", 1, Coverage.Status.PENDING, None, None),
    ("riley", 2, Coverage.Status.DENIED, None, None),
    ("morgan", 2, Coverage.Status.VERIFIED, 21, None),
    ("taylor", 1, Coverage.Status.UNVERIFIED, None, None),
]
EFFECTIVE_BEFORE = datetime.timedelta(days=90)  # longer ago than every demo admission
# category -> covered?, copay, coinsurance %, needs prior authorization, visit limit
BENEFITS = {
    Benefit.Category.IOP: (True, "0", "20", True, None),
    Benefit.Category.THERAPY: (True, "30", "0", False, 52),
    Benefit.Category.MEDICAL: (True, "25", "0", False, None),
    Benefit.Category.MEDICATIONS: (True, "10", "0", False, None),
    Benefit.Category.STAY: (False, "0", "0", False, None),
    Benefit.Category.MEALS: (False, "0", "0", False, None),
    Benefit.Category.SOBER_ACTIVITIES: (False, "0", "0", False, None),
}


def seed() -> None:
    partners = {
        p.user.email.split("@")[0]: p
        for p in Partner.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}").select_related(
            "user"
        )
    }
    if not partners or Coverage.objects.filter(partner__in=partners.values()).exists():
        return  # no demo clinic, or seeded already
    staff = User.objects.get(email=f"admin@{DEMO_DOMAIN}")
    payers = [
        Payer.objects.get_or_create(name=name, defaults={"phone": phone, "payer_id": edi})[0]
        for name, phone, edi in PAYERS
    ]
    today = timezone.localdate()
    for number, (handle, payer, status, ends_in, subscriber) in enumerate(COVERAGES, start=1):
        if handle not in partners:
            continue
        coverage = _coverage(
            partners[handle],
            payers[payer],
            number,
            subscriber=partners.get(subscriber),
            terminates_on=today + datetime.timedelta(days=ends_in) if ends_in else None,
        )
        _benefits(coverage)
        _move_to(coverage, status, number, by=staff)
        if status == Coverage.Status.VERIFIED:
            _authorization(coverage, number, today)


def _coverage(partner, payer, number, *, subscriber, terminates_on) -> Coverage:
    holder = subscriber or partner
    coverage = Coverage(
        partner=partner,
        payer=payer,
        plan_type=Coverage.PlanType.POS if "POS" in payer.name else Coverage.PlanType.PPO,
        plan_name=f"{payer.name} Gold",
        member_id=f"DEMO{number:04}{'01' if subscriber else '00'}",
        group_number=f"GRP-{payer.pk:03}",
        subscriber_name=holder.user.get_full_name(),
        relationship=Coverage.Relationship.SPOUSE if subscriber else Coverage.Relationship.SELF,
        # The plan year that began before the couple's admission, even early in January.
        effective_on=datetime.date((timezone.localdate() - EFFECTIVE_BEFORE).year, 1, 1),
        terminates_on=terminates_on,
        deductible=Decimal("1500"),
        deductible_met=Decimal(250 * number),
        out_of_pocket_max=Decimal("6000"),
        out_of_pocket_met=Decimal(400 * number),
    )
    coverage.full_clean()
    coverage.save()
    return coverage


def _benefits(coverage: Coverage) -> None:
    Benefit.objects.bulk_create(
        Benefit(
            coverage=coverage,
            category=category,
            is_covered=covered,
            copay=Decimal(copay),
            coinsurance_percent=Decimal(coinsurance),
            needs_prior_authorization=prior,
            visit_limit=limit,
        )
        for category, (covered, copay, coinsurance, prior, limit) in BENEFITS.items()
    )


def _move_to(coverage: Coverage, status: str, number: int, *, by: User) -> None:
    if status == Coverage.Status.UNVERIFIED:
        return
    services.coverage_request_reverification(coverage=coverage, by=by, note="Intake: call payer")
    if status == Coverage.Status.VERIFIED:
        services.coverage_mark_verified(
            coverage=coverage,
            method=Coverage.Method.PHONE,
            reference_number=f"REF-{number:05}",
            by=by,
        )
    elif status == Coverage.Status.DENIED:
        services.coverage_mark_denied(
            coverage=coverage, reason="Member not eligible on the date of service", by=by
        )


def _authorization(coverage: Coverage, number: int, today: datetime.date) -> None:
    """Starts before the demo's past sessions (two weeks before this week's Monday), so some
    of its units are used."""
    ends_on = today + datetime.timedelta(days=30)
    if coverage.terminates_on:
        ends_on = min(ends_on, coverage.terminates_on)
    authorization = Authorization(
        coverage=coverage,
        number=f"AUTH-{number:04}",
        starts_on=today - datetime.timedelta(days=today.weekday() + 14),
        ends_on=ends_on,
        units_authorized=20,
    )
    authorization.full_clean()
    authorization.save()
