"""The ASAM assessment at admission and the treatment plan that answers it.

The six dimensions and the levels of care are those of The ASAM Criteria, 3rd edition
(Mee-Lee et al., American Society of Addiction Medicine, 2013): each dimension is rated for
risk from 0 (none) to 4 (severe). A signed assessment or plan version is locked: the services
refuse to change it; a new assessment, or a review's new version, takes its place as current
and the old one stays readable.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.constraints import CheckConstraint
from common.dates import in_span
from couples.models import Clinician, Couple, Partner

NARRATIVE_MAX_LENGTH = 1000
TEXT_MAX_LENGTH = 500
RATING_MAX = 4


class Dimension(models.IntegerChoices):
    """The ASAM Criteria (3rd ed., 2013), the six dimensions of multidimensional assessment."""

    INTOXICATION = 1, "1. Acute intoxication and/or withdrawal potential"
    BIOMEDICAL = 2, "2. Biomedical conditions and complications"
    EMOTIONAL = 3, "3. Emotional, behavioral, or cognitive conditions and complications"
    READINESS = 4, "4. Readiness to change"
    RELAPSE = 5, "5. Relapse, continued use, or continued problem potential"
    ENVIRONMENT = 6, "6. Recovery/living environment"


class LevelOfCare(models.TextChoices):
    """The ASAM Criteria (3rd ed.) levels of care; values as the couple's level_of_care."""

    EARLY_INTERVENTION = "ASAM 0.5", "0.5 Early intervention"
    OUTPATIENT = "ASAM 1 OP", "1 Outpatient services"
    IOP = "ASAM 2.1 IOP", "2.1 Intensive outpatient services"
    PHP = "ASAM 2.5 PHP", "2.5 Partial hospitalization services"
    RESIDENTIAL_LOW = "ASAM 3.1", "3.1 Clinically managed low-intensity residential"
    RESIDENTIAL_SPECIFIC = "ASAM 3.3", "3.3 Clinically managed population-specific residential"
    RESIDENTIAL_HIGH = "ASAM 3.5", "3.5 Clinically managed high-intensity residential"
    INPATIENT_MONITORED = "ASAM 3.7", "3.7 Medically monitored intensive inpatient"
    INPATIENT_MANAGED = "ASAM 4", "4 Medically managed intensive inpatient"


def _rating(dimension: Dimension) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose_name=f"{dimension.label} (risk 0–4)",
    )


def _narrative(dimension: Dimension) -> models.CharField:
    return models.CharField(
        max_length=NARRATIVE_MAX_LENGTH, blank=True, verbose_name=f"{dimension.label}: narrative"
    )


def rating_field(number: int) -> str:
    return f"dimension{number}_rating"


def narrative_field(number: int) -> str:
    return f"dimension{number}_narrative"


def _signed_together() -> Q:
    return Q(signed_at__isnull=True, signed_by__isnull=True) | Q(
        signed_at__isnull=False, signed_by__isnull=False
    )


class Assessment(models.Model):
    """One partner's ASAM assessment: a rating and a narrative per dimension, and the level
    of care they support. A draft until signed; the latest signed one is the current one."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="assessments")
    assessor = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    recommended_level = models.CharField(max_length=20, choices=LevelOfCare.choices)
    dimension1_rating = _rating(Dimension.INTOXICATION)
    dimension1_narrative = _narrative(Dimension.INTOXICATION)
    dimension2_rating = _rating(Dimension.BIOMEDICAL)
    dimension2_narrative = _narrative(Dimension.BIOMEDICAL)
    dimension3_rating = _rating(Dimension.EMOTIONAL)
    dimension3_narrative = _narrative(Dimension.EMOTIONAL)
    dimension4_rating = _rating(Dimension.READINESS)
    dimension4_narrative = _narrative(Dimension.READINESS)
    dimension5_rating = _rating(Dimension.RELAPSE)
    dimension5_narrative = _narrative(Dimension.RELAPSE)
    dimension6_rating = _rating(Dimension.ENVIRONMENT)
    dimension6_narrative = _narrative(Dimension.ENVIRONMENT)
    created_at = models.DateTimeField()
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            *(
                CheckConstraint(
                    condition=Q(**{f"{rating_field(n)}__lte": RATING_MAX}),
                    name=f"assessment_dimension{n}_rating_0_to_4",
                    violation_error_message="Rate each dimension from 0 to 4.",
                )
                for n in Dimension.values
            ),
            CheckConstraint(
                condition=in_span("assessed_on"), name="assessment_assessed_on_in_span"
            ),
            CheckConstraint(condition=_signed_together(), name="assessment_signed_by_someone"),
            # One draft at a time per partner: a second would hide the first.
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(signed_at__isnull=True),
                name="assessment_one_draft_per_partner",
                violation_error_message="This partner already has a draft assessment.",
            ),
        ]

    def __str__(self) -> str:
        return f"ASAM assessment of {self.partner} on {self.assessed_on}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def ratings(self) -> list[tuple[str, int, str]]:
        """(dimension, rating, narrative) in the dimensions' order."""
        return [
            (label, getattr(self, rating_field(n)), getattr(self, narrative_field(n)))
            for n, label in Dimension.choices
        ]


