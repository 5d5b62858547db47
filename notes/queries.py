"""Who may read which session note, in one rule, and the reads that follow it.

A note is readable by its author and co-signer, and (once signed, or awaiting co-signature,
and unless it is marked as psychotherapy notes) by the clinicians whose current care role
matches it: an individual-therapy note by that
partner's individual therapist, a counseling note by their counselor, a medical visit's by
their medical provider, a couples note by the couple's couples therapist, a group note by the
group's clinician. A participant's entry in a group note (with the group's shared description)
is also readable by that participant's counselor and individual therapist, never another's.
Psychotherapy notes (HIPAA keeps them apart, 45 CFR 164.501) stay with their author and
co-signer: no other clinician reads them, whatever their role, and no partner.

The rule is one filter on entries (`_readable_entries`): a note is readable through the entries
the viewer may read, so every read is one query whatever the number of notes.

A partner reads their own part of their signed notes (`_own_entries`, open notes): never a draft,
a note awaiting co-signature or one marked as psychotherapy notes, never another's entry.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Window
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.services import access_denied_record
from couples.models import CareAssignment, CareRole, Partner, User
from couples.queries import NO_COVERAGE, care_coverage_by_couple
from notes.models import NOTE_KINDS, Addendum, Note, NoteEntry
from plans.models import Objective, PlanVersion, TreatmentPlan
from plans.queries import may_read_plan
from sessions.models import SessionKind, TherapySession

# The care role whose holder reads each kind of individual note.
ROLE_FOR_KIND = {
    SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
    SessionKind.COUNSELING: CareRole.COUNSELOR,
    SessionKind.MEDICAL_VISIT: CareRole.MEDICAL_PROVIDER,
}
# Who besides the group's clinician reads a participant's entry in a group note.
GROUP_ENTRY_ROLES = (CareRole.INDIVIDUAL_THERAPIST, CareRole.COUNSELOR)
WRITTEN = (Note.Status.AWAITING_COSIGN, Note.Status.SIGNED)


def _readable_entries(user: User) -> Q:
    """The entries `user` may read, as a filter on NoteEntry."""
    current = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)

    def holds(*roles, **scope) -> Exists:
        return Exists(current.filter(role__in=roles, **scope))

    by_role = Q()
    for kind, role in ROLE_FOR_KIND.items():
        by_role |= Q(note__kind=kind) & holds(role, partner_id=OuterRef("partner_id"))
    by_role |= Q(note__kind=SessionKind.COUPLES_THERAPY) & holds(
        CareRole.COUPLES_THERAPIST, couple_id=OuterRef("note__couple_id")
    )
    by_role |= Q(note__kind=SessionKind.GROUP) & (
        Q(note__session__clinician__user=user)
        | holds(*GROUP_ENTRY_ROLES, partner_id=OuterRef("partner_id"))
    )
    return (
        Q(note__author__user=user)
        | Q(note__cosigner__user=user)
        | Q(note__status__in=WRITTEN, note__is_psychotherapy_note=False) & by_role
    )


def _own_entries(user: User) -> Q:
    """A partner's own entries in their signed notes, psychotherapy notes never, as a filter
    on NoteEntry: the open notes the portal shows."""
    return Q(partner__user=user, note__status=Note.Status.SIGNED, note__is_psychotherapy_note=False)


@dataclass(frozen=True)
class ObjectiveLink:
    objective: Objective  # with its plan (goal, problem, version, plan)
    plan_label: str  # "Jordan's plan", "Couple plan"


@dataclass
class NotePage:
    note: Note
    entries: list[NoteEntry]  # only those the viewer may read
    addenda: list[Addendum]
    # The objectives it addressed of the plans of the partners whose parts the viewer reads
    # (and the couple plan's)
    objectives: list[ObjectiveLink] = field(default_factory=list)

    @property
    def partners(self) -> list[Partner]:
        return [entry.partner for entry in self.entries]


PLAN_PARTNER = "goal__problem__version__plan__partner_id"
# Plans in their partners' order, the couple plan last; then as each plan lists them.
OBJECTIVE_ORDER = (
    F(PLAN_PARTNER).asc(nulls_last=True),
    "goal__problem__dimension",
    "goal__problem_id",
    "goal_id",
    "target_on",
    "pk",
)


def _objectives_addressed(*, note: Note, labels: dict[int | None, str]) -> list[ObjectiveLink]:
    """The note's objectives of the plans named in `labels` (partner id, None for the couple
    plan), each with its plan's label. One query."""
    partner_ids = [pk for pk in labels if pk is not None]
    shown = Q(**{f"{PLAN_PARTNER}__in": partner_ids})
    if None in labels:
        shown |= Q(**{f"{PLAN_PARTNER}__isnull": True})
    objectives = (
        note.objectives.filter(shown)
        .select_related("goal__problem__version__plan")
        .order_by(*OBJECTIVE_ORDER)
    )
    return [
        ObjectiveLink(objective=objective, plan_label=labels[_plan_of(objective).partner_id])
        for objective in objectives
    ]


