"""A session note not signed within NOTE_SIGN_HOURS of the session's end raises a routine item
(triage.sweeps); it ends when the note is signed (or waits for the supervisor's co-signature).

Items are about the session's partner (an individual note), the couple (a couples note) or each
participant (a group note), so they reach the clinicians whose roles cover them, the author
among them when they are on the care team; the clinician home's "Notes to write" is the
author's own list."""

import datetime

from django.conf import settings

from couples.models import Couple
from notes.queries import sessions_without_signed_note
from sessions.models import Attendance, SessionKind
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register

# Sessions older than this are not chased (notes began with this feature, not before it).
LOOKBACK_DAYS = 30
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)


def notes_overdue(now: datetime.datetime):
    """Attended sessions whose note is unsigned NOTE_SIGN_HOURS after they ended. One query."""
    due_before = now - datetime.timedelta(hours=settings.NOTE_SIGN_HOURS)
    places = (
        Attendance.objects.filter(
            status__in=ATTENDED,
            session__in=sessions_without_signed_note().filter(
                ends_at__lte=due_before,
                ends_at__gt=now - datetime.timedelta(days=LOOKBACK_DAYS),
            ),
            partner__couple__status__in=Couple.IN_TREATMENT,
        )
        .select_related("session__clinician__user")
        .only(
            "partner_id",
            "partner__couple_id",
            "session__kind",
            "session__starts_at",
            "session__clinician__user__first_name",
            "session__clinician__user__last_name",
            "session__clinician__user__email",
        )
        .order_by()
    )
    for place in places:
        session = place.session
        is_couples = session.kind == SessionKind.COUPLES_THERAPY
        ref = f"notes.session:{session.pk}"
        if session.kind == SessionKind.GROUP:
            ref = f"{ref}:{place.partner_id}"
        author = session.clinician.user
        yield Finding(
            couple_id=place.partner.couple_id,
            partner_id=None if is_couples else place.partner_id,
            source_ref=ref,
            summary=f"Note not signed: {session.get_kind_display()} on "
            f"{session.starts_at:%b} {session.starts_at.day}, "
            f"by {author.get_full_name() or author.email}",
        )


rule_register(
    Rule(
        kind=TriageItem.Kind.NOTE_OVERDUE,
        severity=TriageItem.Severity.ROUTINE,
        find=notes_overdue,
        ended="Note signed",
    )
)
