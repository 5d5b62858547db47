"""Care teams: who treats a couple, in which role, since when."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from common.constraints import CheckConstraint
from couples.models.people import Clinician, Couple, Partner
from couples.rules import (
    PARTNER_ROLES,
    CareRole,
    care_team_conflicts,
    current_team_with,
)


class CareAssignment(models.Model):
    """Who held which care-team role for a couple or one partner, and when.

    A change of clinician ends the current row and starts a new one, so the
    history of who treated whom is never overwritten.
    """

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="care_assignments")
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="care_assignments",
        help_text="Empty for the couples therapist; the patient for the other roles.",
    )
    clinician = models.ForeignKey(
        Clinician, on_delete=models.PROTECT, related_name="care_assignments"
    )
    role = models.CharField(max_length=30, choices=CareRole.choices)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            CheckConstraint(
                condition=models.Q(role=CareRole.COUPLES_THERAPIST, partner__isnull=True)
                | models.Q(role__in=sorted(PARTNER_ROLES), partner__isnull=False),
                name="care_assignment_role_matches_scope",
                violation_error_message=(
                    "The couples therapist is assigned to the couple; the other roles to a partner."
                ),
            ),
            CheckConstraint(
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
                name="care_assignment_ends_after_start",
                violation_error_message="An assignment cannot end before it starts.",
            ),
            models.UniqueConstraint(
                fields=["couple", "role"],
                condition=models.Q(ended_at__isnull=True, partner__isnull=True),
                name="care_assignment_one_current_couples_therapist",
                violation_error_message="This couple already has a current couples therapist.",
            ),
            models.UniqueConstraint(
                fields=["partner", "role"],
                condition=models.Q(ended_at__isnull=True),
                name="care_assignment_one_current_per_partner_role",
                violation_error_message="This partner already has a clinician in that role.",
            ),
        ]
        indexes = [models.Index(fields=["clinician", "ended_at"])]

    def __str__(self) -> str:
        whom = self.partner or self.couple
        return f"{self.clinician} as {self.get_role_display().lower()} for {whom}"

    @property
    def is_current(self) -> bool:
        return self.ended_at is None

    def clean(self):
        """The care-team rule, checked against the couple's other current assignments."""
        if self.clinician_id is None or self.couple_id is None or not self.role:
            return
        if self.partner_id is not None and self.partner.couple_id != self.couple_id:
            raise ValidationError({"partner": "This partner belongs to another couple."})
        if self.ended_at is not None:
            return  # Ending a row cannot break the rule.
        team = current_team_with(self, exclude_pk=self.pk)
        conflicts = care_team_conflicts(team)
        if conflicts:
            raise ValidationError(conflicts)
