"""The note form: the format's sections, each partner's entry, risk, flags, and the
confirmation that signing locks the note."""

from django import forms

from common.dates import medium_date
from notes.models import (
    ADDENDUM_MAX_LENGTH,
    ENTRY_MAX_LENGTH,
    RISK_NOTE_MAX_LENGTH,
    SECTION_MAX_LENGTH,
    SECTIONS,
    Note,
    PlaceOfService,
    RiskLevel,
)
from sessions.models import SessionKind

SIGN = "sign"


def _text(label: str, limit: int, rows: int = 4) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=limit,
        strip=False,
        widget=forms.Textarea(attrs={"rows": rows, "maxlength": limit}),
        help_text=f"Up to {limit} characters.",
    )


def _objective_label(link) -> str:
    objective = link.objective
    target = medium_date(objective.target_on)
    return f"{link.plan_label}: {objective.description} (target {target})"


class NoteForm(forms.Form):
    risk_level = forms.ChoiceField(
        label="Risk assessment", choices=RiskLevel.choices, widget=forms.RadioSelect
    )
    risk_note = forms.CharField(
        label="About the risk",
        required=False,
        max_length=RISK_NOTE_MAX_LENGTH,
        help_text="Required when the risk is not none.",
    )
    is_psychotherapy_note = forms.BooleanField(
        label=(
            "Psychotherapy notes (kept separately: read only by you and your co-signer, "
            "never shown to the partner or exported)"
        ),
        required=False,
    )
    place_of_service = forms.ChoiceField(label="Place of service", choices=PlaceOfService.choices)
    confirm_lock = forms.BooleanField(
        label="I understand that signing locks this note: after that only addenda can add to it.",
        required=False,
    )

    def __init__(
        self,
        *args,
        note_format: str,
        kind: str,
        partners: list,
        objectives: list | None = None,
        action: str = "",
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.action = action
        self.partners = partners
        # notes.queries.ObjectiveLink rows: the objectives this note may link
        self.objective_links = {str(link.objective.pk): link for link in objectives or []}
        sections = {}
        for name in SECTIONS[note_format]:
            sections[name] = _text(name.capitalize(), SECTION_MAX_LENGTH)
        entries = {}
        if kind in (SessionKind.COUPLES_THERAPY, SessionKind.GROUP):
            rows = 3 if kind == SessionKind.GROUP else 4
            for partner in partners:
                label = f"{partner.display_name}'s part"
                entries[f"entry_{partner.pk}"] = _text(label, ENTRY_MAX_LENGTH, rows)
        addressed = {}
        if self.objective_links:
            addressed["objectives"] = forms.MultipleChoiceField(
                label="Plan objectives this session addressed",
                required=False,
                choices=[(pk, _objective_label(link)) for pk, link in self.objective_links.items()],
                widget=forms.CheckboxSelectMultiple,
                help_text="From the current signed treatment plans; locked with the note.",
            )
        # Sections first, then the entries, the objectives, then risk and flags.
        self.fields = {**sections, **entries, **addressed, **self.fields}
        self.section_names = list(sections)
        self.entry_names = list(entries)

    def clean(self):
        cleaned = super().clean()
        if self.action == SIGN and not cleaned.get("confirm_lock"):
            self.add_error("confirm_lock", "Tick this box to sign: a signed note is locked.")
        return cleaned

    def sections(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.section_names}

    def objectives(self) -> list | None:
        """The chosen objectives (plans.Objective), or None when there were none to choose."""
        if not self.objective_links:
            return None
        return [self.objective_links[pk].objective for pk in self.cleaned_data["objectives"]]

    def entries(self) -> dict[int, str]:
        return {
            partner.pk: self.cleaned_data[f"entry_{partner.pk}"]
            for partner in self.partners
            if f"entry_{partner.pk}" in self.cleaned_data
        }

    @classmethod
    def initial_for(cls, note: Note | None, entries, objectives=()) -> dict:
        if note is None:
            return {"risk_level": RiskLevel.NONE, "place_of_service": PlaceOfService.HOME}
        initial = {name: text for name, text in note.sections}
        initial["objectives"] = [
            str(link.objective.pk) for link in objectives if link.objective.is_linked
        ]
        initial.update({f"entry_{entry.partner_id}": entry.text for entry in entries})
        initial.update(
            risk_level=note.risk_level,
            risk_note=note.risk_note,
            is_psychotherapy_note=note.is_psychotherapy_note,
            place_of_service=note.place_of_service,
        )
        return initial


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=ADDENDUM_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ADDENDUM_MAX_LENGTH}),
        help_text=f"Dated and signed with your name when added; it cannot be changed later. "
        f"Up to {ADDENDUM_MAX_LENGTH} characters.",
        error_messages={"required": "Write the addendum before adding it."},
    )
