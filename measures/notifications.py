"""Measure prompts: a partner with a measure that falls due today hears of it once, at their
prompt time (their check-in prompt time), in the app and by email as they chose, never in
their quiet hours. The prompt never names the measure: "a short questionnaire".

The same read raises the care team's routine item for a measure left overdue
(MEASURE_OVERDUE, once per occurrence: its source names the partner, the measure and the day
it fell due; measures.services resolves it when the measure is filled).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from common.zones import zone_named
from couples.models import Couple, Notification, NotificationPreference, Partner
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    local_moment,
    next_midnight,
    object_pk,
    object_ref_of,
)
from couples.queries import partners_in_treatment
from measures.instruments import instrument_get
from measures.models import MeasureSchedule
from measures.queries import due_for_partner, due_for_partners
from measures.schedule import Due
from triage import services as triage_services
from triage.models import TriageItem

MEASURE_PROMPT = "measure_prompt"
DEFAULT_PROMPT_TIME = NotificationPreference._meta.get_field("checkin_prompt_time").default


def overdue_ref(*, partner_id: int, instrument: str, due_on: datetime.date) -> str:
    """The source of the overdue item of one occurrence (measures.services resolves it)."""
    return f"measures.due:{partner_id}:{instrument}:{due_on}"


def _zone(partner: Partner) -> ZoneInfo:
    preference = getattr(partner.user, "notification_preference", None)
    return zone_named(preference and preference.time_zone, partner.couple.time_zone)


def _prompt_time(partner: Partner) -> datetime.time:
    preference = getattr(partner.user, "notification_preference", None)
    return preference.checkin_prompt_time if preference else DEFAULT_PROMPT_TIME


def _partners_with_schedules() -> list[Partner]:
    """Partners in treatment with a current schedule, with their zone and prompt time. One
    query."""
    current = MeasureSchedule.objects.filter(partner=OuterRef("pk"), ended_at__isnull=True)
    return list(
        partners_in_treatment()
        .filter(Exists(current))
        .select_related("couple", "user__notification_preference")
        .order_by()
    )


def _due_by_partner(partners: list[Partner], now: datetime.datetime) -> Iterator[tuple]:
    """(partner, their today, zone, what is due) for each partner with something due. Each
    partner's today is in their zone, and the partners who share a today are read together:
    two queries per day, and zones put at most three days side by side."""
    by_day: dict[datetime.date, list[tuple[Partner, ZoneInfo]]] = defaultdict(list)
    for partner in partners:
        zone = _zone(partner)
        by_day[now.astimezone(zone).date()].append((partner, zone))
    for today, group in sorted(by_day.items()):
        due = due_for_partners(partner_ids=[partner.pk for partner, _ in group], today=today)
        for partner, zone in group:
            if due.get(partner.pk):
                yield partner, today, zone, due[partner.pk]


def _overdue_items_raise(overdue: list[tuple[Partner, Due]]) -> int:
    """A routine item for each overdue occurrence that has none yet (one query when every
    one has; an acknowledged or resolved one is not raised again)."""
    refs = {
        overdue_ref(partner_id=partner.pk, instrument=due.instrument, due_on=due.due_on): (
            partner,
            due,
        )
        for partner, due in overdue
    }
    if not refs:
        return 0
    existing = set(
        TriageItem.objects.filter(
            kind=TriageItem.Kind.MEASURE_OVERDUE, source_ref__in=list(refs)
        ).values_list("source_ref", flat=True)
    )
    raised = 0
    for ref in sorted(set(refs) - existing):
        partner, due = refs[ref]
        triage_services.item_raise(
            partner=partner,
            kind=TriageItem.Kind.MEASURE_OVERDUE,
            severity=TriageItem.Severity.ROUTINE,
            summary=f"{partner.display_name}'s {instrument_get(due.instrument).name} is "
            f"overdue (due {due.due_on:%a %b} {due.due_on.day})",
            source_ref=ref,
        )
        raised += 1
    return raised


def measure_prompts_plan(now: datetime.datetime) -> Iterator[Draft]:
    """1. Read the partners in treatment with a schedule (one query) and what each has due
       on their today (two queries per day, at most three days).
    2. Raise the overdue items not raised yet (one query, plus one write per new item).
    3. Yield a prompt for each partner with a measure that fell due today, once their prompt
       time has come. Its slot is the start of the due day: one prompt a day, however many
       measures and whatever the prompt time is moved to."""
    prompts, overdue = [], []
    for partner, today, zone, dues in _due_by_partner(_partners_with_schedules(), now):
        overdue += [(partner, due) for due in dues if due.overdue]
        if any(due.due_on == today for due in dues):
            prompts.append((partner, today, zone))
    _overdue_items_raise(overdue)
    for partner, today, zone in prompts:
        moment = local_moment(today, _prompt_time(partner), zone)
        if moment <= now:
            yield Draft(
                kind=MEASURE_PROMPT,
                recipient_id=partner.user_id,
                object_ref=object_ref_of(Partner, partner.pk),
                slot=local_moment(today, datetime.time(), zone),
                due_at=moment,
            )


def measure_prompt_check(notification: Notification, recipient: Recipient) -> str:
    """Three queries: the partner, their schedules, their responses."""
    partner = (
        Partner.objects.select_related("couple", "user")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )
    if partner is None or partner.user_id != recipient.user.pk:
        return "No longer a partner"
    if partner.couple.status not in Couple.IN_TREATMENT:
        return "The couple is not in treatment"
    day = recipient.local(notification.slot).date()
    if timezone.now() >= next_midnight(day, recipient.zone):
        return "The day is over"
    if not any(due.due_on == day for due in due_for_partner(partner=partner, today=day)):
        return "Filled already"
    return ""


def measure_prompt_message(notification: Notification, recipient: Recipient) -> Message:
    return Message(
        subject="A short questionnaire to fill",
        lines=["You have a short questionnaire to fill. It takes a few minutes."],
        link=reverse("measures:portal_list"),
        action="See what to fill",
    )


kind_register(
    Kind(
        name=MEASURE_PROMPT,
        label="Questionnaire prompt",
        message=measure_prompt_message,
        check=measure_prompt_check,
        plan=measure_prompts_plan,
        # A heavy read with no hurry: every five minutes of the clinic's clock.
        plan_every_minutes=5,
        expires=lambda notification, recipient: next_midnight(
            recipient.local(notification.slot).date(), recipient.zone
        ),
        expires_note="the day ended",
    )
)
