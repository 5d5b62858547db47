"""Coverage problems as a triage rule (triage.sweeps): a partner in treatment with no
coverage on file, coverage unverified or denied, ending within 30 days, or an authorization
80% used. Routine: mostly work for staff, but the care team plans around it."""

import datetime

from django.utils import timezone

from couples.queries import partners_in_treatment
from insurance.models import Coverage
from insurance.queries import coverage_flags_for_partners
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register


def coverage_problems(now: datetime.datetime):
    """Four queries for the clinic: the partners, their coverages with the current
    authorizations, the units used, and who has any coverage at all."""
    today = timezone.localdate(now)
    partners = list(
        partners_in_treatment()
        .select_related("user")
        .only("pk", "couple_id", "preferred_name", "user__first_name", "user__email")
        .order_by()
    )
    flags = coverage_flags_for_partners(partners=partners, today=today)
    with_coverage = set(
        Coverage.objects.filter(partner__in=partners).values_list("partner_id", flat=True)
    )
    for partner in partners:
        problems = flags.get(partner.pk, [])
        if partner.pk not in with_coverage:
            problems = [("none", f"No coverage on file for {partner.display_name}")]
        for problem, text in problems:
            yield Finding(
                couple_id=partner.couple_id,
                partner_id=partner.pk,
                source_ref=f"insurance.partner:{partner.pk}:{problem}",
                summary=text,
            )


rule_register(
    Rule(
        kind=TriageItem.Kind.COVERAGE,
        severity=TriageItem.Severity.ROUTINE,
        find=coverage_problems,
        ended="The coverage problem was resolved",
    )
)
