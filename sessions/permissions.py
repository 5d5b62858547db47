import datetime

from django.core.exceptions import PermissionDenied

from couples.models import User
from sessions.models import TherapySession


def can_change_session(*, user: User, session: TherapySession) -> bool:
    """Only the clinician who runs a session marks, cancels or moves it; the rest of the
    couple's care team may read it."""
    return session.clinician.user_id == user.pk


def session_change_check(*, user: User, session: TherapySession) -> None:
    if not can_change_session(user=user, session=session):
        raise PermissionDenied


def response_closed_reason(*, session: TherapySession, now: datetime.datetime) -> str:
    """Why a partner can no longer answer a reminder of this session, "" while they can:
    only a scheduled session that has not started takes an answer."""
    if session.status != TherapySession.Status.SCHEDULED:
        return f"This session is {session.get_status_display().lower()}"
    if session.starts_at <= now:
        return "This session has already started"
    return ""
