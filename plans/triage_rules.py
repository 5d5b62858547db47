"""A treatment plan whose review is due, as a triage rule (triage.sweeps): payers'
utilization review asks for the plan to be reviewed every 30 days (PLAN_REVIEW_DAYS).

The item is routine. A partner's plan's item is about that partner, so the queue shows it to
the clinicians whose role covers them (the responsible clinician among them); the couple
plan's item is about the couple (the whole care team). Signing the review's new version ends
it (its own review falls due later)."""

import datetime

from django.db.models import Max
from django.utils import timezone

from common.dates import long_date
from common.zones import zone_named
from couples.models import Couple
from plans.models import PlanVersion
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register


def reviews_due(now: datetime.datetime):
    """Each plan of a couple in treatment whose latest signed version's review day has come
    (in the couple's zone). Two queries."""
    latest = (
        PlanVersion.objects.filter(
            signed_at__isnull=False, plan__couple__status__in=Couple.IN_TREATMENT
        )
        .values("plan_id")
        .annotate(number=Max("number"))
        .order_by()
    )
    wanted = {row["plan_id"]: row["number"] for row in latest}
    # The earliest zone on Earth has reached the day when any couple has: read a day ahead.
    horizon = timezone.localdate(now) + datetime.timedelta(days=1)
    due = PlanVersion.objects.filter(
        plan_id__in=list(wanted), review_due_on__lte=horizon
    ).select_related("plan__couple", "plan__partner__user")
    for version in due:
        plan = version.plan
        if wanted.get(plan.pk) != version.number:
            continue
        today = timezone.localtime(now, zone_named(plan.couple.time_zone)).date()
        if version.review_due_on > today:
            continue
        whose = f"{plan.partner.display_name}’s" if plan.partner_id else "The couple’s"
        yield Finding(
            couple_id=plan.couple_id,
            partner_id=plan.partner_id,
            source_ref=f"plans.planversion:{version.pk}:review",
            summary=f"{whose} treatment plan review is due ({long_date(version.review_due_on)})",
        )


rule_register(
    Rule(
        kind=TriageItem.Kind.PLAN_REVIEW,
        severity=TriageItem.Severity.ROUTINE,
        find=reviews_due,
        ended="The review was signed",
    )
)
