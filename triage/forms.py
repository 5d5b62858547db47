"""The shape of what a clinician posts about an item; the rules are the services'."""

from django import forms

from triage.models import NOTE_MAX_LENGTH, TriageItem

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(value: str) -> bool:
    return value == "yes"


def _yes_no_field() -> forms.TypedChoiceField:
    # Not required here: the service says what a safety item still needs, in its words.
    return forms.TypedChoiceField(choices=YES_NO, coerce=_yes_no, required=False, empty_value=None)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False)
    # The safety follow-up (only a safety item's form shows these).
    contacted = _yes_no_field()
    risk = forms.ChoiceField(choices=TriageItem.Risk.choices, required=False)
    plan_reviewed = _yes_no_field()


class SnoozeForm(forms.Form):
    until = forms.DateField(
        error_messages={
            "required": "Choose the day the item comes back.",
            "invalid": "Enter the day the item comes back as a date.",
        }
    )


def form_errors(form: forms.Form) -> list[str]:
    return [message for messages in form.errors.values() for message in messages]
