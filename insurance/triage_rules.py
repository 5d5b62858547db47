"""Coverage problems as a triage rule (triage.sweeps): a partner in treatment with no
coverage on file, coverage unverified or denied, ending within 30 days, or an authorization
80% used. Routine: mostly work for staff, but the care team plans around it."""

import datetime
from collections import defaultdict

from django.utils import timezone

from couples.models import Couple, Partner
from insurance.models import Coverage
from insurance.queries import coverage_flags_for_partners
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register

IN_TREATMENT = (Couple.Status.ACTIVE, Couple.Status.STEP_DOWN)
# What a flag is about, from its wording (insurance.queries._coverage_flags): the item's
# source names the problem, not the day's wording ("ends in 12 days" changes daily).
PROBLEMS = (
    ("Coverage unverified", "unverified"),
    ("Coverage denied", "denied"),
    ("Coverage for", "ending"),
    ("Authorization", "authorization"),
)


def coverage_problems(now: datetime.datetime):
    """Four queries for the clinic: the partners, their coverages with the current
    authorizations, the units used, and who has any coverage at all."""
    today = timezone.localdate(now)
    partners = list(
        Partner.objects.filter(couple__status__in=IN_TREATMENT, user__is_active=True)
        .select_related("user")
        .only("pk", "couple_id", "preferred_name", "user__first_name", "user__email")
        .order_by()
    )
    flags = coverage_flags_for_partners(partners=partners, today=today)
    with_coverage = set(
        Coverage.objects.filter(partner__in=partners).values_list("partner_id", flat=True)
    )
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for partner in partners:
        if partner.pk not in with_coverage:
            found[partner.pk].append(("none", f"No coverage on file for {partner.display_name}"))
        for flag in flags.get(partner.pk, []):
            problem = next((key for prefix, key in PROBLEMS if flag.startswith(prefix)), "other")
            found[partner.pk].append((problem, flag))
    for partner in partners:
        for problem, text in found.get(partner.pk, []):
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
