"""The clinicians' work queue: what a partner told the app that someone must act on."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.constraints import CheckConstraint
from common.dates import in_span
from couples.models import Couple, Partner

NOTE_MAX_LENGTH = 500
DETAIL_MAX_LENGTH = 1000
# How far ahead an item may be snoozed.
SNOOZE_MAX_DAYS = 14


_NO_FOLLOW_UP = Q(
    follow_up_contacted__isnull=True, follow_up_risk="", follow_up_plan_reviewed__isnull=True
)
# Reached: a risk and a yes or no about the plan. Not reached: no risk judged, no plan reviewed.
# The "is not null" terms keep a comparison with NULL from passing the check as unknown.
_FOLLOW_UP_FILLED = Q(follow_up_contacted__isnull=False, follow_up_plan_reviewed__isnull=False) & (
    Q(follow_up_contacted=True, follow_up_risk__in=["none", "low", "moderate", "high"])
    | Q(follow_up_contacted=False, follow_up_risk="", follow_up_plan_reviewed=False)
)


class TriageItem(models.Model):
    """One thing for the care team to act on, raised by an event (a reported use, a request
    to be contacted, a measure). An item ends when someone on the team acknowledges it with a
    note, or by itself when its cause ends (`resolved_at`); a new event raises a new item (its
    source differs), the same event never a second one. Meanwhile someone may mark that they
    reached the partner (`contacted_at`; the item stays open until acknowledged, as the
    acknowledgement is what documents the outcome) or, unless it is urgent, snooze it for up to
    two weeks (`snoozed_until`: back in the queue on that day)."""

    class Kind(models.TextChoices):
        SAFETY = "safety", "Safety screen positive"
        CONTACT_REQUEST = "contact_request", "Asked to be contacted today"
        REPORTED_USE = "reported_use", "Reported a use"
        MEASURE = "measure", "Measure worse or severe"
        HARD_DAYS = "hard_days", "High craving or very low mood"
        MEASURE_OVERDUE = "measure_overdue", "Measure overdue"
        CHECKINS_MISSED = "checkins_missed", "Check-ins missed"
        SESSION_REQUEST = "session_request", "Asked to move or cancel a session"
        GOAL_CHANGE_REQUEST = "goal_change_request", "Asked to change a goal"
        GOAL_STALLED = "goal_stalled", "No progress on a goal"
        RATINGS_APART = "ratings_apart", "Partners rate a shared goal far apart"
        IOP_SHORT = "iop_short", "Short of the week's IOP hours"
        NO_SESSION = "no_session", "No session in the next 7 days"
        COVERAGE = "coverage", "Coverage problem"
        PLAN_REVIEW = "plan_review", "Treatment plan review due"
        NOTE_OVERDUE = "note_overdue", "Session note not signed"

    class Severity(models.IntegerChoices):
        URGENT = 1, "Urgent"
        HIGH = 2, "High"
        ROUTINE = 3, "Routine"

    class Risk(models.TextChoices):
        """The risk a clinician judges after reaching the partner about a safety item."""

        NONE = "none", "None"
        LOW = "low", "Low"
        MODERATE = "moderate", "Moderate"
        HIGH = "high", "High"

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="triage_items")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="triage_items"
    )
    kind = models.CharField(max_length=40, choices=Kind.choices)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices)
    summary = models.CharField(max_length=200, help_text="What happened, in plain words.")
    # What the partner wrote about it, as they wrote it (a check-in's note): shown with the
    # item to the clinicians it is for, never in a message.
    detail = models.CharField(max_length=DETAIL_MAX_LENGTH, blank=True)
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
    # A safety item is acknowledged with its follow-up: whether the clinician reached the
    # partner, the risk they judged then (only if reached) and whether they reviewed the
    # safety plan together. Empty on every other item.
    follow_up_contacted = models.BooleanField(null=True, blank=True)
    follow_up_risk = models.CharField(max_length=10, choices=Risk.choices, blank=True)
    follow_up_plan_reviewed = models.BooleanField(null=True, blank=True)
    # Someone on the team reached the partner ("Mark contacted"): the item stays open until
    # acknowledged, but the team knows, and the on-call escalation is withdrawn.
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Out of the queue until this day (the clinic's), then back; never for an urgent item.
    snoozed_until = models.DateField(null=True, blank=True)
    snoozed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # An item for one clinician alone (a session note of theirs to sign or co-sign): in their
    # queue only, whether or not a role of theirs covers the couple; empty for the care team's.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # An item whose cause ended (the overdue measure was filled) leaves the queue by itself.
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "source_ref"], name="triage_item_once"),
            CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False)
                & ~Q(acknowledgement_note=""),
                name="triage_item_acknowledged_with_a_note",
                violation_error_message="Acknowledge an item with a short note.",
            ),
            CheckConstraint(
                condition=Q(severity__gte=1, severity__lte=3), name="triage_item_severity"
            ),
            CheckConstraint(
                condition=_NO_FOLLOW_UP & (~Q(kind="safety") | Q(acknowledged_at__isnull=True))
                | Q(kind="safety", acknowledged_at__isnull=False) & _FOLLOW_UP_FILLED,
                name="triage_item_safety_follow_up",
                violation_error_message=(
                    "Acknowledge a safety item with its follow-up: whether you reached the "
                    "partner, the risk after contact and whether you reviewed the safety plan."
                ),
            ),
            CheckConstraint(
                condition=Q(contacted_at__isnull=True, contacted_by__isnull=True)
                | Q(contacted_at__isnull=False, contacted_by__isnull=False),
                name="triage_item_contacted_by_someone",
            ),
            CheckConstraint(
                condition=Q(snoozed_until__isnull=True, snoozed_by__isnull=True)
                | Q(snoozed_until__isnull=False, snoozed_by__isnull=False)
                & ~Q(severity=1)
                & in_span("snoozed_until"),
                name="triage_item_snoozed_not_urgent",
                violation_error_message="An urgent item cannot be snoozed.",
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

    @property
    def needs_follow_up(self) -> bool:
        """Acknowledging it asks for the safety follow-up."""
        return self.kind == self.Kind.SAFETY

    @property
    def may_snooze(self) -> bool:
        return self.severity != self.Severity.URGENT
