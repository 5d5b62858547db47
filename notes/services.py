"""Every write to a session note, audited in the same transaction.

Services assume the caller may act (the views check through notes.queries) and enforce the
note's own rules: a note only for an attended session of a kind that has notes, written by the
session's clinician; nothing changes once it is signed (the database refuses too); a supervisee's
note waits for their supervisor; only the author or co-signer adds an addendum to a signed note.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record_many
from couples.models import Clinician, User
from notes.models import (
    INDIVIDUAL_KINDS,
    NOTE_KINDS,
    SECTIONS,
    Addendum,
    Note,
    NoteEntry,
)
from notes.notifications import note_to_cosign_announce
from plans.models import Objective
from sessions.models import Attendance, SessionKind, TherapySession

ATTENDED = (Attendance.Status.PRESENT, Attendance.Status.LATE)
LOCKED = "This note is signed: add an addendum instead."


def _audit(*, note: Note, action: str, by: User, request, detail: dict | None = None) -> None:
    patients = [entry.partner for entry in note.entries.all()] or [None]
    audit_record_many(
        actor=by, action=action, target=note, patients=patients, request=request, detail=detail
    )


@transaction.atomic
def note_start(
    *, session: TherapySession, author: Clinician, by: User, request: HttpRequest | None = None
) -> Note:
    """A draft note for an attended session, in the clinic's format, with an entry for each
    partner who attended (present or late) and the time and modality of the session."""
    if session.status != TherapySession.Status.COMPLETED or session.kind not in NOTE_KINDS:
        raise ValidationError(
            "A note is written for an attended therapy, counseling, medical or group session."
        )
    if session.clinician_id != author.pk:
        raise ValidationError("The clinician who ran the session writes its note.")
    attended = [a for a in session.attendances.all() if a.status in ATTENDED]
    if not attended:
        raise ValidationError("Nobody attended this session.")
    note = Note(
        session=session,
        kind=session.kind,
        couple=session.couple if session.kind != SessionKind.GROUP else None,
        partner=attended[0].partner if session.kind in INDIVIDUAL_KINDS else None,
        format=settings.NOTE_FORMAT,
        duration_minutes=int(session.duration.total_seconds() // 60),
        author=author,
        created_at=timezone.now(),
    )
    note.full_clean()
    note.save()
    entries = [
        NoteEntry(note=note, partner=a.partner, minutes_attended=a.minutes_attended)
        for a in sorted(attended, key=lambda a: a.partner_id)
    ]
    NoteEntry.objects.bulk_create(entries)
    note._prefetched_objects_cache = {"entries": entries}
    _audit(note=note, action=AuditEvent.Action.CREATE, by=by, request=request)
    return note


@transaction.atomic
def note_save(
    *,
    note: Note,
    sections: dict[str, str],
    entries: dict[int, str],
    risk_level: str,
    risk_note: str,
    is_psychotherapy_note: bool,
    place_of_service: str,
    by: User,
    objectives: list[Objective] | None = None,
    request: HttpRequest | None = None,
) -> Note:
    """Save a draft's text: its format's sections, each partner's entry, risk and flags, and
    (unless None) the plan objectives it addressed, in place of those it linked."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    if note.is_locked:
        raise ValidationError(LOCKED)
    for name in SECTIONS[note.format]:
        setattr(note, name, sections.get(name, ""))
    note.risk_level, note.risk_note = risk_level, risk_note
    note.is_psychotherapy_note = is_psychotherapy_note
    note.place_of_service = place_of_service
    note.full_clean()
    note.save()
    rows = list(note.entries.select_related("partner__user"))
    for entry in rows:
        entry.text = entries.get(entry.partner_id, entry.text)
        entry.clean_fields(exclude=["note", "partner"])
    NoteEntry.objects.bulk_update(rows, ["text"])
    if objectives is not None:
        _objectives_check(
            note=note, partner_ids={row.partner_id for row in rows}, objectives=objectives
        )
        note.objectives.set(objectives)
    note._prefetched_objects_cache = {"entries": rows}
    detail = None if objectives is None else {"objectives": sorted(o.pk for o in objectives)}
    _audit(note=note, action=AuditEvent.Action.UPDATE, by=by, request=request, detail=detail)
    return note


