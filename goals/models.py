import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import MD5, Length
from django.db.models.lookups import LessThanOrEqual

from common.constraints import CheckConstraint
from common.dates import SPAN_WORDS, in_span
from couples.models import Couple, Partner
from goals import words

# Partners may log or change an entry for up to this many days back; older ones are locked.
EDIT_WINDOW_DAYS = 7
# Free text is bounded: a goal is read on a phone by both partners, and a megabyte of
# "details" would make every home page that shows it a megabyte too.
DESCRIPTION_MAX_LENGTH = 2000
CHANGE_NOTE_MAX_LENGTH = 1000
# A partner asking again, in the same words, for a change still waiting (a double tap).
CHANGE_ALREADY_ASKED = "You already asked for this change: your request is waiting."
CHANGE_ALREADY_ASKED_CODE = "change_already_asked"


class Goal(models.Model):
    """A recovery goal: shared by the couple (partner empty) or one partner's own."""

    class Category(models.TextChoices):
        SOBRIETY = "sobriety", "Maintaining sobriety"
        COMMUNICATION = "communication", "Improving communication"
        TRUST = "trust", "Building trust"
        SOBER_ACTIVITIES = "sober_activities", "Sober activities"
        HEALTH = "health", "Health"
        OTHER = "other", "Other"

    class Measure(models.TextChoices):
        YES_NO = "yes_no", "Yes or no, each day"
        COUNT = "count", "Times per week"
        RATING = "rating", "Rating from 1 to 10"
        MILESTONE = "milestone", "One-off milestone"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        ACHIEVED = "achieved", "Achieved"
        ON_HOLD = "on_hold", "On hold"
        CANCELLED = "cancelled", "Cancelled"

    couple = models.ForeignKey(Couple, on_delete=models.PROTECT, related_name="goals")
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="individual_goals",
        help_text="Empty for a shared goal.",
    )
    category = models.CharField(max_length=30, choices=Category.choices)
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX_LENGTH)
    measure = models.CharField(max_length=20, choices=Measure.choices)
    target = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days per week (yes/no), times per week (count) or the rating to reach.",
    )
    start_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "-start_on", "pk"]
        indexes = [models.Index(fields=["couple", "status"])]
        constraints = [
            CheckConstraint(
                condition=Q(due_on__isnull=True) | Q(due_on__gte=F("start_on")),
                name="goal_due_after_start",
                violation_error_message="The due date cannot be before the start date.",
            ),
            CheckConstraint(
                condition=Q(measure="milestone", target__isnull=True)
                | Q(measure="yes_no", target__gte=1, target__lte=7)
                | Q(measure="count", target__gte=1, target__lte=100)
                | Q(measure="rating", target__gte=1, target__lte=10),
                name="goal_target_fits_measure",
                violation_error_message=(
                    "The target must fit the measure: 1–7 days a week, 1–100 times a week, "
                    "a rating of 1–10, or none for a milestone."
                ),
            ),
            CheckConstraint(
                condition=LessThanOrEqual(Length("description"), DESCRIPTION_MAX_LENGTH),
                name="goal_description_bounded",
                violation_error_message=(
                    f"Keep the details to {DESCRIPTION_MAX_LENGTH:,} characters or fewer."
                ),
            ),
            CheckConstraint(
                condition=in_span("start_on") & in_span("due_on", nullable=True),
                name="goal_dates_in_span",
                violation_error_message=f"A goal's dates fall {SPAN_WORDS}.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.partner_id is None


class GoalAcceptance(models.Model):
    """One partner's agreement to a shared goal; both are needed before it becomes active."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="acceptances")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["goal", "partner"], name="goal_acceptance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} accepted {self.goal}"


class GoalChangeRequest(models.Model):
    """A partner asking for a shared goal to be changed before (or after) agreeing to it.

    One open request per partner, goal and wording: a second submit of the same form is
    refused, while a new wish (other words) or the same one after an answer is a new request.
    Not one open request per partner and goal: a request on an active goal stays open until
    its terms are edited, which may be never, and the partner must still be able to ask.
    """

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="change_requests")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(max_length=CHANGE_NOTE_MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            CheckConstraint(
                condition=LessThanOrEqual(Length("note"), CHANGE_NOTE_MAX_LENGTH),
                name="goal_change_note_bounded",
                violation_error_message=(
                    f"Keep the request to {CHANGE_NOTE_MAX_LENGTH:,} characters or fewer."
                ),
            ),
            # On the note's hash: 1,000 characters of UTF-8 can pass the size of a PostgreSQL
            # btree entry.
            models.UniqueConstraint(
                F("goal"),
                F("partner"),
                MD5("note"),
                condition=Q(resolved_at__isnull=True),
                name="goal_change_asked_once",
                violation_error_code=CHANGE_ALREADY_ASKED_CODE,
                violation_error_message=CHANGE_ALREADY_ASKED,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} asks to change {self.goal}"


class GoalTransition(models.Model):
    """Every change of a goal's status: who, when, from what to what."""

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Goal.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Goal.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.goal}: {self.from_status or 'new'} → {self.to_status}"


class ProgressEntry(models.Model):
    """One partner's log for one goal on one day; logging the day again updates it.

    `measure` repeats the goal's (which never changes) so the database can check
    the value's bounds; `recorded_on` is the partner's local date at the last
    write, which lets the database refuse future days and the 7-day lock.
    """

    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="progress_entries")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="progress_entries")
    day = models.DateField()
    measure = models.CharField(max_length=20, choices=Goal.Measure.choices)
    value = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=500, blank=True)
    recorded_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        indexes = [
            models.Index(fields=["partner", "day"]),
            # A goal's latest and recent entries, whichever partner logged them.
            models.Index(fields=["goal", "day"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["goal", "partner", "day"], name="progress_one_per_goal_partner_day"
            ),
            CheckConstraint(
                condition=Q(measure__in=["yes_no", "milestone"], value__lte=1)
                | Q(measure="count", value__lte=100)
                | Q(measure="rating", value__gte=1, value__lte=10),
                name="progress_value_fits_measure",
                violation_error_message=(
                    "The value must fit the goal: yes or no, 0–100 times, or a rating of 1–10."
                ),
            ),
            CheckConstraint(
                condition=Q(day__lte=F("recorded_on")),
                name="progress_not_in_the_future",
                violation_error_message="Progress cannot be for a day that has not come yet.",
            ),
            CheckConstraint(
                condition=Q(recorded_on__lte=F("day") + datetime.timedelta(days=EDIT_WINDOW_DAYS)),
                name="progress_within_edit_window",
                violation_error_message=f"Entries older than {EDIT_WINDOW_DAYS} days are locked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} on {self.day}: {self.value}"

    @property
    def value_label(self) -> str:
        """The value in words ("Done", "Reached", "3 times", "7 of 10")."""
        return words.value_label(self.measure, self.value)


class CheckIn(models.Model):
    """A partner's daily check-in: the recovery contract of Behavioral Couples Therapy."""

    class Mood(models.IntegerChoices):
        VERY_LOW = 1, "Very low"
        LOW = 2, "Low"
        OKAY = 3, "Okay"
        GOOD = 4, "Good"
        VERY_GOOD = 5, "Very good"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="checkins")
    day = models.DateField()
    is_sober = models.BooleanField("stayed sober today")
    craving = models.PositiveSmallIntegerField(help_text="0 = none, 10 = strongest")
    mood = models.PositiveSmallIntegerField(choices=Mood.choices)
    had_trust_discussion = models.BooleanField("held our trust discussion")
    attended_meeting = models.BooleanField("went to a support meeting")
    note = models.CharField(max_length=1000, blank=True)
    recorded_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "day"], name="checkin_one_per_partner_day"),
            CheckConstraint(
                condition=Q(craving__lte=10),
                name="checkin_craving_0_to_10",
                violation_error_message="Craving is a number from 0 to 10.",
            ),
            CheckConstraint(
                condition=Q(mood__gte=1, mood__lte=5),
                name="checkin_mood_1_to_5",
                violation_error_message="Choose a mood.",
            ),
            CheckConstraint(
                condition=Q(day__lte=F("recorded_on")),
                name="checkin_not_in_the_future",
                violation_error_message="A check-in cannot be for a day that has not come yet.",
            ),
            CheckConstraint(
                condition=Q(recorded_on__lte=F("day") + datetime.timedelta(days=EDIT_WINDOW_DAYS)),
                name="checkin_within_edit_window",
                violation_error_message=f"Check-ins older than {EDIT_WINDOW_DAYS} days are locked.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} on {self.day}"

    # The answers in words (goals/words.py), the same on the portal and the clinic pages.

    @property
    def sober_answer(self) -> str:
        return words.answer(self.is_sober)

    @property
    def craving_label(self) -> str:
        return words.out_of_ten(self.craving)

    @property
    def trust_answer(self) -> str:
        return words.answer(self.had_trust_discussion)

    @property
    def meeting_answer(self) -> str:
        return words.answer(self.attended_meeting)

    @property
    def answers(self) -> list[tuple[str, str]]:
        """Each question's short heading and its answer, in the order both sides show them."""
        return [
            (words.SOBER_TODAY, self.sober_answer),
            (words.CRAVING, self.craving_label),
            (words.MOOD, self.get_mood_display()),
            (words.TRUST_DISCUSSION, self.trust_answer),
            (words.SUPPORT_MEETING, self.meeting_answer),
        ]
