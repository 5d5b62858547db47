"""Clinic pages of session notes: write (save a draft, sign), read, co-sign, add an addendum.

Every page looks the note up through notes.queries with the viewer (anyone the note is not for
gets the audited 404, as if it did not exist), and every read is audited for each partner whose
part was shown.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import audit_record_many
from common.forms import attach_service_error
from couples.models import Partner
from couples.permissions import clinician_required, role_check
from couples.queries import clinician_get_for_user
from couples.roles import Role
from notes import queries, services
from notes.forms import SIGN, AddendumForm, NoteForm
from notes.models import Note
from notes.services import ATTENDED


def home_context(*, request: HttpRequest) -> dict:
    """The clinician home's "Notes to write" (attended sessions of theirs without a signed
    note, each one click from its form) and "Notes to co-sign" (their supervisees' notes
    waiting for them, each one click from the note and its Co-sign button), oldest first.
    One query for both."""
    notes = queries.notes_to_finish_for_clinician(user=request.user)
    return {
        "notes_to_write": notes.to_write,
        "notes_to_write_count": notes.to_write_count,
        "notes_to_cosign": notes.to_cosign,
        "notes_to_cosign_count": notes.to_cosign_count,
    }


def overdue_item_link(item) -> str:
    """Where a note's triage item (notes.triage_rules) leads: the session's note, its form
    for the author's draft, the note itself (and its Co-sign button) once signed."""
    session_pk = int(item.source_ref.split(":")[1])
    return reverse("notes:session_note", kwargs={"session_pk": session_pk})


@dataclass(frozen=True)
class CoupleNoteRow:
    note: Note
    partners: list[Partner]  # whose parts the viewer reads
    url: str
    mine: str  # the viewer's own unsigned note, or one for them to co-sign; else ""


def couple_notes_context(*, request: HttpRequest, partners: list[Partner]) -> dict:
    """The couple page's Notes tab: the notes about the couple's partners the viewer may
    read (notes.queries' rule), newest first, the viewer's own unfinished ones marked. One
    query; `shown_partners` are those whose parts are listed (the read to record)."""
    user = request.user
    rows = []
    for row in queries.notes_for_partners_for_user(user=user, partners=partners):
        note = row.note
        mine = ""
        if note.status == Note.Status.DRAFT:
            mine = "Yours to finish and sign"  # a draft is its author's alone
        elif note.status == Note.Status.AWAITING_COSIGN and note.author.user_id == user.pk:
            mine = "Yours, waiting for co-signature"
        elif note.status == Note.Status.AWAITING_COSIGN and note.cosigner.user_id == user.pk:
            mine = "Yours to co-sign"
        url = (
            reverse("notes:session_note", kwargs={"session_pk": note.session_id})
            if note.status == Note.Status.DRAFT
            else reverse("notes:detail", kwargs={"pk": note.pk})
        )
        rows.append(CoupleNoteRow(note=note, partners=row.partners, url=url, mine=mine))
    shown = {partner.pk for row in rows for partner in row.partners}
    return {
        "note_rows": rows,
        "shown_partners": [partner for partner in partners if partner.pk in shown],
    }


@clinician_required
def session_note(request: HttpRequest, session_pk: int) -> HttpResponse:
    """The note form of a session: its author's draft, or a new note for the session's
    clinician; anyone else is sent to the note if they may read it."""
    note = queries.draft_get_for_author(user=request.user, session_pk=session_pk)
    if note is not None:
        session, partners = note.session, [entry.partner for entry in note.entries.all()]
    elif queries.note_exists_for_session(session_pk=session_pk):
        page = queries.note_get_for_user(user=request.user, session_pk=session_pk, request=request)
        return redirect("notes:detail", pk=page.note.pk)
    else:
        session = queries.session_for_note_get(user=request.user, pk=session_pk, request=request)
        partners = [a.partner for a in session.attendances.all() if a.status in ATTENDED]
    action = request.POST.get("action", "")
    objectives = queries.objectives_for_note_form(
        user=request.user, session=session, partners=partners, note=note
    )
    form = NoteForm(
        request.POST if request.method == "POST" else None,
        initial=NoteForm.initial_for(note, note.entries.all() if note else [], objectives),
        note_format=note.format if note else settings.NOTE_FORMAT,
        kind=session.kind,
        partners=partners,
        objectives=objectives,
        action=action,
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request, session=session, note=note, form=form, sign=action == SIGN)
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            if saved.is_locked:
                messages.success(request, f"Note {saved.get_status_display().lower()}.")
                return redirect("notes:detail", pk=saved.pk)
            messages.success(request, "Draft saved.")
            return redirect("notes:session_note", session_pk=session.pk)
    elif note is not None:
        _record_read(request, note=note, partners=partners)
    context = {"form": form, "session": session, "note": note, "partners": partners}
    return render(request, "notes/note_form.html", context)


@transaction.atomic
def _save(request: HttpRequest, *, session, note: Note | None, form: NoteForm, sign: bool):
    if note is None:
        author = clinician_get_for_user(user=request.user)
        note = services.note_start(session=session, author=author, by=request.user, request=request)
    data = form.cleaned_data
    note = services.note_save(
        note=note,
        sections=form.sections(),
        entries=form.entries(),
        risk_level=data["risk_level"],
        risk_note=data["risk_note"],
        is_psychotherapy_note=data["is_psychotherapy_note"],
        place_of_service=data["place_of_service"],
        objectives=form.objectives(),
        by=request.user,
        request=request,
    )
    if sign:
        note = services.note_sign(note=note, by=request.user, request=request)
    return note


@login_required
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # The note first: anyone it is not for meets the audited 404, a partner of its couple too.
    page = queries.note_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    _record_read(request, note=page.note, partners=page.partners)
    return _detail_page(request, page)


@login_required
@require_POST
def note_cosign(request: HttpRequest, pk: int) -> HttpResponse:
    # The note first: anyone it is not for meets the audited 404, a partner of its couple too.
    page = queries.note_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    try:
        services.note_cosign(note=page.note, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Note co-signed.")
    return redirect("notes:detail", pk=pk)


@login_required
@require_POST
def addendum_add(request: HttpRequest, pk: int) -> HttpResponse:
    # The note first: anyone it is not for meets the audited 404, a partner of its couple too.
    page = queries.note_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(
                note=page.note,
                author=clinician_get_for_user(user=request.user),
                text=form.cleaned_data["text"],
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, "Addendum added.")
            return redirect("notes:detail", pk=pk)
    return _detail_page(request, page, addendum_form=form)


def _detail_page(request: HttpRequest, page, addendum_form: AddendumForm | None = None):
    note, user = page.note, request.user
    is_signer = user.pk in (note.author.user_id, note.cosigner.user_id if note.cosigner else None)
    context = {
        "page": page,
        "note": note,
        "can_edit": note.status == Note.Status.DRAFT and note.author.user_id == user.pk,
        "can_cosign": note.status == Note.Status.AWAITING_COSIGN
        and note.cosigner.user_id == user.pk,
        "can_add_addendum": note.status == Note.Status.SIGNED and is_signer,
        "addendum_form": addendum_form or AddendumForm(),
    }
    return render(request, "notes/note_detail.html", context)


def _record_read(request: HttpRequest, *, note: Note, partners: list) -> None:
    audit_record_many(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=note,
        patients=partners,
        request=request,
    )
