"""What left the clinic: one row per patient whose record was released, and to whom.

This is the accounting of disclosures a clinic owes its patients (HIPAA, 45 CFR 164.528: the
date, the recipient, a brief description of what was disclosed and a statement of its purpose;
42 CFR part 2 programs keep the same list). Each row is written together with an audit event of
action "disclose" for the same patient (records.services), which is what the patient's "Who has
seen my records" page on the portal reads. A released couples note names both partners, so it
is two rows: each partner's accounting shows it. A partner's copy of their own record
(RecordExport, "Download my record") is one row too, to the partner themselves.

Rows are never changed or removed: a release cannot be taken back.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThan, LessThanOrEqual

from common.constraints import CheckConstraint
from common.dates import in_span
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
    EXPORT = "export", "Copy of my record"


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
    # A partner's copy of their own record (records.services_export).
    export = models.ForeignKey(
        "RecordExport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
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
            CheckConstraint(
                condition=GreaterThan(Length(Trim("recipient")), 0),
                name="disclosure_recipient_named",
                violation_error_message="Name the recipient.",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("recipient"), RECIPIENT_MAX_LENGTH),
                name="disclosure_recipient_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("purpose_other"), PURPOSE_OTHER_MAX_LENGTH),
                name="disclosure_purpose_other_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="disclosure_description_bounded",
            ),
            CheckConstraint(
                condition=Q(purpose__in=Purpose.values), name="disclosure_purpose_known"
            ),
            # "Other" says what it is; the listed purposes carry no free text.
            CheckConstraint(
                condition=Q(purpose="other") & GreaterThan(Length(Trim("purpose_other")), 0)
                | ~Q(purpose="other") & Q(purpose_other=""),
                name="disclosure_other_purpose_said",
                violation_error_message="Say what the record is for.",
            ),
            CheckConstraint(
                condition=Q(
                    kind="note", note__isnull=False, plan_version__isnull=True, export__isnull=True
                )
                | Q(kind="plan", note__isnull=True, plan_version__isnull=False, export__isnull=True)
                | Q(
                    kind="export",
                    note__isnull=True,
                    plan_version__isnull=True,
                    export__isnull=False,
                ),
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


# A copy lasts a day after it is ready; its files are then cleared (export_expire).
EXPORT_LIFETIME_HOURS = 24
ERROR_MAX_LENGTH = 200
# A year of daily check-ins makes a bundle of a few megabytes: these bound a runaway record.
BUNDLE_MAX_CHARS = 64 * 1024 * 1024
SUMMARY_MAX_BYTES = 64 * 1024 * 1024


class RecordExport(models.Model):
    """A partner's copy of their own record ("Download my record" on the portal): the FHIR
    bundle as JSON and a printable summary, built by a Celery task, kept for a day.

    Queued and working exports are "in progress": at most one per partner (two taps make
    one). Once ready it holds both files until `expires_at`; the daily sweep then clears
    them and stores "expired" (a download refuses an export past `expires_at` even before
    the sweep). A failed export keeps a short error, never any health detail; asking again
    makes a new one."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        WORKING = "working", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be prepared"
        EXPIRED = "expired", "Expired"

    class SummaryFormat(models.TextChoices):
        PDF = "pdf", "PDF"
        # Where the server cannot make PDFs (no Pango, records.pdf): a page to print.
        HTML = "html", "Page to print"

    IN_PROGRESS = (Status.QUEUED, Status.WORKING)

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="record_exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # The files, kept in the database for their one day (no copy on disk to forget).
    bundle = models.TextField(blank=True, default="")
    summary = models.BinaryField(null=True, blank=True)
    summary_format = models.CharField(max_length=4, choices=SummaryFormat.choices, blank=True)
    bundle_size = models.PositiveIntegerField(default=0)
    summary_size = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=ERROR_MAX_LENGTH, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"], name="record_export_status_exp")]
        constraints = [
            CheckConstraint(
                condition=Q(status__in=["queued", "working", "ready", "failed", "expired"]),
                name="record_export_status_known",
            ),
            CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=100),
                name="record_export_progress_percent",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("error"), ERROR_MAX_LENGTH),
                name="record_export_error_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("bundle"), BUNDLE_MAX_CHARS),
                name="record_export_bundle_bounded",
            ),
            CheckConstraint(
                condition=Q(summary_size__lte=SUMMARY_MAX_BYTES),
                name="record_export_summary_bounded",
            ),
            # Ready: both files, when it became ready and when it ends.
            CheckConstraint(
                condition=~Q(status="ready")
                | Q(
                    ready_at__isnull=False,
                    expires_at__isnull=False,
                    summary__isnull=False,
                    summary_format__in=["pdf", "html"],
                    progress=100,
                )
                & ~Q(bundle=""),
                name="record_export_ready_has_content",
            ),
            # Anything not ready holds no file: an expired or failed copy keeps nothing.
            CheckConstraint(
                condition=Q(status="ready") | Q(bundle="", summary__isnull=True),
                name="record_export_only_ready_has_content",
            ),
            CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("ready_at")),
                name="record_export_expires_after_ready",
            ),
            # Two taps make one: one export in progress per partner.
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(status__in=["queued", "working"]),
                name="record_export_one_in_progress",
            ),
        ]

    def __str__(self) -> str:
        return f"Record export {self.pk} ({self.get_status_display()})"

    @property
    def is_in_progress(self) -> bool:
        return self.status in self.IN_PROGRESS


