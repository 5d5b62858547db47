"""Insurance: payers, each partner's coverage, its benefits, authorizations and history."""

import datetime

from bench.scale.clinic import Clinic, CoupleRow, pick
from insurance.models import Benefit, Coverage

PAYERS = [
    ("Blue Cross Blue Shield PPO", Coverage.PlanType.PPO, "BCBS1"),
    ("Aetna Choice POS II", Coverage.PlanType.POS, "60054"),
    ("UnitedHealthcare Options PPO", Coverage.PlanType.PPO, "87726"),
    ("Cigna Open Access Plus", Coverage.PlanType.OTHER, "62308"),
    ("Humana Gold HMO", Coverage.PlanType.HMO, "61101"),
    ("Kaiser Permanente HMO", Coverage.PlanType.HMO, "94134"),
    ("Anthem Blue Cross EPO", Coverage.PlanType.EPO, "47198"),
    ("Oscar Health EPO", Coverage.PlanType.EPO, "OSCAR"),
]
COVERAGE_STATUSES = {
    Coverage.Status.VERIFIED: 55,
    Coverage.Status.PENDING: 15,
    Coverage.Status.UNVERIFIED: 12,
    Coverage.Status.DENIED: 8,
    Coverage.Status.EXPIRED: 10,
}
# category -> covered?, copays to pick from, coinsurance %, needs prior authorization, visit limit
BENEFITS = {
    Benefit.Category.IOP: (True, (0,), (10, 20, 30), True, None),
    Benefit.Category.THERAPY: (True, (20, 30, 40), (0,), False, 52),
    Benefit.Category.MEDICAL: (True, (15, 25, 35), (0,), False, None),
    Benefit.Category.MEDICATIONS: (True, (5, 10, 20), (0,), False, None),
    Benefit.Category.STAY: (False, (0,), (0,), False, None),
    Benefit.Category.MEALS: (False, (0,), (0,), False, None),
    Benefit.Category.SOBER_ACTIVITIES: (False, (0,), (0,), False, None),
}


def coverage_plans(clinic: Clinic, payers: list[tuple[int, str, str]]):
    """Coverage fields for every partner: (couple, fields); payers are (pk, name, plan type)."""
    rng = clinic.rng
    staff = clinic.staff_user_pks
    this_year = datetime.date(clinic.today.year, 1, 1)
    for couple in clinic.couples:
        on_one_plan = rng.random() < 0.3  # the second partner is a dependent on the first's plan
        payer, payer_name, plan_type = rng.choice(payers)
        for index, (partner, name) in enumerate(zip(couple.partners, couple.names, strict=True)):
            dependent = on_one_plan and index == 1
            if not on_one_plan:
                payer, payer_name, plan_type = rng.choice(payers)
            status = pick(rng, COVERAGE_STATUSES)
            if couple.admitted_on is None and status == Coverage.Status.EXPIRED:
                status = Coverage.Status.PENDING  # at intake nobody has checked it yet
            effective_on, terminates_on = this_year, None
            if status == Coverage.Status.EXPIRED:
                effective_on = datetime.date(clinic.today.year - 1, 1, 1)
                terminates_on = clinic.today - datetime.timedelta(days=rng.randint(1, 60))
            elif rng.random() < 0.06:  # ends within the month: the queue's warning
                terminates_on = clinic.today + datetime.timedelta(days=rng.randint(1, 30))
            deductible = rng.choice((500, 1000, 1500, 2500, 3000))
            out_of_pocket = rng.choice((3000, 4500, 6000, 8000))
            fields = {
                "partner_id": partner,
                "payer_id": payer,
                "plan_type": plan_type,
                "plan_name": f"{payer_name} {rng.choice(('Gold', 'Silver', 'Bronze'))}",
                "member_id": f"SC{partner:08}{'01' if dependent else '00'}",
                "group_number": f"GRP-{payer:03}-{couple.pk % 97:02}",
                "subscriber_name": couple.names[0] if dependent else name,
                "relationship": rng.choice(("spouse", "spouse", "domestic_partner"))
                if dependent
                else "self",
                "effective_on": effective_on,
                "terminates_on": terminates_on,
                "deductible": deductible,
                "deductible_met": round(deductible * rng.random()),
                "out_of_pocket_max": out_of_pocket,
                "out_of_pocket_met": round(out_of_pocket * rng.random() * 0.5),
                "status": status,
            }
            if status in (Coverage.Status.VERIFIED, Coverage.Status.EXPIRED):
                verified_at = clinic.now - datetime.timedelta(days=rng.randint(1, 120))
                fields |= {
                    "verified_by_id": rng.choice(staff),
                    "verified_at": verified_at,
                    "verification_method": rng.choice(Coverage.Method.values),
                    "reference_number": f"REF-{partner:07}",
                    "reverify_on": verified_at.date() + datetime.timedelta(days=90),
                }
            elif status == Coverage.Status.PENDING:
                fields["reverify_on"] = clinic.today
            yield couple, fields


def coverage_side_rows(clinic: Clinic, coverage_pk: int, couple: CoupleRow, fields: dict):
    """Benefits, authorizations and status history of one coverage, as (kind, fields)."""
    rng = clinic.rng
    for category, (covered, copays, coinsurance, prior, limit) in BENEFITS.items():
        yield (
            "benefit",
            {
                "coverage_id": coverage_pk,
                "category": category,
                "is_covered": covered,
                "copay": rng.choice(copays),
                "coinsurance_percent": rng.choice(coinsurance),
                "needs_prior_authorization": prior,
                "visit_limit": limit,
            },
        )
    status, by = fields["status"], rng.choice(clinic.staff_user_pks)
    path = {
        Coverage.Status.PENDING: ["unverified", "pending"],
        Coverage.Status.VERIFIED: ["unverified", "pending", "verified"],
        Coverage.Status.DENIED: ["unverified", "pending", "denied"],
        Coverage.Status.EXPIRED: ["unverified", "pending", "verified", "expired"],
    }.get(status, [])
    for before, after in zip(path, path[1:], strict=False):
        yield (
            "status_change",
            {
                "coverage_id": coverage_pk,
                "from_status": before,
                "to_status": after,
                "by_id": None if after == "expired" else by,  # expiry is the hourly task's
                "note": "Plan ended" if after == "expired" else "",
            },
        )
    if status in (Coverage.Status.VERIFIED, Coverage.Status.EXPIRED) and couple.admitted_on:
        starts_on = max(couple.admitted_on, fields["effective_on"])
        for number in range(1, rng.choice((1, 2, 2, 3)) + 1):
            ends_on = starts_on + datetime.timedelta(days=rng.choice((30, 60, 90)) - 1)
            if fields["terminates_on"]:
                ends_on = max(starts_on, min(ends_on, fields["terminates_on"]))
            yield (
                "authorization",
                {
                    "coverage_id": coverage_pk,
                    "number": f"AUTH-{coverage_pk:06}-{number}",
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "units_authorized": rng.choice((12, 16, 20, 30)),
                },
            )
            starts_on = ends_on + datetime.timedelta(days=1)
            if starts_on > min(clinic.today, fields["terminates_on"] or clinic.today):
                break
