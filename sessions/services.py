import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import CareAssignment, CareRole, Clinician, Couple, Partner, User
from sessions import notifications
from sessions.models import (
    MULTI_COUPLE_KINDS,
    Attendance,
    CalendarFeed,
    SessionKind,
    SessionSeries,
    TherapySession,
)
from sessions.permissions import response_closed_reason

# Which care-team role a one-partner kind needs from its clinician.
PARTNER_KIND_ROLE = {
    SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
    SessionKind.COUNSELING: CareRole.COUNSELOR,
    SessionKind.MEDICAL_VISIT: CareRole.MEDICAL_PROVIDER,
}
MIN_MINUTES, MAX_MINUTES = 15, 240


def _local(moment: datetime.datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %b} {local.day} {local:%H:%M}"


def participants_for(
    *,
    kind: str,
    clinician: Clinician,
    couple: Couple | None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
) -> list[Partner]:
    """Who takes part, by the kind's rule; raises ValidationError naming what is wrong.

    Couples therapy: both partners with their couples therapist. Individual therapy,
    counseling and a medical visit: one partner with their own therapist, counselor or
    medical provider (a care-team role). Group and sober activity: partners of several
    couples with any clinician.
    """
    if kind in MULTI_COUPLE_KINDS:
        if couple is not None:
            raise ValidationError("A group or sober activity is not tied to one couple.")
        if not partners:
            raise ValidationError("Choose who takes part.")
        return list(partners)
    if couple is None:
        raise ValidationError("Choose the couple.")
    if kind == SessionKind.COUPLES_THERAPY:
        if not _holds(clinician, couple=couple, partner=None, role=CareRole.COUPLES_THERAPIST):
            raise ValidationError(f"{clinician} is not this couple's couples therapist.")
        return list(couple.partners.all())
    if partner is None or partner.couple_id != couple.pk:
        raise ValidationError("Choose one partner of this couple.")
    role = PARTNER_KIND_ROLE[kind]
    if not _holds(clinician, couple=couple, partner=partner, role=role):
        raise ValidationError(
            f"{clinician} is not {partner.display_name}'s {CareRole(role).label.lower()}."
        )
    return [partner]


def _holds(clinician: Clinician, *, couple: Couple, partner: Partner | None, role: str) -> bool:
    return CareAssignment.objects.filter(
        clinician=clinician, couple=couple, partner=partner, role=role, ended_at__isnull=True
    ).exists()


def conflicts_for(
    *,
    clinician: Clinician,
    partners: list[Partner],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude_pks: list[int] | None = None,
) -> list[str]:
    """Messages naming each scheduled session that overlaps, for the clinician or a partner."""
    # A session that is under way may already be marked completed: only a cancelled one
    # frees its time.
    overlapping = (
        TherapySession.objects.exclude(status=TherapySession.Status.CANCELLED)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .filter(Q(clinician=clinician) | Q(attendances__partner__in=partners))
        .exclude(pk__in=exclude_pks or [])
        .select_related("clinician__user")
        .prefetch_related("attendances__partner__user")
        .distinct()
    )
    messages = []
    for other in overlapping:
        who = [str(clinician)] if other.clinician_id == clinician.pk else []
        booked = {a.partner_id for a in other.attendances.all()}
        who += [p.display_name for p in partners if p.pk in booked]
        messages.append(
            f"{' and '.join(who)} already {'has' if len(who) == 1 else 'have'} "
            f"{other.get_kind_display().lower()} on {_local(other.starts_at, other.time_zone)}–"
            f"{other.ends_at.astimezone(ZoneInfo(other.time_zone)):%H:%M %Z}."
        )
    return messages


