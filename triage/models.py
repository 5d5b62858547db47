"""The clinicians' work queue: what a partner told the app that someone must act on."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from couples.models import Couple, Partner

NOTE_MAX_LENGTH = 500


class TriageItem(models.Model):
    """One thing for the care team to act on, raised by an event (a reported use, a request
    to be contacted, a measure). An item ends when someone on the team acknowledges it with a
    note, or by itself when its cause ends (`resolved_at`); a new event raises a new item (its
    source differs), the same event never a second one."""

    class Kind(models.TextChoices):
        SAFETY = "safety", "Safety screen positive"
        CONTACT_REQUEST = "contact_request", "Asked to be contacted today"
        REPORTED_USE = "reported_use", "Reported a use"
        MEASURE = "measure", "Measure worse or severe"
        MEASURE_OVERDUE = "measure_overdue", "Measure overdue"

    class Severity(models.IntegerChoices):
        URGENT = 1, "Urgent"
        HIGH = 2, "High"
        ROUTINE = 3, "Routine"

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="triage_items")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="triage_items"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    summary = models.CharField(max_length=200, help_text="What happened, in plain words.")
    source_ref = models.CharField(
        max_length=80, help_text="app_label.model:pk (or a key) of the event that raised it"
    )
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledgement_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    # An item whose cause ended (the overdue measure was filled) leaves the queue by itself.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_ref"], name="triage_item_once"),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                & ~Q(acknowledgement_note=""),
                name="triage_item_acknowledged_with_a_note",
                violation_error_message="Acknowledge an item with a short note.",
            ),
            models.CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=3), name="triage_item_severity"
            ),
        ]
        indexes = [
            models.Index(
                fields=["couple", "severity", "raised_at"],
                condition=Q(acknowledged_at__isnull=True, resolved_at__isnull=True),
                name="triage_item_open",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} ({self.get_severity_display()}) for couple {self.couple_id}"
        )
