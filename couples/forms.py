from django import forms
from django.contrib.auth.forms import SetPasswordForm

from couples.admin_forms import time_zone_choices
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
    # Never ticked for the partner: scores are shared only when they choose it.
    shares_measures = forms.BooleanField(
        required=False,
        label="Share my questionnaire scores (such as PHQ-9 and GAD-7)",
        help_text="The scores of the short questionnaires about how you have been (mood, "
        "worry, drinking or drug use, your relationship) and how they change. Never your "
        "answer to each question.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Stop sharing after (optional)",
        help_text="Sharing ends by itself after this day. Leave it empty to share until you stop.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, current: SharingConsent | None = None, **kwargs):
        # Start from what is shared now, or from goals and check-ins when nothing is.
        if current is not None:
            kwargs.setdefault(
                "initial",
                {
                    "shares_goals": current.shares_goals,
                    "shares_checkins": current.shares_checkins,
                    "shares_measures": current.shares_measures,
                    "expires_on": current.expires_on,
                },
            )
        else:
            kwargs.setdefault("initial", {"shares_goals": True, "shares_checkins": True})
        super().__init__(*args, **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class NotificationPreferenceForm(forms.Form):
    """Which messages to get, how and when.

    Only the fields the person's roles offer are kept (couples.services.preference_fields_for),
    so a crafted POST cannot reach the others. The service enforces the rules: a channel left
    on, quiet hours with both ends or none, a check-in prompt outside the quiet hours.
    """

    # (legend, fields, help) for the page's fieldsets, in order.
    SECTIONS = [
        (
            "How to reach me",
            ["email_enabled", "in_app_enabled"],
            "Keep at least one on.",
        ),
        (
            "Quiet hours and time zone",
            ["quiet_hours_start", "quiet_hours_end", "time_zone"],
            "Nothing is sent during quiet hours: it waits until they end. "
            "Leave both times empty for no quiet hours.",
        ),
        (
            "What to get",
            [
                "checkin_prompts",
                "checkin_prompt_time",
                "goal_review_prompts",
                "session_reminders",
                "morning_digest",
                "digest_time",
            ],
            "",
        ),
    ]

    email_enabled = forms.BooleanField(required=False, label="Email")
    in_app_enabled = forms.BooleanField(
        required=False, label="In the app (Notifications, at the top of every page)"
    )
    quiet_hours_start = forms.TimeField(required=False, label="Quiet from", widget=TimeInput())
    quiet_hours_end = forms.TimeField(required=False, label="Quiet until", widget=TimeInput())
    time_zone = forms.ChoiceField(required=False, label="Time zone")
    checkin_prompts = forms.BooleanField(required=False, label="Daily check-in prompt")
    checkin_prompt_time = forms.TimeField(label="Send the check-in prompt at", widget=TimeInput())
    goal_review_prompts = forms.BooleanField(required=False, label="Weekly goal review")
    session_reminders = forms.BooleanField(
        required=False, label="Session reminders, a day and an hour before"
    )
    morning_digest = forms.BooleanField(required=False, label="Morning digest of my day")
    digest_time = forms.TimeField(label="Send the digest at", widget=TimeInput())

    def __init__(
        self,
        *args,
        fields: tuple[str, ...],
        default_zone_label: str,
        session_reminders_default: bool,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in fields:
                del self.fields[name]
        if "time_zone" in self.fields:
            self.fields["time_zone"].choices = [("", default_zone_label), *time_zone_choices()]
        if "session_reminders" in self.fields:
            default = "On" if session_reminders_default else "Off"
            self.fields["session_reminders"].help_text = f"{default} unless you change it."

    def sections(self) -> list[tuple[str, list[forms.BoundField], str]]:
        return [
            (legend, [self[name] for name in names if name in self.fields], help_text)
            for legend, names, help_text in self.SECTIONS
            if any(name in self.fields for name in names)
        ]

    def changes(self) -> dict:
        """What couples.services.notification_preference_update takes."""
        return {name: self.cleaned_data[name] for name in self.fields}


class WelcomeNameForm(forms.Form):
    """The welcome's second step, beside the reminders: the name the app calls the partner by."""

    preferred_name = forms.CharField(
        required=False,
        max_length=100,
        label="What should we call you?",
        help_text="Leave it empty to use your first name.",
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )

    def __init__(self, *args, first_name: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if first_name:
            self.fields[
                "preferred_name"
            ].help_text = f"Leave it empty to go by your first name, {first_name}."