def _check_duration(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationError(
            {"duration_minutes": f"A session lasts {MIN_MINUTES} to {MAX_MINUTES} minutes."}
        )


def _lock(clinician: Clinician, partners: list[Partner]) -> None:
    # Lock the people being booked, so two schedulers cannot double-book them at once.
    Clinician.objects.select_for_update().filter(pk=clinician.pk).first()
    list(Partner.objects.select_for_update().filter(pk__in=[p.pk for p in partners]))


def _create(
    *,
    kind: str,
    clinician: Clinician,
    couple: Couple | None,
    partners: list[Partner],
    starts_at: datetime.datetime,
    duration_minutes: int,
    time_zone: str,
    by: User,
    series: SessionSeries | None = None,
    request: HttpRequest | None = None,
) -> TherapySession:
    session = TherapySession(
        kind=kind,
        clinician=clinician,
        couple=couple,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=duration_minutes),
        time_zone=time_zone,
        series=series,
        created_by=by,
    )
    session.full_clean()
    session.save()
    Attendance.objects.bulk_create(Attendance(session=session, partner=p) for p in partners)
    audit_record(
        actor=by,
        action=AuditEvent.Action.CREATE,
        target=session,
        request=request,
        detail={"participants": [p.pk for p in partners]},
    )
    return session


@transaction.atomic
def session_schedule(
    *,
    kind: str,
    clinician: Clinician,
    starts_at: datetime.datetime,
    duration_minutes: int,
    by: User,
    couple: Couple | None = None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
    request: HttpRequest | None = None,
) -> TherapySession:
    """Schedule one session; refuses a double booking, naming the clashing session."""
    if timezone.is_naive(starts_at):
        raise ValueError("starts_at must be time-zone aware")
    _check_duration(duration_minutes)
    people = participants_for(
        kind=kind, clinician=clinician, couple=couple, partner=partner, partners=partners
    )
    _lock(clinician, people)
    ends_at = starts_at + datetime.timedelta(minutes=duration_minutes)
    clashes = conflicts_for(
        clinician=clinician, partners=people, starts_at=starts_at, ends_at=ends_at
    )
    if clashes:
        raise ValidationError(clashes)
    zone = couple.time_zone if couple else str(timezone.get_default_timezone())
    return _create(
        kind=kind,
        clinician=clinician,
        couple=couple,
        partners=people,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        time_zone=zone,
        by=by,
        request=request,
    )


def series_occurrences(
    *,
    weekdays: list[int],
    start_time: datetime.time,
    time_zone: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
) -> list[datetime.datetime]:
    """Every start in the date range at the same wall-clock time, as UTC datetimes.

    Built from local dates and times, so 18:00 stays 18:00 when daylight saving begins
    or ends (the UTC time moves instead).
    """
    zone = ZoneInfo(time_zone)
    starts = []
    day = starts_on
    while day <= ends_on:
        if day.weekday() in weekdays:
            local = datetime.datetime.combine(day, start_time, tzinfo=zone)
            starts.append(local.astimezone(datetime.UTC))
        day += datetime.timedelta(days=1)
    return starts


