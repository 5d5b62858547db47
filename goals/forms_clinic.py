"""Forms of the clinic's goal pages.

Whose goal it is never is a field: the couple and the partner come from the URL, so a
crafted POST naming another couple or partner changes nothing. The form gives early,
field-level answers on target and dates; goals.services and the database enforce them.
"""

from django import forms

from goals.forms import DESCRIPTION_TOO_LONG, clean_goal_terms
from goals.models import DESCRIPTION_MAX_LENGTH, Goal


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ClinicGoalForm(forms.Form):
    """A goal's terms: what both partners agree to for a shared goal."""

    category = forms.ChoiceField(choices=Goal.Category.choices)
    title = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": DESCRIPTION_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ChoiceField(choices=Goal.Measure.choices)
    target = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        help_text=(
            "Days a week for yes or no (1–7), times a week for a count (1–100), "
            "the rating to reach (1–10). Leave it empty for a milestone."
        ),
    )
    start_on = forms.DateField(label="Start date", widget=DateInput())
    due_on = forms.DateField(label="Due date", required=False, widget=DateInput())

    @classmethod
    def initial_for(cls, goal: Goal) -> dict:
        return {name: getattr(goal, name) for name in cls.base_fields}

    def clean(self):
        return clean_goal_terms(self, super().clean())


class GoalTransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Goal.Status.choices)
    note = forms.CharField(required=False, max_length=200)