def _plan_of(objective: Objective) -> TreatmentPlan:
    return objective.goal.problem.version.plan


def _plan_labels(partners: list[Partner], *, couple_plan: bool) -> dict[int | None, str]:
    labels: dict[int | None, str] = {p.pk: f"{p.display_name}'s plan" for p in partners}
    if couple_plan:
        labels[None] = "Couple plan"
    return labels


def note_get_for_user(
    *,
    user: User,
    pk: int | None = None,
    session_pk: int | None = None,
    request: HttpRequest | None = None,
) -> NotePage:
    """The note (by its pk or its session's) with the entries the user may read, or the
    audited 404 as if it did not exist. Three queries: the readable entries with their note,
    session and people; the addenda; the objectives of those partners' plans it addressed."""
    where = Q(note_id=pk) if pk is not None else Q(note__session_id=session_pk)
    entries = list(
        NoteEntry.objects.filter(where)
        .filter(_readable_entries(user))
        .select_related(
            "partner__user",
            "note__session__clinician__user",
            "note__author__user",
            "note__cosigner__user",
            "note__signed_by",
            "note__cosigned_by",
        )
        .order_by("partner_id")
    )
    if not entries:
        access_denied_record(
            user=user,
            request=request,
            target_type="notes.Note" if pk is not None else "therapy_sessions.TherapySession",
            target_id=pk if pk is not None else session_pk,
        )
        raise Http404
    note = entries[0].note
    addenda = list(note.addenda.select_related("author__user"))
    labels = _plan_labels(
        [entry.partner for entry in entries],
        couple_plan=note.kind == SessionKind.COUPLES_THERAPY,
    )
    objectives = _objectives_addressed(note=note, labels=labels)
    return NotePage(note=note, entries=entries, addenda=addenda, objectives=objectives)


def notes_for_partner_for_user(*, user: User, partner: Partner) -> list[NoteEntry]:
    """The partner's entries in notes the user may read, newest session first, each with its
    note and session: one query."""
    return list(
        NoteEntry.objects.filter(partner=partner)
        .filter(_readable_entries(user))
        .select_related("note__session", "note__author__user")
        .order_by("-note__session__starts_at", "-pk")
    )


def notes_own_for_partner(*, user: User) -> list[NoteEntry]:
    """The signed-in partner's own entries in their signed notes (not psychotherapy notes),
    newest session first, each with its note, session and author: one query."""
    return list(
        NoteEntry.objects.filter(_own_entries(user))
        .select_related("note__session", "note__author__user")
        .order_by("-note__session__starts_at", "-pk")
    )


