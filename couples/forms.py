from django import forms
from django.contrib.auth.forms import SetPasswordForm

from couples.models import SharingConsent


class InvitationAcceptForm(SetPasswordForm):
    """Choose a first password; Django's validators apply (length, common, breached)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"


class ConsentGrantForm(forms.Form):
    """What to share and until when.

    Who shares and with whom are never fields: they come from the signed-in partner,
    so a crafted POST naming another partner or recipient is simply ignored.
    """

    shares_goals = forms.BooleanField(
        required=False, label="Share my individual goals and my progress on them"
    )
    shares_checkins = forms.BooleanField(required=False, label="Share my daily check-ins")
    expires_on = forms.DateField(
        required=False,
        label="Stop sharing after (optional)",
        help_text="Sharing ends by itself after this day. Leave it empty to share until you stop.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, current: SharingConsent | None = None, **kwargs):
        # Start from what is shared now, or from sharing both when nothing is.
        if current is not None:
            kwargs.setdefault(
                "initial",
                {
                    "shares_goals": current.shares_goals,
                    "shares_checkins": current.shares_checkins,
                    "expires_on": current.expires_on,
                },
            )
        else:
            kwargs.setdefault("initial", {"shares_goals": True, "shares_checkins": True})
        super().__init__(*args, **kwargs)
