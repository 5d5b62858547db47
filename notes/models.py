"""Signed session notes: one per attended session, its entries per partner, its addenda.

A note's narrative sits in explicit columns, one per section a format may use (DAP: data,
assessment, plan; SOAP: subjective, objective, assessment, plan; BIRP: behavior,
intervention, response, plan), rather than one JSON value: each is bounded by a database
constraint, the format's unused sections are constrained empty, and the guard's triggers
(migrations/0002) compare plain columns on both databases.

Once signed, nothing about a note changes by any path: the services refuse, and triggers on
PostgreSQL and SQLite refuse UPDATE and DELETE of a signed note, its entries and any addendum.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from common.constraints import CheckConstraint
from couples.models import Clinician, Couple, Partner
from sessions.models import SessionKind, TherapySession

SECTION_MAX_LENGTH = 5000
ENTRY_MAX_LENGTH = 3000
ADDENDUM_MAX_LENGTH = 3000
RISK_NOTE_MAX_LENGTH = 500


class NoteFormat(models.TextChoices):
    DAP = "DAP", "DAP (data, assessment, plan)"
    SOAP = "SOAP", "SOAP (subjective, objective, assessment, plan)"
    BIRP = "BIRP", "BIRP (behavior, intervention, response, plan)"


# Each format's sections, in the order they are written.
SECTIONS = {
    NoteFormat.DAP: ("data", "assessment", "plan"),
    NoteFormat.SOAP: ("subjective", "objective", "assessment", "plan"),
    NoteFormat.BIRP: ("behavior", "intervention", "response", "plan"),
}
ALL_SECTIONS = (
    "data",
    "subjective",
    "objective",
    "behavior",
    "intervention",
    "response",
    "assessment",
    "plan",
)
# Sessions a note is written for; a sober activity has none.
INDIVIDUAL_KINDS = (
    SessionKind.INDIVIDUAL_THERAPY,
    SessionKind.COUNSELING,
    SessionKind.MEDICAL_VISIT,
)
NOTE_KINDS = (*INDIVIDUAL_KINDS, SessionKind.COUPLES_THERAPY, SessionKind.GROUP)


def bounded(field: str, limit: int, name: str) -> CheckConstraint:
    """A text column no longer than `limit` characters, checked by the database."""
    return CheckConstraint(
        condition=LessThanOrEqual(Length(field), limit),
        name=name,
        violation_error_message=f"Keep it to {limit} characters.",
    )


def _section_constraint_names() -> frozenset[str]:
    bounds = {f"note_{section}_bounded" for section in ALL_SECTIONS}
    return frozenset(bounds | {f"note_{section}_only_in_its_formats" for section in ALL_SECTIONS})


SECTION_CONSTRAINT_NAMES = _section_constraint_names()


def _section_constraints() -> list[CheckConstraint]:
    constraints = []
    for section in ALL_SECTIONS:
        constraints.append(bounded(section, SECTION_MAX_LENGTH, f"note_{section}_bounded"))
        unused = sorted(fmt for fmt, names in SECTIONS.items() if section not in names)
        if unused:
            constraints.append(
                CheckConstraint(
                    condition=~Q(format__in=unused) | Q(**{section: ""}),
                    name=f"note_{section}_only_in_its_formats",
                )
            )
    return constraints


class RiskLevel(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class PlaceOfService(models.TextChoices):
    # CMS place-of-service codes for telehealth; sessions are all virtual.
    HOME = "10", "10 · Telehealth in the patient's home"
    OTHER = "02", "02 · Telehealth elsewhere than the patient's home"


class Note(models.Model):
    """The note of one attended session: its kind, who it is about, the clinic's format with
    its sections, risk, and its signatures."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AWAITING_COSIGN = "awaiting_cosign", "Awaiting co-signature"
        SIGNED = "signed", "Signed"

    session = models.OneToOneField(TherapySession, on_delete=models.PROTECT, related_name="note")
    kind = models.CharField(max_length=30, choices=SessionKind.choices)
    # The couple of an individual or couples note; none for a group (several couples).
    couple = models.ForeignKey(
        Couple, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    # The one partner an individual note is about.
    partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.PROTECT, related_name="notes"
    )
    format = models.CharField(max_length=4, choices=NoteFormat.choices)
    data = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    subjective = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    objective = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    behavior = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    intervention = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    response = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    assessment = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    plan = models.TextField(blank=True, max_length=SECTION_MAX_LENGTH)
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, default=RiskLevel.NONE)
    risk_note = models.CharField(max_length=RISK_NOTE_MAX_LENGTH, blank=True)
    # Psychotherapy notes (HIPAA's separate category): never shown to the partner or exported.
    is_psychotherapy_note = models.BooleanField("psychotherapy notes", default=False)
    # Time and modality, from the session: every session is a video session.
    duration_minutes = models.PositiveSmallIntegerField()
    is_telehealth = models.BooleanField(default=True)
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.HOME
    )
    author = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="notes_written")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A supervisee's note waits for their supervisor's co-signature (named when signed).
    cosigner = models.ForeignKey(
        Clinician,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes_to_cosign",
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The plan objectives the session addressed: of the current signed plans of its partners
    # (and the couple plan, for a couples session). Each belongs to one partner's plan or the
    # couple's, so it is shown only with what the viewer reads of that partner (queries).
    objectives = models.ManyToManyField(
        "plans.Objective", blank=True, related_name="notes_addressing"
    )

    class Meta:
        indexes = [models.Index(fields=["author", "status"], name="note_author_status")]
        constraints = [
            CheckConstraint(condition=Q(kind__in=sorted(NOTE_KINDS)), name="note_kind_has_notes"),
            CheckConstraint(
                condition=Q(
                    kind__in=sorted(INDIVIDUAL_KINDS), couple__isnull=False, partner__isnull=False
                )
                | Q(kind=SessionKind.COUPLES_THERAPY, couple__isnull=False, partner__isnull=True)
                | Q(kind=SessionKind.GROUP, couple__isnull=True, partner__isnull=True),
                name="note_subject_matches_kind",
                violation_error_message=(
                    "An individual note is about one partner, a couples note about the couple, "
                    "a group note about its participants."
                ),
            ),
            CheckConstraint(condition=Q(format__in=NoteFormat.values), name="note_format_known"),
            CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                | Q(
                    status="awaiting_cosign",
                    signed_at__isnull=False,
                    signed_by__isnull=False,
                    cosigner__isnull=False,
                    cosigned_at__isnull=True,
                )
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False)
                & (
                    Q(cosigner__isnull=True, cosigned_at__isnull=True)
                    | Q(cosigner__isnull=False, cosigned_at__isnull=False)
                ),
                name="note_signatures_match_status",
            ),
            CheckConstraint(
                condition=Q(cosigned_at__isnull=True, cosigned_by__isnull=True)
                | Q(cosigned_at__isnull=False, cosigned_by__isnull=False),
                name="note_cosigned_by_someone",
            ),
            CheckConstraint(
                condition=~Q(cosigner=models.F("author")), name="note_cosigner_not_author"
            ),
            CheckConstraint(
                condition=Q(place_of_service__in=PlaceOfService.values),
                name="note_place_of_service_known",
            ),
            bounded("risk_note", RISK_NOTE_MAX_LENGTH, "note_risk_note_bounded"),
            *_section_constraints(),
        ]

    def __str__(self) -> str:
        return f"Note on {self.session}"

    def get_constraints(self):
        # The sections' bounds and formats are checked in clean(), which names the section
        # that breaks them; leaving them out here keeps the form from saying it twice. The
        # database still enforces them all.
        return [
            (model, [c for c in constraints if c.name not in SECTION_CONSTRAINT_NAMES])
            for model, constraints in super().get_constraints()
        ]

    def clean(self) -> None:
        super().clean()
        used = SECTIONS.get(self.format, ())
        errors = {}
        for section in ALL_SECTIONS:
            text = getattr(self, section) or ""
            if len(text) > SECTION_MAX_LENGTH:
                errors[section] = f"Keep it to {SECTION_MAX_LENGTH} characters."
            elif text and section not in used:
                errors[section] = f"A {self.format} note has no {section} section."
        if errors:
            raise ValidationError(errors)

    @property
    def sections(self) -> list[tuple[str, str]]:
        """(section name, text) in the order of the note's format."""
        return [(name, getattr(self, name)) for name in SECTIONS[self.format]]

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT


class NoteEntry(models.Model):
    """One partner's part of a note, stored against that partner: their part of a couples
    session, their short entry in a group note (an individual note has one, the partner's
    attendance). Shown only to those who may read that partner's part."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="entries")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="note_entries")
    text = models.TextField(blank=True, max_length=ENTRY_MAX_LENGTH)
    # What the attendance said when the note was started.
    minutes_attended = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["note", "partner"], name="note_entry_once"),
            bounded("text", ENTRY_MAX_LENGTH, "note_entry_text_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} in {self.note}"


class Addendum(models.Model):
    """Text added to a signed note by its author or co-signer, dated and signed as it is
    added; never edited or removed (the database refuses)."""

    note = models.ForeignKey(Note, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=ADDENDUM_MAX_LENGTH)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            bounded("text", ADDENDUM_MAX_LENGTH, "note_addendum_text_bounded"),
            CheckConstraint(condition=~Q(text=""), name="note_addendum_not_empty"),
        ]

    def __str__(self) -> str:
        return f"Addendum to {self.note}"
