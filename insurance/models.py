import datetime
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import F, Q

from common.constraints import CheckConstraint
from common.dates import (
    AUTHORIZATION_LENGTH,
    COVERAGE_LENGTH,
    DAYS_IN_A_YEAR_AT_MOST,
    SPAN_WORDS,
    in_span,
)
from couples.models import Partner

# The longest a plan or an authorization may run, in days, as a constraint can count them
# (the services refuse the same in calendar years, which is never longer).
COVERAGE_MAX_DAYS = datetime.timedelta(days=COVERAGE_LENGTH.years_ahead * DAYS_IN_A_YEAR_AT_MOST)
AUTHORIZATION_MAX_DAYS = datetime.timedelta(
    days=AUTHORIZATION_LENGTH.years_ahead * DAYS_IN_A_YEAR_AT_MOST
)


class Payer(models.Model):
    """An insurance company."""

    name = models.CharField(max_length=120, unique=True)
    phone = models.CharField(max_length=40, blank=True)
    payer_id = models.CharField("payer ID (EDI)", max_length=20, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Coverage(models.Model):
    """One partner's insurance plan, possibly as a dependent on the other partner's plan."""

    class PlanType(models.TextChoices):
        PPO = "ppo", "PPO"
        HMO = "hmo", "HMO"
        EPO = "epo", "EPO"
        POS = "pos", "POS"
        OTHER = "other", "Other"

    class Relationship(models.TextChoices):
        SELF = "self", "Self"
        SPOUSE = "spouse", "Spouse"
        DOMESTIC_PARTNER = "domestic_partner", "Domestic partner"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", "Unverified"
        PENDING = "pending", "Verification pending"
        VERIFIED = "verified", "Verified"
        DENIED = "denied", "Denied"
        EXPIRED = "expired", "Expired"

    class Method(models.TextChoices):
        PHONE = "phone", "Phone call to the payer"
        PORTAL = "portal", "Payer portal"
        EDI = "edi", "Electronic eligibility check (270/271)"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    plan_type = models.CharField(max_length=10, choices=PlanType.choices, default=PlanType.PPO)
    plan_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=40)
    group_number = models.CharField(max_length=40, blank=True)
    subscriber_name = models.CharField(max_length=150)
    relationship = models.CharField(
        "patient's relationship to the subscriber",
        max_length=20,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    effective_on = models.DateField()
    terminates_on = models.DateField(null=True, blank=True)
    deductible = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    deductible_met = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    out_of_pocket_max = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    out_of_pocket_met = models.DecimalField(max_digits=9, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.UNVERIFIED)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(max_length=10, choices=Method.choices, blank=True)
    reference_number = models.CharField(max_length=60, blank=True)
    reverify_on = models.DateField(null=True, blank=True, help_text="When to check it again.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["status", "partner_id"]
        indexes = [
            models.Index(fields=["status", "reverify_on"]),
            models.Index(fields=["terminates_on"]),
            # The admin's work queue in its order (the admin adds -pk), whole or by status.
            models.Index(fields=["status", "partner", "-id"], name="coverage_queue_order_idx"),
        ]
        constraints = [
            CheckConstraint(
                condition=Q(terminates_on__isnull=True) | Q(terminates_on__gte=F("effective_on")),
                name="coverage_ends_after_start",
                violation_error_message="The plan cannot end before it starts.",
            ),
            CheckConstraint(
                condition=in_span("effective_on") & in_span("reverify_on", nullable=True),
                name="coverage_dates_in_span",
                violation_error_message=f"A plan's start and its next check fall {SPAN_WORDS}.",
            ),
            CheckConstraint(
                condition=Q(terminates_on__isnull=True)
                | Q(terminates_on__lte=F("effective_on") + COVERAGE_MAX_DAYS),
                name="coverage_ends_within_years",
                violation_error_message=(
                    f"A plan ends within {COVERAGE_LENGTH.years_ahead} years of its start."
                ),
            ),
            CheckConstraint(
                condition=Q(deductible__gte=0)
                & Q(deductible_met__gte=0)
                & Q(out_of_pocket_max__gte=0)
                & Q(out_of_pocket_met__gte=0),
                name="coverage_amounts_not_negative",
                violation_error_message="Amounts cannot be negative.",
            ),
            CheckConstraint(
                condition=~Q(status="verified")
                | (
                    Q(verified_at__isnull=False)
                    & ~Q(verification_method="")
                    & ~Q(reference_number="")
                ),
                name="coverage_verified_has_evidence",
                violation_error_message=(
                    "A verified coverage records when, how and the payer's reference number."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.get_plan_type_display()} for {self.partner}"


class CoverageStatusChange(models.Model):
    """Every change of a coverage's verification status: who, when, why (never edited)."""

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Coverage.Status.choices)
    to_status = models.CharField(max_length=20, choices=Coverage.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.coverage}: {self.from_status} → {self.to_status}"


class Benefit(models.Model):
    """What a coverage pays for one category of care."""

    class Category(models.TextChoices):
        THERAPY = "therapy", "Therapy services"
        MEDICAL = "medical", "Medical visits"
        STAY = "stay", "Stay"
        MEALS = "meals", "Meals"
        MEDICATIONS = "medications", "Medications"
        SOBER_ACTIVITIES = "sober_activities", "Sober activities"
        IOP = "iop", "The IOP program"

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="benefits")
    category = models.CharField(max_length=20, choices=Category.choices)
    is_covered = models.BooleanField(default=True)
    copay = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    coinsurance_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    needs_prior_authorization = models.BooleanField(default=False)
    visit_limit = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(
                fields=["coverage", "category"], name="benefit_once_per_category"
            ),
            CheckConstraint(
                condition=Q(copay__gte=0),
                name="benefit_copay_not_negative",
                violation_error_message="A copay cannot be negative.",
            ),
            CheckConstraint(
                condition=Q(coinsurance_percent__gte=0, coinsurance_percent__lte=100),
                name="benefit_coinsurance_0_to_100",
                violation_error_message="Coinsurance is a percentage from 0 to 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.coverage})"


class Authorization(models.Model):
    """IOP units the payer authorized for a date range; units used come from attendance."""

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="authorizations")
    number = models.CharField("authorization number", max_length=60)
    starts_on = models.DateField()
    ends_on = models.DateField()
    units_authorized = models.PositiveSmallIntegerField(
        help_text="One unit = one IOP day attended."
    )

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="authorization_ends_after_start",
                violation_error_message="An authorization cannot end before it starts.",
            ),
            CheckConstraint(
                condition=in_span("starts_on")
                & Q(ends_on__lte=F("starts_on") + AUTHORIZATION_MAX_DAYS),
                name="authorization_dates_in_span",
                violation_error_message=(
                    f"An authorization starts {SPAN_WORDS} and ends within "
                    f"{AUTHORIZATION_LENGTH.years_ahead} years of its start."
                ),
            ),
            CheckConstraint(
                condition=Q(units_authorized__gte=1),
                name="authorization_has_units",
                violation_error_message="Authorize at least one unit.",
            ),
        ]

    def __str__(self) -> str:
        return f"Authorization {self.number}"


def private_storage():
    """Where card images live: never under MEDIA_ROOT, never with a public URL."""
    return storages["private"]


def card_upload_to(card: "CoverageCard", filename: str) -> str:
    return f"insurance/cards/{card.coverage_id}/{card.side}-{uuid.uuid4().hex}{card.extension}"


class CoverageCard(models.Model):
    """A photo of one side of an insurance card, stored privately (see private_storage)."""

    class Side(models.TextChoices):
        FRONT = "front", "Front"
        BACK = "back", "Back"

    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, related_name="cards")
    side = models.CharField(max_length=5, choices=Side.choices)
    image = models.FileField(storage=private_storage, upload_to=card_upload_to, max_length=200)
    content_type = models.CharField(max_length=20)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["coverage", "side"]
        constraints = [
            models.UniqueConstraint(fields=["coverage", "side"], name="coverage_card_once_per_side")
        ]

    def __str__(self) -> str:
        return f"{self.get_side_display()} of the card for {self.coverage}"

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(
            self.content_type, ""
        )
