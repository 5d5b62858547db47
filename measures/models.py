"""Measures: the schedule a clinician sets for a partner, and each response (kept while the
partner is part way through, scored when complete)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.constraints import CheckConstraint
from common.dates import in_span
from couples.models import Couple, Partner
from measures.instruments import CODE_CHOICES, SCHEDULED

SCHEDULED_CHOICES = [(i.code, i.name) for i in SCHEDULED]


class MeasureSchedule(models.Model):
    """How often a partner is asked to fill one measure: once at intake, weekly or every two
    weeks from `starts_on`. A change ends the current row and starts a new one, so the
    history of who asked for what stays readable."""

    class Cadence(models.TextChoices):
        ONCE = "once", "Once (at intake)"
        WEEKLY = "weekly", "Every week"
        FORTNIGHTLY = "fortnightly", "Every two weeks"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="measure_schedules")
    instrument = models.CharField(max_length=10, choices=SCHEDULED_CHOICES)
    cadence = models.CharField(max_length=12, choices=Cadence.choices)
    starts_on = models.DateField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "instrument"],
                condition=Q(ended_at__isnull=True),
                name="measure_schedule_one_current",
                violation_error_message="This partner already has a schedule for this measure.",
            ),
            CheckConstraint(condition=in_span("starts_on"), name="measure_schedule_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.get_cadence_display().lower()}"

    @property
    def interval_days(self) -> int | None:
        return {self.Cadence.WEEKLY: 7, self.Cadence.FORTNIGHTLY: 14}.get(self.cadence)


class MeasureResponse(models.Model):
    """One filling of one measure by (or, in session, for) one partner. Answers are kept as
    the partner goes, so they can stop and come back; completing scores it. A completed
    response is never changed."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "Started"
        COMPLETED = "completed", "Completed"

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="measure_responses")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="measure_responses")
    instrument = models.CharField(max_length=10, choices=CODE_CHOICES)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    # The scheduled occurrence this answers (empty: asked outside the schedule).
    due_on = models.DateField(null=True, blank=True)
    answers = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    subscales = models.JSONField(default=dict, blank=True)
    band_label = models.CharField(max_length=40, blank=True)
    band_level = models.PositiveSmallIntegerField(null=True, blank=True)
    flags = models.JSONField(default=list, blank=True)
    # A clinician who entered it for the partner (given in session); empty: the partner.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The C-SSRS screen follows the PHQ-9 that asked for it.
    follows = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )

    class Meta:
        constraints = [
            CheckConstraint(
                condition=Q(status="in_progress", completed_at__isnull=True, total__isnull=True)
                | Q(status="completed", completed_at__isnull=False, total__isnull=False),
                name="measure_response_scored_when_complete",
            ),
            CheckConstraint(
                condition=Q(total__isnull=True) | Q(total__lte=27),
                name="measure_response_total_range",
            ),
            CheckConstraint(
                condition=in_span("due_on", nullable=True), name="measure_response_due_on"
            ),
            # One filling per scheduled occurrence: a second tap or a second tab continues it.
            models.UniqueConstraint(
                fields=["partner", "instrument", "due_on"],
                condition=Q(due_on__isnull=False),
                name="measure_response_once_per_occurrence",
            ),
            # At most one started and not finished, per measure: coming back continues it.
            models.UniqueConstraint(
                fields=["partner", "instrument"],
                condition=Q(status="in_progress"),
                name="measure_response_one_in_progress",
            ),
        ]
        indexes = [
            models.Index(
                fields=["partner", "instrument", "completed_at"],
                condition=Q(status="completed"),
                name="measure_response_completed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} of partner {self.partner_id}"
