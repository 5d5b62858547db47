"""The daily check-in, the page after a hard one, and the help page (the patient portal)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from common.forms import attach_service_error
from couples.middleware import session_timeout_exempt
from couples.models import Partner
from couples.permissions import partner_required
from couples.queries import couple_today, partner_get_for_user
from goals import queries, services
from goals.forms import CheckInForm
from goals.models import EDIT_WINDOW_DAYS, CheckIn

# The crisis lines on the help page; the clinic's own on-call number comes from settings.
CRISIS_LINES = [
    {
        "name": "988 Suicide & Crisis Lifeline",
        "description": "Call or text 988, any time, day or night.",
        "number": "988",
        "tel": "988",
        "sms": "988",
    },
    {
        "name": "SAMHSA National Helpline",
        "description": "Free, confidential help with substance use, 24/7, in English and Spanish.",
        "number": "1-800-662-4357",
        "tel": "+18006624357",
        "sms": "",
    },
    {
        "name": "Emergency",
        "description": "If you or someone else is in danger right now, call 911.",
        "number": "911",
        "tel": "911",
        "sms": "",
    },
]


# Daily check-in


@partner_required
def checkin(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    today = couple_today(couple=partner.couple)
    day = _day_from(request.GET.get("day"), default=today)
    form = CheckInForm(request.POST) if request.method == "POST" else None
    if form is not None and form.is_valid():
        try:
            entry = services.checkin_record(partner=partner, request=request, **form.cleaned_data)
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _checkin_message(entry, partner=partner, today=today))
            if is_hard_checkin(entry):
                # A hard day is met with help at hand and a word on who will read it.
                return redirect(f"{reverse('goals:checkin_saved')}?day={entry.day.isoformat()}")
            return redirect("pages:portal_home")
    # Read only to draw the page: a submitted form shows what was typed, not what was saved.
    recent = queries.checkin_list_for_partner(
        partner=partner, since=today - datetime.timedelta(days=EDIT_WINDOW_DAYS)
    )
    saved = next((entry for entry in recent if entry.day == day), None)
    if form is None:
        form = CheckInForm(initial=CheckInForm.initial_from(saved, day=day))
    context = {
        "form": form,
        "day": day,
        "today": today,
        "is_editable": queries.is_editable_day(day=day, today=today),
        "is_future": day > today,
        "is_correction": saved is not None,
        "window_days": EDIT_WINDOW_DAYS,
        "recent_days": _recent_days(recent, today=today),
    }
    return render(request, "goals/portal_checkin.html", context)


def is_hard_checkin(entry: CheckIn) -> bool:
    """A reported use, a strong craving or a very low mood (issue 19)."""
    return (
        not entry.is_sober
        or entry.craving >= queries.HIGH_CRAVING
        or entry.mood == CheckIn.Mood.VERY_LOW
    )


@require_GET
@partner_required
def checkin_saved(request: HttpRequest) -> HttpResponse:
    """After a hard check-in: help at hand, and who will read it (the partner's own page: it
    shows nothing of anyone else's record)."""
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    today = couple_today(couple=partner.couple)
    day = _day_from(request.GET.get("day"), default=today)
    entry = queries.checkin_of_partner_on(partner=partner, day=day)
    on_call = settings.CLINIC_ON_CALL_PHONE
    context = {
        "entry": entry,
        "day": day,
        "is_hard": entry is not None and is_hard_checkin(entry),
        "readers": queries.checkin_readers(partner=partner),
        "on_call_phone": on_call,
        "on_call_tel": "".join(c for c in on_call if c.isdigit() or c == "+"),
    }
    return render(request, "goals/portal_checkin_saved.html", context)


def _checkin_message(entry: CheckIn, *, partner: Partner, today: datetime.date) -> str:
    """Thanks, then the streak. A reported use is met with thanks, never with blame."""
    streak = queries.sober_streak(partner=partner, today=today)
    if not entry.is_sober and streak.current:
        return (
            "Thank you for being honest. Today is a new start. "
            f"You have {_days(streak.current)} sober since then."
        )
    if not entry.is_sober:
        return (
            "Thank you for being honest. Today is a new start, "
            "and your next sober streak begins tomorrow."
        )
    if streak.current:
        return f"Check-in saved. You are {_days(streak.current)} sober. Keep going."
    return "Check-in saved. Thank you for checking in."


@dataclass(frozen=True)
class RecentDay:
    day: datetime.date
    url: str
    checkin: CheckIn | None


def _recent_days(recent: list[CheckIn], *, today: datetime.date) -> list[RecentDay]:
    """The days a partner may still correct, newest first, with what was saved."""
    by_day = {entry.day: entry for entry in recent}
    base = reverse("goals:checkin")
    return [
        RecentDay(day=day, url=f"{base}?day={day.isoformat()}", checkin=by_day.get(day))
        for day in (today - datetime.timedelta(days=back) for back in range(EDIT_WINDOW_DAYS + 1))
    ]


# Help


@require_GET
@session_timeout_exempt
def help_now(request: HttpRequest) -> HttpResponse:
    # Open to anyone, signed in or not, and it records nothing (no audit row, no write):
    # a person in crisis must never wonder who will learn that they looked.
    on_call = settings.CLINIC_ON_CALL_PHONE
    context = {
        "crisis_lines": CRISIS_LINES,
        "on_call_phone": on_call,
        "on_call_tel": "".join(c for c in on_call if c.isdigit() or c == "+"),
    }
    return render(request, "goals/portal_help.html", context)


# Helpers


def _day_from(value: str | None, *, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"