class TreatmentPlan(models.Model):
    """A partner's plan, or (partner empty) the couple's plan for the couples therapy. Its
    content lives in versions: a review copies the last into a new draft."""

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="treatment_plans")
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="treatment_plans"
    )
    responsible = models.ForeignKey(
        Clinician,
        on_delete=models.PROTECT,
        related_name="treatment_plans",
        help_text="The clinician who signs the plan's versions.",
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner"],
                condition=Q(partner__isnull=False),
                name="treatment_plan_one_per_partner",
                violation_error_message="This partner already has a treatment plan.",
            ),
            models.UniqueConstraint(
                fields=["couple"],
                condition=Q(partner__isnull=True),
                name="treatment_plan_one_per_couple",
                violation_error_message="This couple already has a couple plan.",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan of {self.partner or self.couple}"

    @property
    def is_couple_plan(self) -> bool:
        return self.partner_id is None


class PlanVersion(models.Model):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when signed: the day its review falls due (PLAN_REVIEW_DAYS later).
    review_due_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_once"),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(signed_at__isnull=True),
                name="plan_version_one_draft",
                violation_error_message="This plan already has a draft version.",
            ),
            CheckConstraint(condition=Q(number__gte=1), name="plan_version_number_positive"),
            CheckConstraint(
                condition=_signed_together()
                & (Q(signed_at__isnull=True) | Q(review_due_on__isnull=False)),
                name="plan_version_signed_by_someone_with_review",
            ),
            CheckConstraint(
                condition=in_span("review_due_on", nullable=True),
                name="plan_version_review_due_in_span",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}, version {self.number}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class PlanAcknowledgement(models.Model):
    """A partner read and acknowledged a signed version (a couple plan asks both)."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.PROTECT, related_name="acknowledgements"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "partner"], name="plan_acknowledgement_once")
        ]

    def __str__(self) -> str:
        return f"{self.version} acknowledged by {self.partner}"


class Problem(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="problems")
    dimension = models.PositiveSmallIntegerField(choices=Dimension.choices)
    description = models.CharField(max_length=TEXT_MAX_LENGTH)

    class Meta:
        ordering = ["dimension", "pk"]
        constraints = [
            CheckConstraint(
                condition=Q(dimension__gte=1, dimension__lte=6), name="problem_dimension_1_to_6"
            )
        ]

    def __str__(self) -> str:
        return self.description


class PlanGoal(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=TEXT_MAX_LENGTH)
    # The couple's own recovery goal this answers, if any.
    recovery_goal = models.ForeignKey(
        "goals.Goal", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description


class Objective(models.Model):
    goal = models.ForeignKey(PlanGoal, on_delete=models.CASCADE, related_name="objectives")
    description = models.CharField(
        max_length=TEXT_MAX_LENGTH, help_text="Measurable: what, how much, how it is seen."
    )
    target_on = models.DateField()

    class Meta:
        ordering = ["target_on", "pk"]
        constraints = [
            CheckConstraint(condition=in_span("target_on"), name="objective_target_in_span")
        ]

    def __str__(self) -> str:
        return self.description


class Intervention(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        THREE_A_WEEK = "3_week", "3 times a week"
        TWICE_A_WEEK = "2_week", "Twice a week"
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Every 2 weeks"
        MONTHLY = "monthly", "Monthly"
        AS_NEEDED = "as_needed", "As needed"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="interventions")
    description = models.CharField(max_length=TEXT_MAX_LENGTH)
    frequency = models.CharField(max_length=20, choices=Frequency.choices)
    responsible = models.ForeignKey(Clinician, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description
