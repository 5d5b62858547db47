import io

import time_machine
from django.core.management import call_command
from django.utils import timezone

from notes.models import Note
from notes.queries import note_due_at, sessions_without_signed_note


def test_the_demo_signs_past_notes_and_leaves_one_overdue(db):
    # A fixed moment: the demo's schedule rolls with the day it is seeded on.
    with time_machine.travel("2026-12-09 15:00:00-05:00", tick=False):
        call_command("seed_demo", allow_production=True, stdout=io.StringIO())
        call_command(
            "seed_demo", allow_production=True, stdout=io.StringIO()
        )  # twice: nothing written twice

        drafts = list(Note.objects.filter(status=Note.Status.DRAFT).select_related("session"))
        assert Note.objects.filter(status=Note.Status.SIGNED).count() > 5
        assert len(drafts) == 1
        assert note_due_at(drafts[0].session) <= timezone.now()
        overdue = [s for s in sessions_without_signed_note() if note_due_at(s) <= timezone.now()]
        assert overdue == [drafts[0].session]