@transaction.atomic
def series_schedule(
    *,
    kind: str,
    clinician: Clinician,
    weekdays: list[int],
    start_time: datetime.time,
    duration_minutes: int,
    starts_on: datetime.date,
    ends_on: datetime.date,
    by: User,
    couple: Couple | None = None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
    time_zone: str | None = None,
    request: HttpRequest | None = None,
) -> SessionSeries:
    """Schedule a weekly series; refuses the whole series if any occurrence clashes."""
    _check_duration(duration_minutes)
    if not weekdays or not set(weekdays) <= set(range(7)):
        raise ValidationError({"weekdays": "Choose at least one day of the week."})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": "A series cannot end before it starts."})
    if (ends_on - starts_on).days > 366:
        raise ValidationError({"ends_on": "Schedule at most a year at a time."})
    people = participants_for(
        kind=kind, clinician=clinician, couple=couple, partner=partner, partners=partners
    )
    zone = time_zone or (couple.time_zone if couple else str(timezone.get_default_timezone()))
    starts = series_occurrences(
        weekdays=weekdays,
        start_time=start_time,
        time_zone=zone,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    if not starts:
        raise ValidationError("None of the chosen days falls between the two dates.")
    _lock(clinician, people)
    length = datetime.timedelta(minutes=duration_minutes)
    clashes = [
        clash
        for start in starts
        for clash in conflicts_for(
            clinician=clinician, partners=people, starts_at=start, ends_at=start + length
        )
    ]
    if clashes:
        raise ValidationError(
            clashes[:5] + ([f"…and {len(clashes) - 5} more."] if len(clashes) > 5 else [])
        )
    series = SessionSeries(
        kind=kind,
        clinician=clinician,
        couple=couple,
        weekdays=sorted(set(weekdays)),
        start_time=start_time,
        duration_minutes=duration_minutes,
        time_zone=zone,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    series.full_clean()
    series.save()
    for start in starts:
        _create(
            kind=kind,
            clinician=clinician,
            couple=couple,
            partners=people,
            starts_at=start,
            duration_minutes=duration_minutes,
            time_zone=zone,
            by=by,
            series=series,
            request=request,
        )
    return series


def _affected(session: TherapySession, scope: str) -> list[TherapySession]:
    """The session alone, or it and the rest of its series still to come."""
    if scope == "one" or session.series_id is None:
        return [session]
    if scope != "rest":
        raise ValidationError("Choose this session only or the rest of the series.")
    return list(
        TherapySession.objects.select_for_update()
        .filter(
            series_id=session.series_id,
            starts_at__gte=session.starts_at,
            status=TherapySession.Status.SCHEDULED,
        )
        .order_by("starts_at")
    )


@transaction.atomic
def session_cancel(
    *,
    session: TherapySession,
    reason: str,
    by: User,
    scope: str = "one",
    request: HttpRequest | None = None,
) -> list[TherapySession]:
    """Cancel with a reason; the rows stay (with their reason) for the record."""
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason: the participants will see it."})
    if session.status != TherapySession.Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be cancelled.")
    cancelled = _affected(session, scope)
    if scope == "rest" and session.series_id is not None:
        # The series ends before this session; earlier ones keep their record.
        series = SessionSeries.objects.select_for_update().get(pk=session.series_id)
        last_day = session.starts_at.astimezone(ZoneInfo(series.time_zone)).date()
        series.ends_on = max(series.starts_on, last_day - datetime.timedelta(days=1))
        series.save(update_fields=["ends_on"])
    for one in cancelled:
        one.status = TherapySession.Status.CANCELLED
        one.change_reason = reason.strip()
        one.save(update_fields=["status", "change_reason", "updated_at"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=one,
            request=request,
            detail={"cancelled": reason.strip()},
        )
    notifications.session_changes_notify(
        sessions=cancelled, kind=notifications.CANCELLED, by=by, now=timezone.now()
    )
    return cancelled


@transaction.atomic
def session_reschedule(
    *,
    session: TherapySession,
    starts_at: datetime.datetime,
    reason: str,
    by: User,
    scope: str = "one",
    request: HttpRequest | None = None,
) -> list[TherapySession]:
    """Move a session (or the rest of its series, keeping each one's new wall-clock time)."""
    if not reason.strip():
        raise ValidationError({"reason": "Give a reason: the participants will see it."})
    if session.status != TherapySession.Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be moved.")
    zone = ZoneInfo(session.time_zone)
    old_local = session.starts_at.astimezone(zone)
    new_local = starts_at.astimezone(zone)
    shift_days = (new_local.date() - old_local.date()).days
    moved = _affected(session, scope)
    people = list(Partner.objects.filter(attendances__session=session))
    _lock(session.clinician, people)
    plans = []
    for one in moved:
        day = one.starts_at.astimezone(zone).date() + datetime.timedelta(days=shift_days)
        start = datetime.datetime.combine(day, new_local.time(), tzinfo=zone).astimezone(
            datetime.UTC
        )
        plans.append((one, start, start + one.duration))
    clashes = [
        clash
        for one, start, end in plans
        for clash in conflicts_for(
            clinician=one.clinician,
            partners=people,
            starts_at=start,
            ends_at=end,
            exclude_pks=[m.pk for m in moved],
        )
    ]
    if clashes:
        raise ValidationError(clashes[:5])
    if scope == "rest" and session.series_id is not None:
        # The series now describes its new schedule, so pages show what will happen.
        series = SessionSeries.objects.select_for_update().get(pk=session.series_id)
        series.start_time = new_local.time().replace(tzinfo=None)
        series.weekdays = sorted({(day + shift_days) % 7 for day in series.weekdays})
        series.save(update_fields=["start_time", "weekdays"])
    for one, start, end in plans:
        one.starts_at, one.ends_at, one.change_reason = start, end, reason.strip()
        one.full_clean()
        one.save(update_fields=["starts_at", "ends_at", "change_reason", "updated_at"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=one,
            request=request,
            detail={"moved_to": start.isoformat()},
        )
    notifications.session_changes_notify(
        sessions=moved, kind=notifications.MOVED, by=by, now=timezone.now()
    )
    return moved


@transaction.atomic
def attendance_mark(
    *,
    session: TherapySession,
    marks: dict[int, tuple[str, int]],
    by: User,
    request: HttpRequest | None = None,
) -> TherapySession:
    """Mark every participant (partner id -> (status, minutes)); nobody there = no-show."""
    if session.status == TherapySession.Status.CANCELLED:
        raise ValidationError("A cancelled session has no attendance.")
    if session.starts_at > timezone.now():
        raise ValidationError("Attendance is marked once the session has started.")
    attendances = {a.partner_id: a for a in session.attendances.select_for_update()}
    if set(marks) != set(attendances):
        raise ValidationError("Mark every participant, and only them.")
    longest = int(session.duration.total_seconds() // 60)
    now = timezone.now()
    for partner_id, (status, minutes) in marks.items():
        attendance = attendances[partner_id]
        if status not in Attendance.Status.values:
            raise ValidationError("Choose present, late, absent or excused.")
        there = status in (Attendance.Status.PRESENT, Attendance.Status.LATE)
        if there and not 1 <= minutes <= longest:
            raise ValidationError(f"Minutes attended are between 1 and {longest} for this session.")
        attendance.status = status
        attendance.minutes_attended = minutes if there else 0
        attendance.marked_at, attendance.marked_by = now, by
        attendance.full_clean()
        attendance.save()
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=attendance,
            patient=attendance.partner,
            request=request,
            detail={"status": status, "minutes": attendance.minutes_attended},
        )
    anyone_there = any(s in ("present", "late") for s, _ in marks.values())
    session.status = (
        TherapySession.Status.COMPLETED if anyone_there else TherapySession.Status.NO_SHOW
    )
    session.save(update_fields=["status", "updated_at"])
    return session


@transaction.atomic
def attendance_respond(
    *,
    session: TherapySession,
    partner: Partner,
    response: str,
    note: str,
    request: HttpRequest | None = None,
) -> Attendance:
    """Record a partner's answer to a reminder (will be there, or asks to cancel or move it)
    for the clinician to see. Only before a scheduled session starts; a new answer replaces
    the last one. It changes nothing else: the clinician decides what to do."""
    if response not in Attendance.Response.values:
        raise ValidationError({"response": "Choose whether you will be there."})
    # Lock the session: a cancellation or a move at the same moment is decided first.
    session = TherapySession.objects.select_for_update().get(pk=session.pk)
    closed = response_closed_reason(session=session, now=timezone.now())
    if closed:
        raise ValidationError(f"{closed}: it takes no answer now.")
    attendance = Attendance.objects.filter(session=session, partner=partner).first()
    if attendance is None:
        raise ValidationError("You do not take part in this session.")
    attendance.response = response
    attendance.response_note = note.strip()
    attendance.responded_at = timezone.now()
    attendance.full_clean()
    attendance.save(update_fields=["response", "response_note", "responded_at"])
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.UPDATE,
        target=attendance,
        patient=partner,
        request=request,
        detail={"response": response},
    )
    return attendance


@transaction.atomic
def calendar_feed_create(*, user: User, request: HttpRequest | None = None) -> CalendarFeed:
    """A new private feed address; the old one stops working at once."""
    # Lock the person: two quick "create" clicks must not both insert an open feed.
    User.objects.select_for_update().filter(pk=user.pk).first()
    for feed in CalendarFeed.objects.filter(user=user, revoked_at__isnull=True):
        calendar_feed_revoke(feed=feed, request=request)
    feed = CalendarFeed.objects.create(user=user)
    audit_record(actor=user, action=AuditEvent.Action.CREATE, target=feed, request=request)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, request: HttpRequest | None = None) -> CalendarFeed:
    if feed.revoked_at is None:
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(
            actor=feed.user,
            action=AuditEvent.Action.UPDATE,
            target=feed,
            request=request,
            detail={"revoked": True},
        )
    return feed
