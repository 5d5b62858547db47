"""Moving or cancelling a session, or the rest of its series, with the participants told.

Each change raises the session's `sequence`, the calendar event's revision: the file attached
to the notice (a PUBLISH of the new time, or a CANCEL) then replaces the event in a calendar."""

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from sessions import announcements
from sessions.models import SessionSeries, TherapySession
from sessions.services.checks import _lock, conflicts_for
from sessions.services.scheduling import session_start_check


def _lock_fresh(session: TherapySession) -> None:
    """Lock the session's row and read it again: a second change at the same moment waits, then
    sees this one (its status, its time, the calendar event's sequence)."""
    session.refresh_from_db(from_queryset=TherapySession.objects.select_for_update())


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
    _lock_fresh(session)
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
        one.sequence += 1
        one.save(update_fields=["status", "change_reason", "sequence", "updated_at"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=one,
            request=request,
            detail={"cancelled": reason.strip()},
        )
    announcements.session_changes_notify(
        sessions=cancelled, kind=announcements.CANCELLED, by=by, now=timezone.now()
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
    _lock_fresh(session)
    if session.status != TherapySession.Status.SCHEDULED:
        raise ValidationError("Only a scheduled session can be moved.")
    session_start_check(starts_at=starts_at, time_zone=session.time_zone)
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
        one.sequence += 1
        one.full_clean()
        one.save(update_fields=["starts_at", "ends_at", "change_reason", "sequence", "updated_at"])
        audit_record(
            actor=by,
            action=AuditEvent.Action.UPDATE,
            target=one,
            request=request,
            detail={"moved_to": start.isoformat()},
        )
    announcements.session_changes_notify(
        sessions=moved, kind=announcements.MOVED, by=by, now=timezone.now()
    )
    return moved
