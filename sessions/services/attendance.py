"""Attendance: the clinician marks who came, a partner answers a reminder."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from sessions import announcements
from sessions.models import Attendance, TherapySession
from sessions.permissions import response_closed_reason


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
    the last one. It changes nothing else: the clinician decides what to do, told of a request
    to move or cancel at once (once per session, partner and request)."""
    if response not in Attendance.Response.values:
        raise ValidationError({"response": "Choose whether you will be there."})
    # Lock the session: a cancellation or a move at the same moment is decided first.
    session = (
        TherapySession.objects.select_for_update(of=("self",))
        .select_related("clinician")
        .get(pk=session.pk)
    )
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
    announcements.session_request_announce(
        attendance=attendance, session=session, now=attendance.responded_at
    )
    return attendance