def note_get_for_partner(*, user: User, pk: int, request: HttpRequest | None = None) -> NotePage:
    """One of the partner's own signed notes with their entry only (never another's), or the
    audited 404 (another's note, a draft, one awaiting co-signature, psychotherapy notes).
    Three queries: the entry with its couple, note, session and signers; the addenda; the
    objectives it addressed of their own plan and their couple plan (never the other
    partner's)."""
    entries = list(
        NoteEntry.objects.filter(_own_entries(user), note_id=pk).select_related(
            "partner__couple",
            "note__session",
            "note__author__user",
            "note__cosigner__user",
        )
    )
    if not entries:
        access_denied_record(user=user, request=request, target_type="notes.Note", target_id=pk)
        raise Http404
    note = entries[0].note
    labels: dict[int | None, str] = {entries[0].partner_id: "Your plan"}
    if note.kind == SessionKind.COUPLES_THERAPY:
        labels[None] = "Your couple plan"
    return NotePage(
        note=note,
        entries=entries,
        addenda=list(note.addenda.select_related("author__user")),
        objectives=_objectives_addressed(note=note, labels=labels),
    )


@dataclass(frozen=True)
class NoteRow:
    note: Note
    partners: list[Partner]  # whose parts the viewer reads


def notes_for_partners_for_user(*, user: User, partners: list[Partner]) -> list[NoteRow]:
    """The notes about these partners (a couple's) that the user may read, newest session
    first, one row per note with the partners whose parts the user reads: one query."""
    by_pk = {partner.pk: partner for partner in partners}
    entries = (
        NoteEntry.objects.filter(partner_id__in=list(by_pk))
        .filter(_readable_entries(user))
        .select_related("note__session", "note__author__user", "note__cosigner__user")
        .order_by("-note__session__starts_at", "-note_id", "partner_id")
    )
    rows: dict[int, NoteRow] = {}
    for entry in entries:
        row = rows.setdefault(entry.note_id, NoteRow(note=entry.note, partners=[]))
        row.partners.append(by_pk[entry.partner_id])
    return list(rows.values())


@dataclass(frozen=True)
class NoteToWrite:
    session: TherapySession
    note_id: int | None  # a draft started, or None
    is_overdue: bool


# The clinician home shows the oldest this many of each list, and how many there are in all:
# a clinic that starts writing notes with a year of sessions behind it still gets a page.
NOTES_SHOWN = 20


@dataclass(frozen=True)
class NotesToFinish:
    """The clinician home's two lists: notes to write, notes to co-sign (the oldest
    NOTES_SHOWN of each, and each list's whole count)."""

    to_write: list[NoteToWrite]
    to_cosign: list[Note]  # each with its session and author
    to_write_count: int = 0
    to_cosign_count: int = 0


def note_due_at(session: TherapySession) -> datetime.datetime:
    return session.ends_at + datetime.timedelta(hours=settings.NOTE_SIGN_HOURS)


def sessions_without_signed_note() -> QuerySet[TherapySession]:
    """Attended sessions of a kind with notes whose note is not signed (not started, or a
    draft). A session is completed once someone was present or late."""
    return TherapySession.objects.filter(
        status=TherapySession.Status.COMPLETED, kind__in=sorted(NOTE_KINDS)
    ).exclude(note__status__in=WRITTEN)


def notes_to_write_for_clinician(
    *, user: User, now: datetime.datetime | None = None
) -> tuple[list[NoteToWrite], int]:
    """The clinician's oldest NOTES_SHOWN attended sessions still without a signed note,
    oldest first, and how many there are in all (a window count): one query."""
    now = now or timezone.now()
    sessions = list(
        TherapySession.objects.filter(
            Q(note__isnull=True) | Q(note__status=Note.Status.DRAFT),
            clinician__user=user,
            status=TherapySession.Status.COMPLETED,
            kind__in=sorted(NOTE_KINDS),
        )
        .select_related("note")
        .annotate(whole=Window(Count("pk")))
        .order_by("ends_at", "pk")[:NOTES_SHOWN]
    )
    writing = [
        NoteToWrite(
            session=session,
            note_id=getattr(getattr(session, "note", None), "pk", None),
            is_overdue=note_due_at(session) <= now,
        )
        for session in sessions
    ]
    return writing, sessions[0].whole if sessions else 0


