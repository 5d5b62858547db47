"""The records that may be released, read through their own apps' access rules.

A clinician releases only what they may read: a note through notes.queries.note_get_for_user,
a plan through plans.queries.plan_get_for_user, the same rules as the notes' and plans' own
pages (anyone else gets their audited 404). What is released is what they read: a group note's
reader sees only the entries their role covers, and releases one participant's part.

Some records are never released for a records request, whoever asks (`refusal`): a draft, a
note still waiting for its co-signature, a draft plan version, and psychotherapy notes.
"""

import datetime
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone

from common.zones import zone_named
from couples.models import Partner, User
from couples.queries import partner_list_for_couple
from notes.models import Note
from notes.queries import NotePage, note_get_for_user
from plans.models import PlanVersion, TreatmentPlan
from plans.queries import plan_get_for_user, version_get_for_plan, version_tree
from records.models import RecordKind
from sessions.models import SessionKind

PSYCHOTHERAPY_NOTES_REFUSAL = (
    "Psychotherapy notes cannot be released for a records request. HIPAA requires the "
    "patient's own, separate authorization for them (45 CFR 164.508(a)(2)), which a payer may "
    "not make a condition of payment: release them only under such an authorization."
)


def _day(moment: datetime.datetime, zone) -> str:
    local = timezone.localtime(moment, zone)
    return f"{local:%B} {local.day}, {local.year}"


@dataclass
class Release:
    """A record as it would be released: whom it names, how it is described, and the parts
    its document shows. `refusal` says why it cannot be released ("" when it can)."""

    kind: str  # RecordKind
    record: Note | PlanVersion
    title: str  # "Couples therapy note, session of December 1, 2026"
    partners: list[Partner]  # whose information it carries: one accounting row each
    time_zone: datetime.tzinfo
    filename: str  # no names, no health detail
    template: str
    refusal: str = ""
    parts: dict = field(default_factory=dict)  # the document's own context


# Session notes


@dataclass
class NoteRelease(Release):
    page: NotePage | None = None
    # A group note is released for one participant at a time (minimum necessary): those the
    # reader may choose from. Other notes are released whole.
    participants: list[Partner] = field(default_factory=list)


def note_refusal(note: Note) -> str:
    if note.status == Note.Status.DRAFT:
        return "This note is a draft: only a signed note can be released."
    if note.status == Note.Status.AWAITING_COSIGN:
        return (
            f"This note is waiting for {note.cosigner}'s co-signature: it can be released "
            "once co-signed."
        )
    if note.is_psychotherapy_note:
        return PSYCHOTHERAPY_NOTES_REFUSAL
    return ""


def note_release_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> NoteRelease:
    """The note the user may read as it would be released, or the audited 404. Two queries
    (the readable entries with the note and its people; the addenda)."""
    page = note_get_for_user(user=user, pk=pk, request=request)
    note = page.note
    zone = zone_named(note.session.time_zone)
    is_group = note.kind == SessionKind.GROUP
    return NoteRelease(
        kind=RecordKind.NOTE,
        record=note,
        title=f"{note.get_kind_display()} note, session of {_day(note.session.starts_at, zone)}",
        partners=page.partners,
        time_zone=zone,
        filename=f"record-note-{note.pk}.pdf",
        template="records/note_document.html",
        refusal=note_refusal(note),
        page=page,
        participants=page.partners if is_group else [],
        parts={
            "note": note,
            "entries": page.entries,
            "addenda": page.addenda,
            "objectives": page.objectives,
        },
    )


def note_release_for_participant(release: NoteRelease, *, partner_pk: int) -> NoteRelease:
    """A group note's release for one of its participants: the group's shared description,
    that participant's entry and the objectives of their plan it addressed, naming no one
    else (no query)."""
    entries = [entry for entry in release.page.entries if entry.partner_id == partner_pk]
    objectives = [
        link
        for link in release.page.objectives
        if link.objective.goal.problem.version.plan.partner_id == partner_pk
    ]
    release.partners = [entry.partner for entry in entries]
    release.parts = {**release.parts, "entries": entries, "objectives": objectives}
    return release


# Treatment plans


def plan_release_get_for_user(
    *, user: User, plan_pk: int, number: int, request: HttpRequest | None = None
) -> Release:
    """A plan version the user may read as it would be released, or the audited 404 (a
    version number the plan lacks: a plain 404). Nine queries, however large the plan: the
    plan, the reader's coverage, the version, a later signed version, the partners (the
    couple plan's), the acknowledgements, and the tree's four levels."""
    plan, _ = plan_get_for_user(user=user, pk=plan_pk, request=request)
    version = version_get_for_plan(plan=plan, number=number)
    zone = zone_named(plan.couple.time_zone)
    partners = (
        [plan.partner] if plan.partner_id else list(partner_list_for_couple(couple=plan.couple))
    )
    whose = f"{plan.partner.display_name}'s treatment plan" if plan.partner_id else "Couple plan"
    refusal = ""
    if not version.is_signed:
        refusal = f"Version {version.number} is a draft: only a signed version can be released."
    return Release(
        kind=RecordKind.PLAN,
        record=version,
        title=f"{_plan_words(plan)}, version {version.number}"
        + (f", signed {_day(version.signed_at, zone)}" if version.is_signed else ""),
        partners=partners,
        time_zone=zone,
        filename=f"record-plan-{plan.pk}-v{version.number}.pdf",
        template="records/plan_document.html",
        refusal=refusal,
        parts={
            "plan": plan,
            "version": version,
            "whose": whose,
            "superseded_by": _later_signed(version),
            "acknowledgements": list(
                version.acknowledgements.select_related("partner__user").order_by("acknowledged_at")
            ),
            "tree": version_tree(version=version) if version.is_signed else [],
        },
    )


def _plan_words(plan: TreatmentPlan) -> str:
    return "Treatment plan" if plan.partner_id else "Couple treatment plan (couples therapy)"


def _later_signed(version: PlanVersion) -> PlanVersion | None:
    return (
        PlanVersion.objects.filter(
            plan_id=version.plan_id, number__gt=version.number, signed_at__isnull=False
        )
        .order_by("number")
        .first()
    )
