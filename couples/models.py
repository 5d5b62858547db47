import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from couples.rules import (
    PARTNER_ROLES,
    ROLE_CAPABILITY,
    CareRole,
    care_team_conflicts,
    current_team_with,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email: str):
        return self.get(email__iexact=email)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in: partners, clinicians and clinic staff. Email is the login."""

    email = models.EmailField("email address", unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the admin site (after setting up two-factor)."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unticking this signs the person out everywhere."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    invited_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email


class Clinician(models.Model):
    """A member of the clinical staff, and the care-team roles they may hold."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    credentials = models.CharField(max_length=100, blank=True, help_text="For example LMFT, LCSW")
    can_be_individual_therapist = models.BooleanField(default=False)
    can_be_couples_therapist = models.BooleanField(default=False)
    can_be_counselor = models.BooleanField("can be drug & alcohol counselor", default=False)
    can_be_medical_provider = models.BooleanField(default=False)

    class Meta:
        ordering = ["user__last_name", "user__first_name"]

    def __str__(self) -> str:
        name = self.user.get_full_name() or self.user.email
        return f"{name}, {self.credentials}" if self.credentials else name

    def clean(self):
        """A patient is never also a clinician, and a capability cannot be taken away
        while the clinician holds that role somewhere."""
        if self.user_id is not None and Partner.objects.filter(user_id=self.user_id).exists():
            raise ValidationError({"user": "This person is a patient and cannot be a clinician."})
        if self.pk is None:
            return
        held = CareAssignment.objects.filter(clinician=self, ended_at__isnull=True)
        problems = []
        for role, flag in ROLE_CAPABILITY.items():
            if getattr(self, flag):
                continue
            couples = sorted({a.couple_id for a in held if a.role == role})
            if couples:
                names = ", ".join(f"Couple #{pk}" for pk in couples)
                problems.append(
                    f"{self} is still {CareRole(role).label.lower()} for {names}: "
                    "assign someone else first."
                )
        if problems:
            raise ValidationError(problems)

    @property
    def role_labels(self) -> list[str]:
        labels = [
            (self.can_be_individual_therapist, "Individual therapist"),
            (self.can_be_couples_therapist, "Couples therapist"),
            (self.can_be_counselor, "Drug & alcohol counselor"),
            (self.can_be_medical_provider, "Medical provider"),
        ]
        return [label for allowed, label in labels if allowed]


class Couple(models.Model):
    """The unit of care: two partners in the program together."""

    class Status(models.TextChoices):
        INTAKE = "intake", "Intake"
        ACTIVE = "active", "Active"
        STEP_DOWN = "step_down", "Step-down"
        DISCHARGED = "discharged", "Discharged"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INTAKE)
    level_of_care = models.CharField(max_length=50, default="ASAM 2.1 IOP")
    admitted_on = models.DateField(null=True, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(admitted_on__isnull=False, discharged_on__gte=models.F("admitted_on")),
                name="couple_discharge_after_admission",
                violation_error_message="Discharge must be on or after admission.",
            ),
        ]

    def __str__(self) -> str:
        return f"Couple #{self.pk}"


class CoupleRevision(models.Model):
    """How often what is shown about a couple has changed: raised by database triggers in the
    transaction of each change (couples/revisions.py), never written by the application.
    No row means revision 0. Rendered parts of pages are kept under it (couples/fragments.py).
    """

    couple = models.OneToOneField(
        Couple,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # the triggers may raise it in the transaction deleting a couple
        related_name="revision",
    )
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Couple #{self.couple_id} at revision {self.value}"


class Partner(models.Model):
    """A patient: one of the two people in a couple."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="partners")
    preferred_name = models.CharField(max_length=100, blank=True)
    sobriety_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["couple_id", "id"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self):
        # Someone who treats patients here is never also one of them: their roles would mix.
        if self.user_id is not None and Clinician.objects.filter(user_id=self.user_id).exists():
            raise ValidationError({"user": "This person is a clinician and cannot be a patient."})

    @property
    def display_name(self) -> str:
        return self.name_from(self.preferred_name, self.user.first_name, self.user.email)

    @staticmethod
    def name_from(preferred_name: str, first_name: str, email: str) -> str:
        """The name shown for a partner, from plain values (queries that read no instances)."""
        return preferred_name or first_name or email


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
            models.CheckConstraint(
                condition=models.Q(role=CareRole.COUPLES_THERAPIST, partner__isnull=True)
                | models.Q(role__in=sorted(PARTNER_ROLES), partner__isnull=False),
                name="care_assignment_role_matches_scope",
                violation_error_message=(
                    "The couples therapist is assigned to the couple; the other roles to a partner."
                ),
            ),
            models.CheckConstraint(
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


class SharingConsent(models.Model):
    """A partner's permission to show their individual goals and check-ins to their partner.

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
            models.CheckConstraint(
                condition=~models.Q(partner=models.F("recipient")),
                name="consent_not_to_oneself",
                violation_error_message="A partner cannot grant consent to themselves.",
            ),
            models.CheckConstraint(
                condition=models.Q(shares_goals=True) | models.Q(shares_checkins=True),
                name="consent_shares_something",
                violation_error_message="Choose at least one thing to share.",
            ),
            models.CheckConstraint(
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
        ]
        return [label for shared, label in labels if shared]


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
            models.CheckConstraint(
                condition=models.Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                | models.Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False),
                name="notification_quiet_hours_both_or_neither",
                violation_error_message="Give quiet hours a start and an end, or neither.",
            ),
            models.CheckConstraint(
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
        FAILED = "failed", "Failed"
        WITHDRAWN = "withdrawn", "Withdrawn"

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
            models.CheckConstraint(
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
            models.Index(fields=["recipient", "-sent_at"], name="notification_inbox"),
            models.Index(fields=["object_ref", "status"], name="notification_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} for {self.object_ref} ({self.status})"
