"""Forms of the clinic's session pages: the shape of what a clinician types.

Who runs a session is never a field: it is the signed-in clinician. The couples and
partners on offer are the clinician's own, so a crafted POST naming anyone else is
refused as an invalid choice. sessions.services enforces who may take part in which
kind, the double-booking check and the length.
"""

import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.dates import SESSION_START, date_within
from common.moments import clock_text, zone_label
from couples.models import Couple, Partner
from couples.queries import couple_time_zone
from sessions.models import MULTI_COUPLE_KINDS, Attendance, SessionKind, TherapySession

ONE_PARTNER_KINDS = frozenset(
    {SessionKind.INDIVIDUAL_THERAPY, SessionKind.COUNSELING, SessionKind.MEDICAL_VISIT}
)
WEEKDAYS = list(enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]))
SCOPE_ONE, SCOPE_REST = "one", "rest"
REASON_REQUIRED = "Give a reason: the participants will see it."
SCOPES = [
    (SCOPE_ONE, "This session only"),
    (SCOPE_REST, "This and the rest of the series"),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def local_moment(
    day: datetime.date, time: datetime.time, zone: ZoneInfo
) -> datetime.datetime | None:
    """A wall-clock date and time in a zone as an aware datetime; None if the clocks skip
    it (the hour lost when daylight saving begins)."""
    moment = datetime.datetime.combine(day, time, tzinfo=zone)
    round_trip = moment.astimezone(datetime.UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


def day_in_window(form: forms.Form, day: datetime.date, zone: datetime.tzinfo) -> bool:
    """The early answer to a session date out of range, on the date field (the scheduling
    services refuse it too); False if it is out, so no moment is made from it."""
    earliest, latest = SESSION_START.around(timezone.localdate(timezone=zone))
    try:
        date_within(day, earliest=earliest, latest=latest, field="day", label="a session date")
    except ValidationError as error:
        form.add_error(None, error)
        return False
    return True


def couple_label(couple: Couple) -> str:
    names = " & ".join(partner.display_name for partner in couple.partners.all())
    return f"{names or couple} ({zone_label(couple.time_zone)})"


def partner_label(partner: Partner, couple: Couple) -> str:
    others = [p.display_name for p in couple.partners.all() if p.pk != partner.pk]
    return f"{partner.display_name} (with {' & '.join(others)})" if others else partner.display_name


class ParticipantsForm(forms.Form):
    """Kind and who takes part. Expects couples with their partners prefetched (no queries).

    cleaned_data gains "participants" (the service's couple, partner and partners
    arguments) and "zone", the zone the times are typed in: the couple's, or the clinic's
    for a group or sober activity.
    """

    kind = forms.ChoiceField(choices=SessionKind.choices, initial=SessionKind.COUPLES_THERAPY)
    couple = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Every kind except a group or a sober activity is for one couple.",
    )
    partner = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For individual therapy, drug & alcohol counseling and a medical visit.",
    )
    partners = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Who takes part",
        widget=forms.CheckboxSelectMultiple,
        help_text="For a group or a sober activity: partners of any of your couples.",
    )

    def __init__(self, *args, couples: list[Couple], couple_pk: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.couples = {couple.pk: couple for couple in couples}
        self.people = {p.pk: p for couple in couples for p in couple.partners.all()}
        offered = [self.couples[couple_pk]] if couple_pk in self.couples else couples
        self.fields["couple"].choices = [("", "Choose a couple")] + [
            (couple.pk, couple_label(couple)) for couple in couples
        ]
        self.fields["partner"].choices = [("", "Choose a partner")] + [
            (p.pk, partner_label(p, couple)) for couple in offered for p in couple.partners.all()
        ]
        self.fields["partners"].choices = [
            (p.pk, partner_label(p, couple)) for couple in couples for p in couple.partners.all()
        ]
        if couple_pk in self.couples:
            self.initial.setdefault("couple", couple_pk)

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind in MULTI_COUPLE_KINDS:
            chosen = [self.people[pk] for pk in data.get("partners") or []]
            if not chosen:
                self.add_error("partners", "Choose who takes part.")
            data["participants"] = {"couple": None, "partner": None, "partners": chosen}
            data["zone"] = timezone.get_default_timezone()
        elif kind:
            couple = self.couples.get(data.get("couple"))
            partner = self.people.get(data.get("partner")) if kind in ONE_PARTNER_KINDS else None
            if couple is None:
                self.add_error("couple", "Choose the couple.")
                return data
            if kind in ONE_PARTNER_KINDS and (partner is None or partner.couple_id != couple.pk):
                self.add_error("partner", "Choose one of this couple’s partners.")
            data["participants"] = {"couple": couple, "partner": partner, "partners": None}
            data["zone"] = couple_time_zone(couple=couple)
        return data


class SessionForm(ParticipantsForm):
    day = forms.DateField(label="Date", widget=DateInput())
    start_time = forms.TimeField(
        widget=TimeInput(), help_text="Wall-clock time where the couple lives."
    )
    duration_minutes = forms.IntegerField(label="Length in minutes", min_value=1, initial=60)

    def clean(self):
        data = super().clean()
        day, time, zone = data.get("day"), data.get("start_time"), data.get("zone")
        if day and time and zone and day_in_window(self, day, zone):
            data["starts_at"] = local_moment(day, time, zone)
            if data["starts_at"] is None:
                self.add_error("start_time", skipped_message(time))
        return data


class SeriesForm(ParticipantsForm):
    weekdays = forms.TypedMultipleChoiceField(
        coerce=int,
        choices=WEEKDAYS,
        label="Every week on",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day of the week."},
    )
    start_time = forms.TimeField(
        widget=TimeInput(),
        help_text="Wall-clock time where the couple lives; it stays the same across "
        "daylight-saving changes.",
    )
    duration_minutes = forms.IntegerField(label="Length in minutes", min_value=1, initial=60)
    starts_on = forms.DateField(label="First date", widget=DateInput())
    ends_on = forms.DateField(label="Last date", widget=DateInput())


def skipped_message(time: datetime.time) -> str:
    return (
        f"The clocks skip {clock_text(time)} on that day (daylight saving begins): "
        "choose another time."
    )


class ScopeFormMixin:
    """ "This session only" or "the rest of the series", asked only of a series member."""

    def add_scope(self, session: TherapySession) -> None:
        if session.series_id:
            self.fields["scope"] = forms.ChoiceField(
                choices=SCOPES, initial=SCOPE_ONE, widget=forms.RadioSelect, label="Which sessions"
            )

    def scope(self) -> str:
        return self.cleaned_data.get("scope") or SCOPE_ONE


class SessionCancelForm(ScopeFormMixin, forms.Form):
    reason = forms.CharField(
        max_length=200,
        help_text="The participants see it with the cancelled session.",
        error_messages={"required": REASON_REQUIRED},
    )

    def __init__(self, *args, session: TherapySession, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_scope(session)


class SessionRescheduleForm(ScopeFormMixin, forms.Form):
    day = forms.DateField(label="New date", widget=DateInput())
    start_time = forms.TimeField(label="New start time", widget=TimeInput())
    reason = forms.CharField(
        max_length=200,
        help_text="The participants see it with the moved session.",
        error_messages={"required": REASON_REQUIRED},
    )

    def __init__(self, *args, session: TherapySession, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(session.time_zone)
        local = session.starts_at.astimezone(self.zone)
        self.initial.setdefault("day", local.date())
        self.initial.setdefault("start_time", local.time())
        self.fields[
            "start_time"
        ].help_text = f"In {zone_label(session.time_zone)}, the session's zone."
        self.add_scope(session)

    def clean(self):
        data = super().clean()
        if (
            data.get("day")
            and data.get("start_time")
            and day_in_window(self, data["day"], self.zone)
        ):
            data["starts_at"] = local_moment(data["day"], data["start_time"], self.zone)
            if data["starts_at"] is None:
                self.add_error("start_time", skipped_message(data["start_time"]))
        return data


class AttendanceForm(forms.Form):
    """A status and minutes for each participant. Expects the session's attendances
    prefetched with their partners (sessions.queries.session_get_for_user does)."""

    def __init__(self, *args, session: TherapySession, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendances = list(session.attendances.all())
        full_length = int(session.duration.total_seconds() // 60)
        for attendance in self.attendances:
            name, key = attendance.partner.display_name, attendance.partner_id
            self.fields[f"status_{key}"] = forms.ChoiceField(
                label=f"How {name} attended",
                choices=Attendance.Status.choices,
                widget=forms.RadioSelect,
                initial=attendance.status or None,
                error_messages={"required": f"Choose how {name} attended."},
            )
            self.fields[f"minutes_{key}"] = forms.IntegerField(
                label=f"{name}’s minutes attended",
                required=False,
                min_value=0,
                initial=attendance.minutes_attended if attendance.status else full_length,
                help_text="Counted when present or late.",
            )

    def rows(self) -> list[tuple[Partner, forms.BoundField, forms.BoundField]]:
        return [
            (a.partner, self[f"status_{a.partner_id}"], self[f"minutes_{a.partner_id}"])
            for a in self.attendances
        ]

    def clean(self):
        data = super().clean()
        for attendance in self.attendances:
            key = attendance.partner_id
            there = data.get(f"status_{key}") in (Attendance.Status.PRESENT, Attendance.Status.LATE)
            if there and data.get(f"minutes_{key}") is None:
                name = attendance.partner.display_name
                self.add_error(f"minutes_{key}", f"How many minutes was {name} there?")
        return data

    def marks(self) -> dict[int, tuple[str, int]]:
        """partner id -> (status, minutes), as sessions.services.attendance_mark takes them."""
        data = self.cleaned_data
        return {
            a.partner_id: (data[f"status_{a.partner_id}"], data[f"minutes_{a.partner_id}"] or 0)
            for a in self.attendances
        }


class AttendanceResponseForm(forms.Form):
    """A partner's answer to a reminder. Whose answer and for which session are never
    fields: they come from the signed-in partner and the address."""

    response = forms.ChoiceField(
        label="Your answer",
        # In the partner's words; the clinic pages show the model's labels ("Asked to cancel").
        choices=[
            (Attendance.Response.CONFIRMED, "Yes, I will be there"),
            (Attendance.Response.RESCHEDULE_REQUESTED, "I need another time"),
            (Attendance.Response.CANCEL_REQUESTED, "I need to cancel"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether you will be there."},
    )
    note = forms.CharField(
        label="Anything your clinician should know (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only your clinicians see it.",
    )