# A records request: HIPAA's right of access (45 CFR 164.524(b)(2)) gives the clinic 30 days.
REQUEST_DAYS = 30
CONSENT_REFERENCE_MAX_LENGTH = 200
DELIVERY_NOTE_MAX_LENGTH = 300


class RecordsRequest(models.Model):
    """A request for a copy of a partner's record that reached the clinic by letter, phone or
    at the desk, worked in the admin (records.services_requests): logged, produced (a
    RecordExport built by the same path as "Download my record"), delivered, or withdrawn.

    The patient's own request goes to the patient; anyone else receives a copy only under a
    Part 2 written consent naming them (42 CFR 2.31), filed where `consent_reference` says.
    The disclosure is recorded in the partner's accounting when the copy is delivered."""

    class Source(models.TextChoices):
        PATIENT = "patient", "The patient (right of access)"
        CONSENT = "consent", "Part 2 consent to a named recipient"

    class Form(models.TextChoices):
        FHIR = "fhir", "FHIR R4 bundle (JSON)"
        SUMMARY = "summary", "Printable summary"
        BOTH = "both", "Both"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PRODUCED = "produced", "Copy produced"
        DELIVERED = "delivered", "Delivered"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DeliveryMethod(models.TextChoices):
        SECURE_EMAIL = "secure_email", "Secure email"
        PORTAL = "portal", "Patient portal"
        MAIL = "mail", "Mail"
        IN_PERSON = "in_person", "In person"
        FAX = "fax", "Fax"

    # Still to be answered: the work queue's top.
    WAITING = (Status.OPEN, Status.PRODUCED)
    # What a consent may release a record for (the patient's own request is Purpose.PATIENT).
    CONSENT_PURPOSES = (Purpose.CONTINUITY, Purpose.PAYER, Purpose.OTHER)

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="records_requests")
    source = models.CharField(max_length=10, choices=Source.choices)
    # The patient's own name for their own request (filled by the service), else the
    # consent's named recipient.
    recipient = models.CharField(max_length=RECIPIENT_MAX_LENGTH)
    consent_reference = models.CharField(
        max_length=CONSENT_REFERENCE_MAX_LENGTH,
        blank=True,
        help_text="Where the signed consent is filed (a scan's name, a binder and page).",
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    purpose_other = models.CharField(max_length=PURPOSE_OTHER_MAX_LENGTH, blank=True)
    received_on = models.DateField()
    due_on = models.DateField()
    form = models.CharField(max_length=10, choices=Form.choices, default=Form.BOTH)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    export = models.ForeignKey(
        RecordExport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delivered_on = models.DateField(null=True, blank=True)
    delivery_method = models.CharField(max_length=15, choices=DeliveryMethod.choices, blank=True)
    delivery_note = models.CharField(max_length=DELIVERY_NOTE_MAX_LENGTH, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    logged_at = models.DateTimeField()
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"], name="records_request_queue")]
        constraints = [
            CheckConstraint(
                condition=Q(source__in=["patient", "consent"]), name="records_request_source_known"
            ),
            CheckConstraint(
                condition=Q(form__in=["fhir", "summary", "both"]), name="records_request_form_known"
            ),
            CheckConstraint(
                condition=Q(status__in=["open", "produced", "delivered", "withdrawn"]),
                name="records_request_status_known",
            ),
            CheckConstraint(
                condition=Q(
                    delivery_method__in=["", "secure_email", "portal", "mail", "in_person", "fax"]
                ),
                name="records_request_method_known",
            ),
            CheckConstraint(
                condition=GreaterThan(Length(Trim("recipient")), 0),
                name="records_request_recipient_named",
                violation_error_message="Name the recipient.",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("recipient"), RECIPIENT_MAX_LENGTH),
                name="records_request_recipient_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(
                    Length("consent_reference"), CONSENT_REFERENCE_MAX_LENGTH
                ),
                name="records_request_consent_ref_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("purpose_other"), PURPOSE_OTHER_MAX_LENGTH),
                name="records_request_purpose_other_bounded",
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("delivery_note"), DELIVERY_NOTE_MAX_LENGTH),
                name="records_request_delivery_note_bounded",
            ),
            # A consent says where it is filed and what it releases the record for; the
            # patient's own request needs neither.
            CheckConstraint(
                condition=Q(
                    source="consent",
                    purpose__in=["continuity", "payer", "other"],
                )
                & GreaterThan(Length(Trim("consent_reference")), 0)
                | Q(source="patient", purpose="patient", consent_reference=""),
                name="records_request_source_matches",
                violation_error_message="A consent names where it is filed and its purpose.",
            ),
            CheckConstraint(
                condition=Q(purpose="other") & GreaterThan(Length(Trim("purpose_other")), 0)
                | ~Q(purpose="other") & Q(purpose_other=""),
                name="records_request_other_purpose_said",
                violation_error_message="Say what the record is for.",
            ),
            # The 30-day clock, stored so the work queue can sort and filter on it.
            CheckConstraint(
                condition=Q(due_on=F("received_on") + datetime.timedelta(days=REQUEST_DAYS)),
                name="records_request_due_in_30_days",
            ),
            CheckConstraint(condition=in_span("received_on"), name="records_request_received_span"),
            CheckConstraint(
                condition=in_span("delivered_on", nullable=True)
                & (Q(delivered_on__isnull=True) | Q(delivered_on__gte=F("received_on"))),
                name="records_request_delivered_on_sensible",
            ),
            # A copy produced or delivered has its export.
            CheckConstraint(
                condition=~Q(status__in=["produced", "delivered"]) | Q(export__isnull=False),
                name="records_request_produced_has_export",
            ),
            # Delivered: when, how and by whom; until then none of it.
            CheckConstraint(
                condition=Q(
                    status="delivered",
                    delivered_on__isnull=False,
                    delivered_by__isnull=False,
                )
                & ~Q(delivery_method="")
                | ~Q(status="delivered")
                & Q(delivered_on__isnull=True, delivered_by__isnull=True, delivery_method=""),
                name="records_request_delivery_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Records request {self.pk} ({self.get_status_display()})"

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING

    @property
    def purpose_words(self) -> str:
        if self.purpose == Purpose.OTHER:
            return self.purpose_other
        return self.get_purpose_display()
