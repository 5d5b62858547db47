from django import forms
from django.contrib.admin.widgets import AdminDateWidget

from insurance.models import Coverage


class CoverageVerifyForm(forms.Form):
    method = forms.ChoiceField(label="How it was verified", choices=Coverage.Method.choices)
    reference_number = forms.CharField(label="Payer's reference number", max_length=60)
    reverify_on = forms.DateField(
        label="Check again on",
        required=False,
        widget=AdminDateWidget,
        help_text="Empty: in 90 days.",
    )

    fieldset_fields = ["method", "reference_number", "reverify_on"]


class CoverageDenyForm(forms.Form):
    reason = forms.CharField(
        label="Why the payer denied it", max_length=300, widget=forms.Textarea({"rows": 3})
    )

    fieldset_fields = ["reason"]
