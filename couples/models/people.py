"""People: users, clinicians, couples and partners."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from common.constraints import CheckConstraint
from common.dates import BIRTH, SOBRIETY, SPAN_WORDS, date_within, in_span
from common.zones import zone_named
from couples.rules import (
    ROLE_CAPABILITY,
    CareRole,
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
    second_factor_setup_until = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=(
            "Until then this person may set up a first authenticator app. Invitations and a "
            "staff reset open the window; setting one up closes it."
        ),
    )

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
    # A supervisee's signed session notes wait for this clinician's co-signature.
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supervisees"
    )

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            CheckConstraint(
                condition=~models.Q(supervisor=models.F("pk")),
                name="clinician_not_own_supervisor",
                violation_error_message="A clinician cannot supervise themselves.",
            ),
        ]

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
        held = self.care_assignments.filter(ended_at__isnull=True)
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

    # Intake has not started and discharge has ended: only these get prompts, alerts and
    # queue items.
    IN_TREATMENT = (Status.ACTIVE, Status.STEP_DOWN)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INTAKE)
    level_of_care = models.CharField(max_length=50, default="ASAM 2.1 IOP")
    admitted_on = models.DateField(null=True, blank=True)
    discharged_on = models.DateField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            CheckConstraint(
                condition=models.Q(discharged_on__isnull=True)
                | models.Q(admitted_on__isnull=False, discharged_on__gte=models.F("admitted_on")),
                name="couple_discharge_after_admission",
                violation_error_message="Discharge must be on or after admission.",
            ),
            CheckConstraint(
                condition=in_span("admitted_on", nullable=True),
                name="couple_admitted_in_span",
                violation_error_message=f"The admission date falls {SPAN_WORDS}.",
            ),
        ]

    def __str__(self) -> str:
        return f"Couple #{self.pk}"


class Partner(models.Model):
    """A patient: one of the two people in a couple."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="partners")
    preferred_name = models.CharField(max_length=100, blank=True)
    sobriety_date = models.DateField(null=True, blank=True)
    # What payers and a receiving program identify a patient by, with the legal name; on the
    # documents that leave the clinic and on the partner's own copy of their record.
    date_of_birth = models.DateField(null=True, blank=True)
    # When the partner finished or skipped the welcome after their invitation: shown once.
    welcomed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["couple_id", "id"]

    def __str__(self) -> str:
        return self.display_name

    def clean(self):
        # Someone who treats patients here is never also one of them: their roles would mix.
        if self.user_id is not None and Clinician.objects.filter(user_id=self.user_id).exists():
            raise ValidationError({"user": "This person is a clinician and cannot be a patient."})
        if self.sobriety_date is not None and self.couple_id is not None:
            # Staff set it in the admin, whose forms come here. A date in the future or a
            # lifetime ago is a typing slip that would show a nonsense streak.
            today = timezone.localdate(timezone=zone_named(self.couple.time_zone))
            date_within(
                self.sobriety_date,
                earliest=SOBRIETY.around(today)[0],
                latest=today,
                field="sobriety_date",
                label="a sobriety date",
            )
        if self.date_of_birth is not None and self.couple_id is not None:
            today = timezone.localdate(timezone=zone_named(self.couple.time_zone))
            date_within(
                self.date_of_birth,
                earliest=BIRTH.around(today)[0],
                latest=today,
                field="date_of_birth",
                label="a date of birth",
            )

    @property
    def display_name(self) -> str:
        return self.name_from(self.preferred_name, self.user.first_name, self.user.email)

    @staticmethod
    def name_from(preferred_name: str, first_name: str, email: str) -> str:
        """The name shown for a partner, from plain values (queries that read no instances)."""
        return preferred_name or first_name or email
