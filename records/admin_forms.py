"""The forms of the records requests' admin pages (records.admin): logging a request and
recording its delivery. Each is one fieldset of the admin's service form."""

from django import forms
from django.contrib.admin.widgets import AdminDateWidget

from couples.models import Partner
from records.models import (
    CONSENT_REFERENCE_MAX_LENGTH,
    DELIVERY_NOTE_MAX_LENGTH,
    PURPOSE_OTHER_MAX_LENGTH,
    RECIPIENT_MAX_LENGTH,
    RecordsRequest,
)


def partner_label(partner: Partner) -> str:
    user = partner.user
    return f"{user.get_full_name() or user.email} ({user.email})"


class RecordsRequestLogForm(forms.Form):
    partner = forms.ModelChoiceField(
        label="Patient",
        queryset=Partner.objects.select_related("user").order_by(
            "user__last_name", "user__first_name", "user__email"
        ),
    )
    source = forms.ChoiceField(
        label="Who asked", choices=RecordsRequest.Source.choices, widget=forms.RadioSelect
    )
    recipient = forms.CharField(
        label="Recipient named in the consent",
        max_length=RECIPIENT_MAX_LENGTH,
        required=False,
        help_text="Only for a consent. The patient's own request goes to the patient.",
    )
    consent_reference = forms.CharField(
        label="Where the signed consent is filed",
        max_length=CONSENT_REFERENCE_MAX_LENGTH,
        required=False,
        help_text="Only for a consent: the scan's name, or the binder and page.",
    )
    purpose = forms.ChoiceField(
        label="What the consent releases the record for",
        choices=[("", "—"), *[(p.value, p.label) for p in RecordsRequest.CONSENT_PURPOSES]],
        required=False,
    )
    purpose_other = forms.CharField(
        label="Other purpose, as the consent says it",
        max_length=PURPOSE_OTHER_MAX_LENGTH,
        required=False,
    )
    received_on = forms.DateField(label="Request received on", widget=AdminDateWidget)
    form = forms.ChoiceField(label="Form of the copy", choices=RecordsRequest.Form.choices)

    fieldset_fields = [
        "partner",
        "source",
        "recipient",
        "consent_reference",
        "purpose",
        "purpose_other",
        "received_on",
        "form",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].label_from_instance = partner_label


class RecordsRequestDeliverForm(forms.Form):
    delivered_on = forms.DateField(label="Delivered on", widget=AdminDateWidget)
    delivery_method = forms.ChoiceField(
        label="How", choices=[("", "—"), *RecordsRequest.DeliveryMethod.choices]
    )
    delivery_note = forms.CharField(
        label="Note",
        max_length=DELIVERY_NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea({"rows": 3}),
        help_text="A tracking number, the fax confirmation. No health detail.",
    )

    fieldset_fields = ["delivered_on", "delivery_method", "delivery_note"]
