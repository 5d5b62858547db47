"""Portal forms: the shape of a partner's answers to a measure. What the answers mean (scoring,
skip logic, what is required) is in measures/instruments; the rules in measures/services.py.

The form is never bound to the raw POST: `answers_from` keeps only the instrument's own items
with one of their own values (Instrument.clean), so a tampered or malformed value is simply
not an answer, and the form is drawn from the answers kept plus those just given.
"""

from dataclasses import dataclass

from django import forms

from measures.instruments import Instrument, Item

# The value of "Yes" in the yes/no questions that decide which follow-ups are asked (C-SSRS).
YES = 1
MISSING = "Choose an answer to finish."


class ButtonRadioSelect(forms.RadioSelect):
    """Radios drawn as Bootstrap toggle buttons: big targets on a phone, no JavaScript."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs={"class": "btn-check", **(attrs or {})}, choices=choices)


@dataclass(frozen=True)
class Question:
    """One item as the page draws it."""

    number: int
    item: Item
    field: forms.BoundField
    # The yes/no item that must be answered Yes for this one to be asked ("": always asked).
    shown_if: str = ""
    shown_if_number: int = 0
    is_optional: bool = False


def answers_from(data, *, instrument: Instrument) -> dict[str, int]:
    """The answers in a posted form: only this instrument's items, each with a value it has."""
    return instrument.clean({item.key: data.get(item.key) for item in instrument.items})


def follow_ups(instrument: Instrument) -> dict[str, str]:
    """item key -> the yes/no item whose Yes asks it, read from the instrument's own skip
    logic (C-SSRS: 3-5 after a yes to 2, 6b after a yes to 6). Empty without skip logic."""
    if instrument.required is None:
        return {}
    always = instrument.required_keys({})
    return {
        extra: key
        for key in always
        for extra in instrument.required_keys({key: YES})
        if extra not in always
    }


class MeasureForm(forms.Form):
    """One group of answer buttons per item, each optional here: a partner may save part of
    it and come back; the service says what is still missing when they finish."""

    def __init__(
        self, *, instrument: Instrument, answers: dict | None = None, missing: list[Item] = ()
    ):
        super().__init__(data={key: str(value) for key, value in (answers or {}).items()})
        self.instrument = instrument
        for item in instrument.items:
            self.fields[item.key] = forms.TypedChoiceField(
                label=item.text,
                choices=item.choices,
                coerce=int,
                required=False,
                widget=ButtonRadioSelect,
            )
        self.is_valid()
        for item in missing:
            self.add_error(item.key, MISSING)

    @property
    def questions(self) -> list[Question]:
        shown_if = follow_ups(self.instrument)
        numbers = {item.key: number for number, item in enumerate(self.instrument.items, 1)}
        return [
            Question(
                number=numbers[item.key],
                item=item,
                field=self[item.key],
                shown_if=shown_if.get(item.key, ""),
                shown_if_number=numbers.get(shown_if.get(item.key, ""), 0),
                is_optional=item.optional and item.key not in shown_if,
            )
            for item in self.instrument.items
        ]
