"""What left the clinic: one row per patient whose record was released, and to whom.

This is the accounting of disclosures a clinic owes its patients (HIPAA, 45 CFR 164.528: the
date, the recipient, a brief description of what was disclosed and a statement of its purpose;
42 CFR part 2 programs keep the same list). Each row is written together with an audit event of
action "disclose" for the same patient (records.services), which is what the patient's "Who has
seen my records" page on the portal reads. A released couples note names both partners, so it
is two rows: each partner's accounting shows it.

Rows are never changed or removed: a release cannot be taken back.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from couples.models import Partner
from notes.models import Note
from plans.models import PlanVersion

RECIPIENT_MAX_LENGTH = 200
PURPOSE_OTHER_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 300


class Purpose(models.TextChoices):
    PAYER = "payer", "Payer's records request"
    CONTINUITY = "continuity", "Continuity of care"
    PATIENT = "patient", "Patient's request"
    OTHER = "other", "Other"


class RecordKind(models.TextChoices):
    NOTE = "note", "Session note"
    PLAN = "plan", "Treatment plan"


class Disclosure(models.Model):
    Purpose = Purpose
    Kind = RecordKind

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="disclosures")
    kind = models.CharField(max_length=10, choices=RecordKind.choices)
    # What was released: one of these, as `kind` says.
    note = models.ForeignKey(
        Note, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan_version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient = models.CharField(max_length=RECIPIENT_MAX_LENGTH)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    purpose_other = models.CharField(max_length=PURPOSE_OTHER_MAX_LENGTH, blank=True)
    # In words, as the patient's accounting shows it ("Couples therapy note, session of …").
    description = models.CharField(max_length=DESCRIPTION_MAX_LENGTH)
    disclosed_at = models.DateTimeField()
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-disclosed_at", "-pk"]
        indexes = [models.Index(fields=["partner", "disclosed_at"], name="disclosure_partner_at")]
        constraints = [
            models.CheckConstraint(
                condition=GreaterThan(Length(Trim("recipient")), 0),
                name="disclosure_recipient_named",
                violation_error_message="Name the recipient.",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("recipient"), RECIPIENT_MAX_LENGTH),
                name="disclosure_recipient_bounded",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("purpose_other"), PURPOSE_OTHER_MAX_LENGTH),
                name="disclosure_purpose_other_bounded",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="disclosure_description_bounded",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="disclosure_purpose_known"
            ),
            # "Other" says what it is; the listed purposes carry no free text.
            models.CheckConstraint(
                condition=Q(purpose="other") & GreaterThan(Length(Trim("purpose_other")), 0)
                | ~Q(purpose="other") & Q(purpose_other=""),
                name="disclosure_other_purpose_said",
                violation_error_message="Say what the record is for.",
            ),
            models.CheckConstraint(
                condition=Q(kind="note", note__isnull=False, plan_version__isnull=True)
                | Q(kind="plan", note__isnull=True, plan_version__isnull=False),
                name="disclosure_kind_matches_record",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} released to {self.recipient}"

    @property
    def purpose_words(self) -> str:
        """The purpose as the document and the accounting say it."""
        if self.purpose == self.Purpose.OTHER:
            return self.purpose_other
        return self.get_purpose_display()
