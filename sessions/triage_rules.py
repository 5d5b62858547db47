"""What the schedule says that the care team should act on, as triage rules
(triage.sweeps): a partner's request to move or cancel a session, a partner on course to
miss the week's IOP hours (said from Thursday, when there is still time to book), and a
couple with no session booked in the next seven days."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.utils import timezone

from common.moments import clock_text
from common.zones import zone_named
from couples.models import Couple
from couples.queries import partners_in_treatment
from sessions.models import Attendance, TherapySession
from sessions.queries import week_bounds
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register

THURSDAY = 3
AHEAD_DAYS = 7
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)
NOT_COMING = (Attendance.Status.ABSENT, Attendance.Status.EXCUSED)
REQUESTS = {
    Attendance.Response.CANCEL_REQUESTED: "cancel",
    Attendance.Response.RESCHEDULE_REQUESTED: "move",
}


def _partners_in_treatment():
    return (
        partners_in_treatment()
        .select_related("user", "couple")
        .only("pk", "preferred_name", "user__first_name", "user__email", "couple__time_zone")
        .order_by()
    )


def _when(moment: datetime.datetime, zone) -> str:
    local = timezone.localtime(moment, zone)
    return f"{local:%a %b} {local.day}, {clock_text(local)}"


def session_requests(now: datetime.datetime):
    """A partner asked to move or cancel a session still ahead. One query."""
    asked = (
        Attendance.objects.filter(
            response__in=list(REQUESTS),
            session__status=TherapySession.Status.SCHEDULED,
            session__ends_at__gt=now,
            partner__couple__status__in=Couple.IN_TREATMENT,
        )
        .select_related("session", "partner__user", "partner__couple")
        .order_by()
    )
    for attendance in asked:
        partner = attendance.partner
        zone = zone_named(partner.couple.time_zone)
        yield Finding(
            couple_id=partner.couple_id,
            partner_id=partner.pk,
            source_ref=f"sessions.attendance:{attendance.pk}:{attendance.response}",
            summary=f"{partner.display_name} asked to {REQUESTS[attendance.response]} the "
            f"session on {_when(attendance.session.starts_at, zone)}",
        )


def iop_hours_short(now: datetime.datetime):
    """From Thursday of the partner's week: hours attended plus hours still booked this
    week fall short of the weekly target. One query for the places of the week."""
    partners = {p.pk: p for p in _partners_in_treatment()}
    weeks = {}
    for partner in partners.values():
        zone = partner.couple.time_zone
        today = timezone.localtime(now, zone_named(zone)).date()
        if today.weekday() >= THURSDAY:
            weeks[partner.pk] = week_bounds(day=today, time_zone=zone)
    if not weeks:
        return
    target = settings.IOP_WEEKLY_HOURS_TARGET * 60
    places = Attendance.objects.filter(
        partner_id__in=list(weeks),
        session__starts_at__gte=min(start for start, _ in weeks.values()),
        session__starts_at__lt=max(end for _, end in weeks.values()),
    ).values_list(
        "partner_id",
        "status",
        "minutes_attended",
        "session__status",
        "session__starts_at",
        "session__ends_at",
    )
    attended, booked = defaultdict(int), defaultdict(int)
    for partner_id, status, minutes, session_status, starts_at, ends_at in places:
        start, end = weeks[partner_id]
        if not start <= starts_at < end:
            continue
        if status in ATTENDED:
            attended[partner_id] += minutes
        elif (
            session_status == TherapySession.Status.SCHEDULED
            and ends_at > now
            and status not in NOT_COMING
        ):
            booked[partner_id] += int((ends_at - max(starts_at, now)).total_seconds() // 60)
    for partner_id, (start, _) in weeks.items():
        projected = attended[partner_id] + booked[partner_id]
        if projected >= target:
            continue
        partner = partners[partner_id]
        yield Finding(
            couple_id=partner.couple_id,
            partner_id=partner_id,
            source_ref=f"sessions.iop_short:{partner_id}:{start.date().isoformat()}",
            summary=f"{partner.display_name} is on course for {projected / 60:.1f} of "
            f"{target // 60} IOP hours this week ({attended[partner_id] / 60:.1f} attended, "
            f"{booked[partner_id] / 60:.1f} booked)",
        )


def no_session_ahead(now: datetime.datetime):
    """A couple in treatment with no session booked in the next seven days (none of its
    partners takes part in one). Two queries."""
    booked = set(
        Attendance.objects.filter(
            session__status=TherapySession.Status.SCHEDULED,
            session__ends_at__gt=now,
            session__starts_at__lt=now + datetime.timedelta(days=AHEAD_DAYS),
        )
        .exclude(status__in=NOT_COMING)
        .values_list("partner__couple_id", flat=True)
        .distinct()
    )
    couples = (
        Couple.objects.filter(status__in=Couple.IN_TREATMENT).exclude(pk__in=booked).order_by()
    )
    for couple in couples.only("pk", "time_zone"):
        today = timezone.localtime(now, zone_named(couple.time_zone)).date()
        monday = today - datetime.timedelta(days=today.weekday())
        yield Finding(
            couple_id=couple.pk,
            partner_id=None,
            source_ref=f"sessions.no_session:{couple.pk}:{monday.isoformat()}",
            summary=f"No session booked in the next {AHEAD_DAYS} days",
        )


rule_register(
    Rule(
        kind=TriageItem.Kind.SESSION_REQUEST,
        severity=TriageItem.Severity.ROUTINE,
        find=session_requests,
        ended="The session was moved or cancelled, or the request withdrawn",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.IOP_SHORT,
        severity=TriageItem.Severity.ROUTINE,
        find=iop_hours_short,
        ended="Enough hours attended or booked, or the week ended",
    )
)
rule_register(
    Rule(
        kind=TriageItem.Kind.NO_SESSION,
        severity=TriageItem.Severity.ROUTINE,
        find=no_session_ahead,
        ended="A session was booked, or a new week's item took its place",
    )
)
