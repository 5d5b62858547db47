"""Items raised by a state rather than an event: a partner silent for days, short of the
week's IOP hours, a couple with no session booked, a request waiting, a coverage problem.

Each app that knows such a state registers a `Rule` in its `<app>/triage_rules.py` (found by
name when the app registry is ready, so triage imports none of them). Every few minutes
`sweep()` asks each rule what is true now and brings the queue in line: a finding with no
item raises one; an open item of the rule's kind whose finding is gone ends by itself, with
the rule's reason ("Checked in again"). A finding's `source_ref` names the state it is about
(the partner and the day their silence began), so the same state never raises a second item,
even after someone acknowledged the first: an acknowledged item returns only when the state
is new.
"""

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from triage.models import TriageItem

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    couple_id: int
    partner_id: int | None  # None: about the couple (the whole care team sees it)
    source_ref: str
    summary: str
    # What the partner wrote about it (the latest hard day's note), shown with the item.
    detail: str = ""
    # The one clinician (user id) the item is for, instead of the care team (TriageItem.assignee).
    assignee_id: int | None = None


@dataclass(frozen=True)
class Rule:
    kind: str
    severity: int
    # What is true now; reads everyone it concerns in a fixed number of queries.
    find: Callable[[datetime.datetime], Iterable[Finding]]
    # Said on an item whose finding is gone.
    ended: str


RULES: dict[str, Rule] = {}


def rule_register(rule: Rule) -> Rule:
    RULES[rule.kind] = rule
    return rule


def sweep(*, now: datetime.datetime | None = None) -> dict[str, tuple[int, int]]:
    """Run every rule; kind -> (items raised, items ended). A rule that fails is logged and
    leaves its items as they were (a broken rule must not end every item of its kind)."""
    now = now or timezone.now()
    result = {}
    for rule in RULES.values():
        try:
            result[rule.kind] = rule_apply(rule=rule, findings=list(rule.find(now)), now=now)
        except Exception:
            logger.exception("Triage rule %s failed; its items are left as they were", rule.kind)
    return result


@transaction.atomic
def rule_apply(*, rule: Rule, findings: list[Finding], now: datetime.datetime) -> tuple[int, int]:
    """Raise the findings that have no item yet (in any state) and end the open items of the
    rule's kind that no finding names any more. Three statements."""
    refs = {finding.source_ref for finding in findings}
    known = set(
        TriageItem.objects.filter(kind=rule.kind, source_ref__in=refs).values_list(
            "source_ref", flat=True
        )
    )
    new = [
        TriageItem(
            kind=rule.kind,
            severity=rule.severity,
            couple_id=finding.couple_id,
            partner_id=finding.partner_id,
            summary=finding.summary[:200],
            detail=finding.detail[:1000],
            source_ref=finding.source_ref,
            assignee_id=finding.assignee_id,
            raised_at=now,
        )
        for finding in {f.source_ref: f for f in findings}.values()
        if finding.source_ref not in known
    ]
    TriageItem.objects.bulk_create(new, ignore_conflicts=True)
    ended = (
        TriageItem.objects.filter(
            kind=rule.kind, acknowledged_at__isnull=True, resolved_at__isnull=True
        )
        .exclude(source_ref__in=refs)
        .update(resolved_at=now, resolution=rule.ended[:200])
    )
    return len(new), ended