def _objectives_check(*, note: Note, partner_ids: set[int], objectives: list[Objective]) -> None:
    """Each objective is of a signed plan version of one of the note's partners, or of the
    couple plan for a couples note. One query: the objectives with their plans."""
    chosen = Objective.objects.filter(pk__in=[o.pk for o in objectives]).select_related(
        "goal__problem__version__plan"
    )
    for objective in chosen:
        version = objective.goal.problem.version
        plan = version.plan
        if plan.partner_id is None:
            ours = note.kind == SessionKind.COUPLES_THERAPY and plan.couple_id == note.couple_id
        else:
            ours = plan.partner_id in partner_ids
        if not ours or not version.is_signed:
            raise ValidationError(
                {"objectives": "Choose objectives of the signed plans of this session's partners."}
            )


@transaction.atomic
def note_sign(*, note: Note, by: User, request: HttpRequest | None = None) -> Note:
    """Sign a draft: signed at once, or awaiting the supervisor's co-signature when the author
    has one (who is then told, in the app and by email, once). Every section of the format
    must be written, and risk described when not none."""
    note = (
        Note.objects.select_for_update(of=("self",))
        .select_related("author__supervisor")
        .get(pk=note.pk)
    )
    if note.is_locked:
        raise ValidationError(LOCKED)
    if note.author.user_id != by.pk:
        raise ValidationError("Only the note's author signs it.")
    empty = {
        name: "Write this section before signing."
        for name, text in note.sections
        if not text.strip()
    }
    if note.risk_level != "none" and not note.risk_note.strip():
        empty["risk_note"] = "Describe the risk before signing."
    if empty:
        raise ValidationError(empty)
    note.signed_at, note.signed_by = timezone.now(), by
    note.cosigner = note.author.supervisor
    note.status = Note.Status.AWAITING_COSIGN if note.cosigner else Note.Status.SIGNED
    note.full_clean()
    note.save(update_fields=["signed_at", "signed_by", "cosigner", "status"])
    if note.cosigner is not None:
        note_to_cosign_announce(note=note)
    _audit(
        note=note,
        action=AuditEvent.Action.UPDATE,
        by=by,
        request=request,
        detail={"note": note.status},
    )
    return note


@transaction.atomic
def note_cosign(*, note: Note, by: User, request: HttpRequest | None = None) -> Note:
    """The supervisor's co-signature on a supervisee's signed note."""
    note = Note.objects.select_for_update(of=("self",)).select_related("cosigner").get(pk=note.pk)
    if note.status != Note.Status.AWAITING_COSIGN:
        raise ValidationError("This note is not waiting for a co-signature.")
    if note.cosigner.user_id != by.pk:
        raise ValidationError("Only the author's supervisor co-signs this note.")
    note.cosigned_at, note.cosigned_by, note.status = timezone.now(), by, Note.Status.SIGNED
    note.full_clean()
    note.save(update_fields=["cosigned_at", "cosigned_by", "status"])
    _audit(
        note=note,
        action=AuditEvent.Action.UPDATE,
        by=by,
        request=request,
        detail={"note": "cosigned"},
    )
    return note


@transaction.atomic
def addendum_add(
    *, note: Note, author: Clinician, text: str, by: User, request: HttpRequest | None = None
) -> Addendum:
    """Dated, signed text added to a signed note by its author or co-signer."""
    note = Note.objects.select_for_update().get(pk=note.pk)
    if note.status != Note.Status.SIGNED:
        raise ValidationError("An addendum is added once the note is signed.")
    if author.pk not in (note.author_id, note.cosigner_id):
        raise ValidationError("Only the note's author or co-signer adds an addendum.")
    addendum = Addendum(note=note, author=author, text=text.strip(), signed_at=timezone.now())
    addendum.full_clean()
    addendum.save()
    _audit(
        note=note,
        action=AuditEvent.Action.CREATE,
        by=by,
        request=request,
        detail={"addendum": addendum.pk},
    )
    return addendum
