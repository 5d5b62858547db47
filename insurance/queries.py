"""Reads of insurance records. Units used come from attendance, never from a counter."""

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from insurance.models import Authorization
from sessions.models import Attendance

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
