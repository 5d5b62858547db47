"""Session notes for the demo couples' attended sessions: signed notes for the past ones, and
the most recent session past NOTE_SIGN_HOURS left as an unsigned draft, so "Notes to write" and
the overdue triage item show at once. Safe to run twice: sessions with a note are left alone."""

import datetime

from django.conf import settings
from django.utils import timezone

from couples.management.commands.seed_demo import demo_couples
from notes import services
from notes.models import NOTE_KINDS, SECTIONS
from notes.queries import sessions_without_signed_note

WORDS = {
    "data": "Attended on video, on time; reviewed the week's check-ins and goals.",
    "subjective": "Reports a steadier week and one hard evening, handled with the plan.",
    "objective": "Engaged, oriented, calm; on video from home.",
    "behavior": "Engaged throughout; named one trigger from the week.",
    "intervention": "Reviewed coping skills and practised a refusal script.",
    "response": "Practised the script and chose when to use it this week.",
    "assessment": "Progressing toward the plan's goals; no new risk.",
    "plan": "Continue weekly; practise the skill before the next session.",
}


def seed() -> None:
    couples = list(demo_couples())
    if not couples:
        return
    now = timezone.now()
    due_before = now - datetime.timedelta(hours=settings.NOTE_SIGN_HOURS)
    sessions = list(
        sessions_without_signed_note()
        .filter(
            kind__in=sorted(NOTE_KINDS),
            note__isnull=True,
            ends_at__lte=now,
            attendances__partner__couple__in=couples,
        )
        .distinct()
        .select_related("clinician__user")
        .prefetch_related("attendances__partner__user")
        .order_by("ends_at", "pk")
    )
    overdue = [session for session in sessions if session.ends_at <= due_before]
    left_unsigned = overdue[-1] if overdue else None
    for session in sessions:
        if session.ends_at > due_before:
            continue  # recent: still to write, within the hours
        _write(session, sign=session != left_unsigned)


def _write(session, *, sign: bool) -> None:
    author, by = session.clinician, session.clinician.user
    note = services.note_start(session=session, author=author, by=by)
    note = services.note_save(
        note=note,
        sections={name: WORDS[name] for name in SECTIONS[note.format]},
        entries={
            entry.partner_id: "Took part and shared from their week."
            for entry in note.entries.all()
        },
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=False,
        place_of_service="10",
        by=by,
    )
    if sign:
        services.note_sign(note=note, by=by)
