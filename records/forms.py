"""The release form: to whom, why, and (a group note) for which participant."""

from django import forms

from couples.models import Partner
from records.models import PURPOSE_OTHER_MAX_LENGTH, RECIPIENT_MAX_LENGTH, Disclosure


class ReleaseForm(forms.Form):
    recipient = forms.CharField(
        label="Recipient",
        max_length=RECIPIENT_MAX_LENGTH,
        help_text=(
            "Who receives the record, as the request names them: for example "
            "“Aetna utilization review” or “Dr. Lee, Riverside Outpatient”."
        ),
    )
    purpose = forms.ChoiceField(
        label="Purpose", choices=Disclosure.Purpose.choices, widget=forms.RadioSelect
    )
    purpose_other = forms.CharField(
        label="The purpose, if other",
        required=False,
        max_length=PURPOSE_OTHER_MAX_LENGTH,
    )
    consent_on_file = forms.BooleanField(
        label=(
            "I have checked that the patient’s written consent (42 CFR 2.31), or their own "
            "request, covers this release to this recipient, for each patient it names."
        ),
        error_messages={"required": "Check the patient’s consent before releasing a record."},
    )

    def __init__(self, *args, participants: list[Partner] | None = None, **kwargs):
        """`participants`: a group note's, one of whom the release is for; none otherwise."""
        super().__init__(*args, **kwargs)
        self.participants = participants or []
        if self.participants:
            self.fields["participant"] = forms.TypedChoiceField(
                label="Whose part of the group note",
                coerce=int,
                choices=[(p.pk, p.display_name) for p in self.participants],
                widget=forms.RadioSelect,
                help_text=(
                    "A group note is released for one participant: the group’s description "
                    "and that participant’s entry, never the others’."
                ),
            )
            if len(self.participants) == 1:
                self.fields["participant"].initial = self.participants[0].pk

    def clean(self):
        data = super().clean()
        if data.get("purpose") == Disclosure.Purpose.OTHER and not data.get("purpose_other"):
            self.add_error("purpose_other", "Say what the record is for.")
        return data
