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
