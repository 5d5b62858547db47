"""Forms of the assessment and plan pages. Whose record it is never is a field: the couple
and the partner come from the URL. The forms check the shape of the input; plans.services
enforces the rest (the date windows, which goals and clinicians fit, the lock)."""

from django import forms

from plans.models import (
    NARRATIVE_MAX_LENGTH,
    RATING_MAX,
    TEXT_MAX_LENGTH,
    Dimension,
    Intervention,
    LevelOfCare,
    narrative_field,
    rating_field,
)

RATING_CHOICES = [(value, str(value)) for value in range(RATING_MAX + 1)]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _text(label: str, max_length: int, *, required: bool = True, rows: int = 2):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={
            "required": f"Write the {label.lower()}.",
            "max_length": f"Keep the {label.lower()} to {max_length} characters or fewer.",
        },
    )


class AssessmentForm(forms.Form):
    assessed_on = forms.DateField(
        label="Assessed on", widget=DateInput(), error_messages={"required": "Choose the date."}
    )
    recommended_level = forms.ChoiceField(
        label="Level of care it supports",
        choices=LevelOfCare.choices,
        error_messages={"invalid_choice": "Choose one of the ASAM levels of care."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, label in Dimension.choices:
            self.fields[rating_field(number)] = forms.TypedChoiceField(
                label=f"{label}: risk rating",
                choices=RATING_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": "Rate this dimension from 0 to 4."},
            )
            self.fields[narrative_field(number)] = _text(
                f"{label}: narrative", NARRATIVE_MAX_LENGTH, required=False, rows=3
            )

    def dimension_rows(self):
        return [
            (label, self[rating_field(number)], self[narrative_field(number)])
            for number, label in Dimension.choices
        ]

    def ratings(self) -> dict[int, int]:
        return {n: self.cleaned_data[rating_field(n)] for n in Dimension.values}

    def narratives(self) -> dict[int, str]:
        return {n: self.cleaned_data[narrative_field(n)] for n in Dimension.values}


class ProblemForm(forms.Form):
    dimension = forms.TypedChoiceField(
        label="ASAM dimension",
        choices=Dimension.choices,
        coerce=int,
        error_messages={"invalid_choice": "Choose one of the six ASAM dimensions."},
    )
    description = _text("Problem", TEXT_MAX_LENGTH)


class GoalForm(forms.Form):
    problem = forms.TypedChoiceField(label="For the problem", coerce=int, choices=[])
    description = _text("Goal", TEXT_MAX_LENGTH)
    recovery_goal = forms.TypedChoiceField(
        label="Answers the recovery goal (optional)",
        coerce=int,
        choices=[],
        required=False,
        empty_value=None,
    )

    def __init__(self, *args, problems=(), recovery_goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = [(p.pk, p.description) for p in problems]
        self.fields["recovery_goal"].choices = [("", "None")] + [
            (g.pk, g.title) for g in recovery_goals
        ]


class ObjectiveForm(forms.Form):
    goal = forms.TypedChoiceField(label="For the goal", coerce=int, choices=[])
    description = _text("Measurable objective", TEXT_MAX_LENGTH)
    target_on = forms.DateField(
        label="Target date", widget=DateInput(), error_messages={"required": "Choose a date."}
    )

    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["goal"].choices = [(g.pk, g.description) for g in goals]


class InterventionForm(forms.Form):
    objective = forms.TypedChoiceField(label="For the objective", coerce=int, choices=[])
    description = _text("Intervention", TEXT_MAX_LENGTH)
    frequency = forms.ChoiceField(label="How often", choices=Intervention.Frequency.choices)
    responsible = forms.TypedChoiceField(label="Delivered by", coerce=int, choices=[])

    def __init__(self, *args, objectives=(), clinicians=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].choices = [(o.pk, o.description) for o in objectives]
        self.fields["responsible"].choices = [(c.pk, str(c)) for c in clinicians]


# Editing a draft's item: its own fields only. Where it sits does not change (moving it is
# removing it and adding it elsewhere), so the parent's choice is left out.


class GoalEditForm(GoalForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["problem"]


class ObjectiveEditForm(ObjectiveForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["goal"]


class InterventionEditForm(InterventionForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["objective"]
