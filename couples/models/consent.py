"""Consent: a partner's dated grants (and revocations) to share with the other partner."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from common.constraints import CheckConstraint
from couples.models.people import Partner


class SharingConsent(models.Model):
    """A partner's permission to show their individual goals, check-ins and questionnaire
    scores (measures) to their partner.

    42 CFR Part 2: what is shared, with whom, for what purpose and until when. A
    revocation fills revoked_at; a new grant is a new row, so the history stays.
    """

    DEFAULT_PURPOSE = "Mutual support in our couples recovery program"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="consents_given")
    recipient = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="consents_received"
    )
    shares_goals = models.BooleanField("share my individual goals and progress", default=True)
    shares_checkins = models.BooleanField("share my daily check-ins", default=True)
    # Off unless chosen: scores say more about a partner's health than goals or check-ins.
    shares_measures = models.BooleanField(
        "share my questionnaire scores (such as PHQ-9 and GAD-7)", default=False
    )
    purpose = models.CharField(max_length=200, default=DEFAULT_PURPOSE)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_on = models.DateField(
        null=True, blank=True, help_text="Sharing stops by itself after this day."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            CheckConstraint(
                condition=~models.Q(partner=models.F("recipient")),
                name="consent_not_to_oneself",
                violation_error_message="A partner cannot grant consent to themselves.",
            ),
            CheckConstraint(
                condition=models.Q(shares_goals=True)
                | models.Q(shares_checkins=True)
                | models.Q(shares_measures=True),
                name="consent_shares_something",
                violation_error_message="Choose at least one thing to share.",
            ),
            CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_at__gte=models.F("granted_at")),
                name="consent_revoked_after_granted",
                violation_error_message="A consent cannot be revoked before it was granted.",
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=models.Q(revoked_at__isnull=True),
                name="consent_one_open_per_partner",
                violation_error_message="There is already an open consent: revoke it first.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} shares with {self.recipient}"

    def is_active_on(self, day) -> bool:
        return self.revoked_at is None and (self.expires_on is None or day <= self.expires_on)

    @property
    def scope_labels(self) -> list[str]:
        labels = [
            (self.shares_goals, "individual goals and progress"),
            (self.shares_checkins, "daily check-ins"),
            (self.shares_measures, "questionnaire scores"),
        ]
        return [label for shared, label in labels if shared]

    @property
    def scope_words(self) -> str:
        """The scope in a sentence: "daily check-ins and questionnaire scores"."""
        labels = self.scope_labels
        return " and ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 2 else labels)
