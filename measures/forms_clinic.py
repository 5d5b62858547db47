"""Forms of the care team's measures pages.

Whose measure it is never is a field: the couple and the partner come from the URL, so a
crafted POST naming another partner changes nothing. The forms check the shape of the input;
measures.services enforces the rest (how far from today a schedule may start).
"""

from django import forms

from measures.instruments import Instrument
from measures.models import SCHEDULED_CHOICES, MeasureSchedule

NOT_ASKED = "none"
CADENCE_CHOICES = [(NOT_ASKED, "Not asked"), *MeasureSchedule.Cadence.choices]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ScheduleForm(forms.Form):
    """How often one partner is asked to fill one scheduled measure, and from when."""

    instrument = forms.ChoiceField(
        choices=SCHEDULED_CHOICES,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": "Choose one of the scheduled measures."},
    )
    cadence = forms.ChoiceField(
        label="How often",
        choices=CADENCE_CHOICES,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={
            "invalid_choice": "Choose how often: not asked, once, every week or every two weeks."
        },
    )
    starts_on = forms.DateField(
        label="From",
        required=False,
        widget=DateInput(attrs={"class": "form-control form-control-sm"}),
    )

    @classmethod
    def initial_for(cls, schedule: MeasureSchedule | None, *, today) -> dict:
        if schedule is None:
            return {"cadence": NOT_ASKED, "starts_on": today}
        return {"cadence": schedule.cadence, "starts_on": schedule.starts_on}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cadence", NOT_ASKED) != NOT_ASKED and not cleaned.get("starts_on"):
            self.add_error("starts_on", "Choose the day it starts.")
        return cleaned


class ResponseEntryForm(forms.Form):
    """Every item of one instrument, as given in session: a choice each, by its own values.

    Which items must be answered follows the instrument's skip logic (the C-SSRS asks 3 to 5
    only after a yes to 2): the form asks every item and names those still to answer, so
    nothing is stored until the whole measure is answered.
    """

    def __init__(self, *args, instrument: Instrument, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        for number, item in enumerate(instrument.items, start=1):
            self.fields[item.key] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(value, label) for value, label in item.choices],
                coerce=int,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
            )

    def clean(self):
        cleaned = super().clean()
        answers = self.answers()
        missing = self.instrument.missing(answers)
        for item in missing:
            self.add_error(item.key, "Answer this question.")
        if missing:
            numbers = ", ".join(str(self.instrument.items.index(item) + 1) for item in missing)
            raise forms.ValidationError(
                f"Answer every question to finish (still to answer: {numbers})."
            )
        return cleaned

    def answers(self) -> dict[str, int]:
        """The answers given, each one of its item's own values."""
        given = {key: value for key, value in self.cleaned_data.items() if value != ""}
        return self.instrument.clean(given)
