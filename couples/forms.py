from django.contrib.auth.forms import SetPasswordForm


class InvitationAcceptForm(SetPasswordForm):
    """Choose a first password; Django's validators apply (length, common, breached)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Choose a password"
        self.fields["new_password2"].label = "Type it again"
        self.fields["new_password1"].widget.attrs["autocomplete"] = "new-password"
        self.fields["new_password2"].widget.attrs["autocomplete"] = "new-password"
