"""A session note not finished within NOTE_SIGN_HOURS of the session's end raises a routine item
(triage.sweeps) in the queue of whoever must finish it, not the care team's (the item's
assignee):

- not signed (not started, or a draft): the author's, the session's clinician; it ends when
  they sign;
- signed but waiting for the supervisor's co-signature: the supervisor's, and the author's
  (whose note it still is); both end when it is co-signed.

Each item is about the note's subject: the partner of an individual note, the couple of a
couples note; a group note's is filed with its first participant's couple (an item belongs to
one couple), and its summary names the group rather than that couple. The clinician home's
"Notes to write" and "Notes to co-sign" list the same notes from the first hour."""

import datetime
from itertools import groupby

from django.conf import settings

from common.zones import zone_named
from couples.models import Couple
from goals.words import day_label
from notes.models import INDIVIDUAL_KINDS, NOTE_KINDS, Note
from sessions.models import Attendance, SessionKind, TherapySession
from triage.models import TriageItem
from triage.sweeps import Finding, Rule, rule_register

# Sessions older than this are not chased (notes began with this feature, not before it).
LOOKBACK_DAYS = 30
ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)


def _name(user) -> str:
    return user.get_full_name() or user.email


def _session_words(session: TherapySession, places: list[Attendance]) -> str:
    """'Couples therapy with Jordan & Alex on Dec 3' ('Group of 6 on Dec 3'), in the session's
    own zone."""
    moment = session.starts_at.astimezone(zone_named(session.time_zone))
    day = day_label(moment)
    if session.kind == SessionKind.GROUP:
        return f"Group of {len(places)} on {day}"
    names = " & ".join(place.partner.display_name for place in places)
    return f"{session.get_kind_display()} with {names} on {day}"


def notes_overdue(now: datetime.datetime):
    """Attended sessions whose note is unsigned, or waits for its co-signature, NOTE_SIGN_HOURS
    after they ended: one finding for each clinician who must act. One query: the attended
    places of those sessions with their partners, clinician and note's co-signer."""
    due_before = now - datetime.timedelta(hours=settings.NOTE_SIGN_HOURS)
    unfinished = (
        TherapySession.objects.filter(
            status=TherapySession.Status.COMPLETED,
            kind__in=sorted(NOTE_KINDS),
            ends_at__lte=due_before,
            ends_at__gt=now - datetime.timedelta(days=LOOKBACK_DAYS),
        )
        .exclude(note__status=Note.Status.SIGNED)
        .values("pk")
    )
    places = (
        Attendance.objects.filter(
            status__in=ATTENDED,
            session__in=unfinished,
            partner__couple__status__in=Couple.IN_TREATMENT,
        )
        .select_related(
            "partner__user", "session__clinician__user", "session__note__cosigner__user"
        )
        .order_by("session_id", "partner_id")
    )
    for _, rows in groupby(places, key=lambda place: place.session_id):
        rows = list(rows)
        yield from _findings(rows[0].session, rows)


def _findings(session: TherapySession, places: list[Attendance]):
    first = places[0].partner
    about = {
        "couple_id": first.couple_id,
        "partner_id": first.pk if session.kind in INDIVIDUAL_KINDS else None,
    }
    ref = f"notes.session:{session.pk}"
    what = _session_words(session, places)
    author = session.clinician.user
    note = getattr(session, "note", None)
    if note is None or note.status == Note.Status.DRAFT:
        yield Finding(
            **about, source_ref=ref, summary=f"Note not signed: {what}", assignee_id=author.pk
        )
        return
    supervisor = note.cosigner.user
    yield Finding(
        **about,
        source_ref=f"{ref}:cosign",
        summary=f"Note to co-sign: {what}, by {_name(author)}",
        assignee_id=supervisor.pk,
    )
    yield Finding(
        **about,
        source_ref=f"{ref}:awaiting",
        summary=f"Note not co-signed yet by {_name(supervisor)}: {what}",
        assignee_id=author.pk,
    )


rule_register(
    Rule(
        kind=TriageItem.Kind.NOTE_OVERDUE,
        severity=TriageItem.Severity.ROUTINE,
        find=notes_overdue,
        ended="Note signed",
    )
)