def notes_to_cosign_for_clinician(*, user: User) -> tuple[list[Note], int]:
    """The oldest NOTES_SHOWN notes waiting for this clinician's co-signature, each with its
    session and author, and how many there are in all: one query."""
    notes = list(
        Note.objects.filter(cosigner__user=user, status=Note.Status.AWAITING_COSIGN)
        .select_related("session", "author__user", "cosigner")
        .annotate(whole=Window(Count("pk")))
        .order_by("session__ends_at", "session_id")[:NOTES_SHOWN]
    )
    return notes, notes[0].whole if notes else 0


def notes_to_finish_for_clinician(
    *, user: User, now: datetime.datetime | None = None
) -> NotesToFinish:
    """Both of the clinician home's lists: two queries, however many notes wait."""
    to_write, to_write_count = notes_to_write_for_clinician(user=user, now=now)
    to_cosign, to_cosign_count = notes_to_cosign_for_clinician(user=user)
    return NotesToFinish(
        to_write=to_write,
        to_cosign=to_cosign,
        to_write_count=to_write_count,
        to_cosign_count=to_cosign_count,
    )


def session_for_note_get(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> TherapySession:
    """One of the user's own attended sessions that has no note yet, with its attendances
    and their partners (two queries), or the audited 404."""
    session = (
        TherapySession.objects.filter(
            pk=pk,
            clinician__user=user,
            status=TherapySession.Status.COMPLETED,
            kind__in=sorted(NOTE_KINDS),
            note__isnull=True,
        )
        .select_related("clinician")
        .prefetch_related("attendances__partner__user")
        .first()
    )
    if session is None:
        access_denied_record(
            user=user, request=request, target_type="therapy_sessions.TherapySession", target_id=pk
        )
        raise Http404
    return session


def draft_get_for_author(*, user: User, session_pk: int) -> Note | None:
    """The user's own draft of the session's note, with its session and entries (two
    queries), or None."""
    return (
        Note.objects.filter(session_id=session_pk, author__user=user, status=Note.Status.DRAFT)
        .select_related("session")
        .prefetch_related("entries__partner__user")
        .first()
    )


def note_exists_for_session(*, session_pk: int) -> bool:
    return Note.objects.filter(session_id=session_pk).exists()


def objectives_for_note_form(
    *, user: User, session: TherapySession, partners: list[Partner], note: Note | None
) -> list[ObjectiveLink]:
    """The objectives a note of this session may link: those of the current signed version of
    each partner's plan (and of the couple plan, for a couples session), and those the draft
    links already (a review may have signed a newer version since), of the plans the writer
    may read (plans.queries.may_read_plan). Each carries `is_linked`. Two queries, however
    many objectives: the writer's roles on the couples; the objectives with their plans."""
    couple_plan = session.kind == SessionKind.COUPLES_THERAPY
    labels = _plan_labels(partners, couple_plan=couple_plan)
    coverage = care_coverage_by_couple(user=user, couple_ids={p.couple_id for p in partners})
    version = "goal__problem__version"
    later = PlanVersion.objects.filter(
        plan_id=OuterRef(f"{version}__plan_id"),
        signed_at__isnull=False,
        number__gt=OuterRef(f"{version}__number"),
    )
    current = Q(**{f"{version}__signed_at__isnull": False}) & ~Exists(later)
    plans = Q(**{f"{PLAN_PARTNER}__in": [p.pk for p in partners]})
    if couple_plan:
        plans |= Q(
            **{f"{PLAN_PARTNER}__isnull": True, f"{version}__plan__couple_id": session.couple_id}
        )
    linked = Exists(
        Note.objectives.through.objects.filter(
            note_id=note.pk if note else None, objective_id=OuterRef("pk")
        )
    )
    objectives = (
        Objective.objects.filter(plans)
        .annotate(is_linked=linked)
        .filter(current | Q(is_linked=True))
        .select_related(f"{version}__plan")
        .order_by(*OBJECTIVE_ORDER)
    )
    choices = []
    for objective in objectives:
        plan = _plan_of(objective)
        readable = may_read_plan(coverage=coverage.get(plan.couple_id, NO_COVERAGE), plan=plan)
        if readable:
            choices.append(ObjectiveLink(objective=objective, plan_label=labels[plan.partner_id]))
    return choices
