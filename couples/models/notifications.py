"""The outbox: each notification a row before it is sent, and who wants what."""

import datetime

from django.conf import settings
from django.db import models

from common.constraints import CheckConstraint


class NotificationPreference(models.Model):
    """How and when one person wants to hear from the clinic. No row means the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_enabled = models.BooleanField("email", default=True)
    in_app_enabled = models.BooleanField("in the app", default=True)
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="Empty: the couple's zone, or the clinic's."
    )
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    checkin_prompt_time = models.TimeField(default=datetime.time(20, 0))
    checkin_prompts = models.BooleanField("daily check-in prompt", default=True)
    goal_review_prompts = models.BooleanField("weekly goal review", default=True)
    session_reminders = models.BooleanField(
        null=True, blank=True, help_text="Empty: on for partners, off for clinicians."
    )
    morning_digest = models.BooleanField("clinician morning digest", default=True)
    digest_time = models.TimeField(default=datetime.time(7, 0))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_neither",
                violation_error_message="Give quiet hours a start and an end, or neither.",
            ),
            CheckConstraint(
                condition=models.Q(email_enabled=True) | models.Q(in_app_enabled=True),
                name="notification_some_channel",
                violation_error_message="Keep at least one way to reach you: email or the app.",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.user}"


class Notification(models.Model):
    """One message to one person: the outbox row, written before anything is sent.

    The key (kind, recipient, object, slot) is unique, so planning it twice, a second beat
    or a retried task can never make a second message.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        # A permanent refusal (a 5xx reply for that address): trying again will not help.
        FAILED = "failed", "Failed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        # Temporary failures lasted until the message no longer meant anything (the session
        # had started, the day was over): it was never delivered.
        EXPIRED = "expired", "Expired"

    kind = models.CharField(max_length=40)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    object_ref = models.CharField(max_length=80, help_text="app_label.model:pk of what it is about")
    slot = models.DateTimeField(help_text="The moment the message belongs to (part of the key).")
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    status_note = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)
    in_app = models.BooleanField(default=False)
    subject = models.CharField(max_length=200, blank=True)
    link = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "object_ref", "slot"], name="notification_once"
            ),
            CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="notification_sent_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="queued"),
                name="notification_due",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=models.Q(status="sending"),
                name="notification_claimed",
            ),
            # Messages never delivered lately, for the admin's notice (few rows, so small).
            models.Index(
                fields=["due_at"],
                condition=models.Q(status__in=["failed", "expired"]),
                name="notification_undelivered",
            ),
            models.Index(fields=["recipient", "-sent_at"], name="notification_inbox"),
            models.Index(fields=["object_ref", "status"], name="notification_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} for {self.object_ref} ({self.status})"
