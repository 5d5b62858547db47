"""Forms behind the admin's one-step views: intake, inviting a clinician, assigning a care role.

They check the shape of the input only; the services enforce the care-team rule and the
admin views attach their ValidationError to the form.
"""

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone

from common.moments import zone_label
from couples.models import CareRole, Clinician, Couple, User

# available_timezones() also holds legacy aliases (US/Eastern, EST5EDT, localtime): only the
# zones under these regions are offered, by the names people know them by.
WORLD_REGIONS = {
    "Africa": "Africa",
    "America": "Americas",
    "Antarctica": "Antarctica",
    "Asia": "Asia",
    "Atlantic": "Atlantic Ocean",
    "Australia": "Australia",
    "Europe": "Europe",
    "Indian": "Indian Ocean",
    "Pacific": "Pacific Ocean",
}


TIME_ZONE_HELP = "Session times and daily check-ins follow this zone."
# As long as User.email may be, refused on the form before the service is asked.
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


def time_zone_choices() -> list:
    """The clinic's zones first ("Eastern Time (ET)"…, settings.CLINIC_TIME_ZONES), then every
    other zone under its region, by city, and UTC last: optgroups of a ChoiceField. Which zone
    may be saved is the service's rule (any zone this machine knows)."""
    common = [(name, zone_label(name)) for name in settings.CLINIC_TIME_ZONES]
    shown = {name for name, _ in common}
    regions: dict[str, list[tuple[str, str]]] = {region: [] for region in WORLD_REGIONS}
    for name in zoneinfo.available_timezones() - shown:
        region = name.partition("/")[0]
        if "/" in name and region in regions:
            regions[region].append((name, zone_label(name)))
    groups = [("Common", common)] + [
        (WORLD_REGIONS[region], sorted(zones, key=lambda choice: choice[1]))
        for region, zones in regions.items()
    ]
    if "UTC" not in shown:
        groups.append(("Other", [("UTC", "UTC (Coordinated Universal Time)")]))
    return groups


def clinicians_allowed(capability: str):
    return Clinician.objects.filter(**{capability: True}).select_related("user")


class ClinicianChoiceField(forms.ModelChoiceField):
    """A clinician select limited to one capability, saying so when a choice is refused."""

    def __init__(self, capability: str, role_label: str, **kwargs):
        super().__init__(
            queryset=clinicians_allowed(capability),
            error_messages={
                "invalid_choice": (
                    f"Choose a clinician whose profile allows the {role_label} role."
                )
            },
            **kwargs,
        )


class PartnerIntakeForm(forms.Form):
    """One partner at intake. Its cleaned_data is the dict couple_admit expects."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    preferred_name = forms.CharField(
        max_length=100,
        required=False,
        help_text="Shown to the care team instead of the first name.",
    )
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH, help_text="The invitation to set a password goes here."
    )
    individual_therapist = ClinicianChoiceField(
        "can_be_individual_therapist", "individual therapist"
    )
    counselor = ClinicianChoiceField(
        "can_be_counselor", "drug & alcohol counselor", label="Drug & alcohol counselor"
    )

    fieldset_fields = [
        ("first_name", "last_name"),
        "preferred_name",
        "email",
        "individual_therapist",
        "counselor",
    ]


class CoupleAdmitForm(forms.Form):
    """What intake knows about the couple itself."""

    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="America/New_York",
        help_text=TIME_ZONE_HELP,
    )
    admitted_on = forms.DateField(
        label="Admission date", widget=AdminDateWidget, initial=timezone.localdate
    )
    couples_therapist = ClinicianChoiceField("can_be_couples_therapist", "couples therapist")

    fieldset_fields = ["time_zone", "admitted_on", "couples_therapist"]


class ClinicianInviteForm(forms.Form):
    ROLE_CHOICES = [
        (CareRole.INDIVIDUAL_THERAPIST.value, CareRole.INDIVIDUAL_THERAPIST.label),
        (CareRole.COUPLES_THERAPIST.value, CareRole.COUPLES_THERAPIST.label),
        (CareRole.COUNSELOR.value, CareRole.COUNSELOR.label),
        (CareRole.MEDICAL_PROVIDER.value, CareRole.MEDICAL_PROVIDER.label),
    ]

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH, help_text="The invitation to set a password goes here."
    )
    credentials = forms.CharField(
        max_length=100, required=False, help_text="For example LMFT, LCSW"
    )
    roles = forms.MultipleChoiceField(
        label="Allowed roles",
        choices=ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The care-team roles this clinician may hold.",
        error_messages={"required": "Choose at least one role."},
    )

    fieldset_fields = [("first_name", "last_name"), "email", "credentials", "roles"]


class CareCoupleChooseForm(forms.Form):
    """First step of assigning: which couple (submitted with GET)."""

    couple = forms.ModelChoiceField(
        queryset=Couple.objects.exclude(status=Couple.Status.DISCHARGED)
        .prefetch_related("partners__user")
        .order_by("pk"),
        help_text="Couples in the program; a discharged couple's care team stays as it was.",
    )

    fieldset_fields = ["couple"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["couple"].label_from_instance = couple_label


def couple_label(couple: Couple) -> str:
    names = " and ".join(partner.user.get_full_name() for partner in couple.partners.all())
    return f"{couple}: {names}" if names else str(couple)


class CareAssignForm(forms.Form):
    """Second step: one slot of the couple's team (role, and partner for partner roles)."""

    slot = forms.ChoiceField(label="Role")
    clinician = forms.ModelChoiceField(
        queryset=Clinician.objects.select_related("user"),
        help_text="Whoever holds this role now keeps their row in the history, ended today.",
    )

    fieldset_fields = ["slot", "clinician"]

    def __init__(self, *args, couple: Couple, current: dict, **kwargs):
        """`current` maps (partner id or None, role) to the clinician holding it now."""
        super().__init__(*args, **kwargs)
        self.partners_by_pk = {partner.pk: partner for partner in couple.partners.all()}
        slots = [(None, CareRole.COUPLES_THERAPIST, "Couples therapist")]
        for partner in self.partners_by_pk.values():
            for role in (
                CareRole.INDIVIDUAL_THERAPIST,
                CareRole.COUNSELOR,
                CareRole.MEDICAL_PROVIDER,
            ):
                # The full name: two partners may share a first name.
                name = partner.user.get_full_name() or partner.display_name
                slots.append((partner, role, f"{name}'s {role.label.lower()}"))
        self.fields["slot"].choices = [("", "---------")] + [
            (
                slot_value(partner, role),
                _slot_label(label, current.get((getattr(partner, "pk", None), role))),
            )
            for partner, role, label in slots
        ]
        self.fields["clinician"].label_from_instance = clinician_label

    def clean_slot(self):
        role, _, partner_pk = self.cleaned_data["slot"].partition(":")
        partner = self.partners_by_pk.get(int(partner_pk)) if partner_pk else None
        return {"role": role, "partner": partner}


def slot_value(partner, role) -> str:
    return f"{role}:{partner.pk}" if partner else str(role)


def _slot_label(label: str, holder) -> str:
    return f"{label} (now {holder})" if holder else f"{label} (nobody yet)"


def clinician_label(clinician: Clinician) -> str:
    roles = ", ".join(clinician.role_labels) or "no care-team roles"
    return f"{clinician} ({roles})"
