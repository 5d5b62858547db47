"""Portal forms: the shape of what a partner types. The rules are in goals/services.py.

Who checks in, logs or proposes is never a field: it comes from the signed-in partner.
"""

import datetime

from django import forms

from goals import words
from goals.models import CHANGE_NOTE_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, CheckIn, Goal

CRAVING_CHOICES = [(number, str(number)) for number in range(11)]
RATING_CHOICES = [(number, str(number)) for number in range(1, 11)]
# The target each measure takes, as the database constraint goal_target_fits_measure says.
TARGET_BOUNDS = {
    Goal.Measure.YES_NO: (1, 7, "days a week, from 1 to 7"),
    Goal.Measure.COUNT: (1, 100, "times a week, from 1 to 100"),
    Goal.Measure.RATING: (1, 10, "a rating from 1 to 10"),
}
# Django's MaxLengthValidator fills in show_value, the length typed.
DESCRIPTION_TOO_LONG = (
    f"Keep the details to {DESCRIPTION_MAX_LENGTH:,} characters or fewer (this has %(show_value)s)."
)
CHANGE_NOTE_TOO_LONG = (
    f"Keep the request to {CHANGE_NOTE_MAX_LENGTH:,} characters or fewer (this has %(show_value)s)."
)


class ButtonRadioSelect(forms.RadioSelect):
    """Radios drawn as Bootstrap toggle buttons: big targets on a phone, no JavaScript."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "btn-check", **(attrs or {})}, choices=choices)


class CheckInForm(forms.Form):
    day = forms.DateField(widget=forms.HiddenInput)
    is_sober = forms.TypedChoiceField(
        label="Did you stay sober today?",
        choices=[("yes", words.YES), ("no", f"{words.NO} — I used")],
        coerce=lambda value: value == "yes",
        widget=ButtonRadioSelect,
        error_messages={"required": "Choose yes or no."},
    )
    craving = forms.TypedChoiceField(
        label="How strong were your cravings?",
        help_text="0 means none, 10 the strongest.",
        choices=CRAVING_CHOICES,
        coerce=int,
        widget=ButtonRadioSelect,
        error_messages={"required": "Choose a number from 0 to 10."},
    )
    mood = forms.TypedChoiceField(
        label="How is your mood?",
        choices=CheckIn.Mood.choices,
        coerce=int,
        widget=ButtonRadioSelect,
        error_messages={"required": "Choose how you feel."},
    )
    had_trust_discussion = forms.BooleanField(
        required=False, label="We held our trust discussion today"
    )
    attended_meeting = forms.BooleanField(required=False, label="I went to a support meeting")
    note = forms.CharField(
        required=False,
        max_length=1000,
        label="Anything else for today? (optional)",
        help_text="The clinicians who care for you read it.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    @staticmethod
    def initial_from(checkin: CheckIn | None, *, day: datetime.date) -> dict:
        """The form's starting values: the saved check-in when correcting one."""
        if checkin is None:
            return {"day": day}
        return {
            "day": day,
            "is_sober": "yes" if checkin.is_sober else "no",
            "craving": checkin.craving,
            "mood": checkin.mood,
            "had_trust_discussion": checkin.had_trust_discussion,
            "attended_meeting": checkin.attended_meeting,
            "note": checkin.note,
        }


class ProgressLogForm(forms.Form):
    """A value for one day. The value field fits the goal's measure."""

    day = forms.DateField(label="Day", widget=forms.Select)
    note = forms.CharField(
        required=False, max_length=500, label="Note (optional)", widget=forms.Textarea({"rows": 2})
    )

    field_order = ["day", "value", "note"]

    def __init__(self, *args, goal: Goal, days: list[datetime.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].widget.choices = [
            (day.isoformat(), _day_label(day, days)) for day in days
        ]
        self.fields["value"] = _value_field(goal.measure)
        self.order_fields(self.field_order)


class GoalProposeForm(forms.Form):
    KIND_SHARED = "shared"
    KIND_MINE = "mine"

    kind = forms.ChoiceField(
        label="Whose goal is it?",
        choices=[
            (KIND_SHARED, "Ours: a shared goal (my partner is asked to agree)"),
            (KIND_MINE, "Mine: a goal for me"),
        ],
        widget=forms.RadioSelect,
    )
    category = forms.ChoiceField(choices=Goal.Category.choices)
    title = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": DESCRIPTION_TOO_LONG},
        label="Details (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ChoiceField(
        label="How do we measure it?", choices=Goal.Measure.choices, widget=forms.RadioSelect
    )
    target = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        help_text=(
            "Yes or no: days a week (1–7). Times per week: how many (1–100). "
            "Rating: the rating to reach (1–10). Milestone: leave empty."
        ),
    )
    start_on = forms.DateField(label="Start", widget=forms.DateInput(attrs={"type": "date"}))
    due_on = forms.DateField(
        required=False, label="Due (optional)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        return clean_goal_terms(self, super().clean())


def clean_goal_terms(form: forms.Form, cleaned: dict) -> dict:
    """Early, field-level answers on a goal's target and dates (services and the database
    enforce the same rules); shared by the portal's and the clinic's goal forms."""
    measure, target = cleaned.get("measure"), cleaned.get("target")
    if measure in TARGET_BOUNDS:
        low, high, words = TARGET_BOUNDS[measure]
        if target is None:
            form.add_error("target", f"Set a target: {words}.")
        elif not low <= target <= high:
            form.add_error("target", f"For this measure the target is {words}.")
    elif measure == Goal.Measure.MILESTONE:
        cleaned["target"] = None
    start_on, due_on = cleaned.get("start_on"), cleaned.get("due_on")
    if start_on and due_on and due_on < start_on:
        form.add_error("due_on", "The due date cannot be before the start date.")
    return cleaned


class ChangeRequestForm(forms.Form):
    note = forms.CharField(
        label="What would you like to change?",
        max_length=CHANGE_NOTE_MAX_LENGTH,
        error_messages={"max_length": CHANGE_NOTE_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _value_field(measure: str) -> forms.Field:
    """The value as the measure allows it: the form refuses anything out of bounds."""
    if measure == Goal.Measure.YES_NO:
        choices = [(1, words.DONE), (0, words.NOT_DONE)]
        return forms.TypedChoiceField(
            label="How did it go?", choices=choices, coerce=int, widget=forms.RadioSelect
        )
    if measure == Goal.Measure.MILESTONE:
        choices = [(1, words.REACHED), (0, words.NOT_YET)]
        return forms.TypedChoiceField(
            label="Reached it?", choices=choices, coerce=int, widget=forms.RadioSelect
        )
    if measure == Goal.Measure.RATING:
        return forms.TypedChoiceField(label="Rating", choices=RATING_CHOICES, coerce=int)
    return forms.IntegerField(label="How many times", min_value=0, max_value=100)


def _day_label(day: datetime.date, days: list[datetime.date]) -> str:
    if day == max(days):
        return f"Today, {day:%a %b} {day.day}"
    return f"{day:%A, %b} {day.day}"
