"""Clinic pages: week calendar, day agenda, scheduling, attendance. Clinicians only.

A page about one session looks it up in the viewer's scope first (outsiders get the
audited 404), then checks the role (a partner taking part gets 403). The couple's care
team may read a session; only the clinician who runs it may change it (403 for others).
Times are shown in the clinic's zone; a session's own zone is named when it differs.
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import audit_record
from common.forms import attach_service_error
from common.moments import zone_label
from couples.models import Couple, Partner
from couples.permissions import clinician_required, role_check
from couples.queries import (
    CaseloadRow,
    clinician_get_for_user,
    couple_get_for_user,
    couple_today,
)
from couples.roles import Role
from sessions import cards_clinic as cards
from sessions import queries, services
from sessions.forms import (
    AttendanceForm,
    SeriesForm,
    SessionCancelForm,
    SessionForm,
    SessionRescheduleForm,
)
from sessions.models import TherapySession
from sessions.permissions import can_change_session, session_change_check

COUPLE_PAGE_SESSIONS = 10
# ?date= outside these years falls back to today (and keeps date arithmetic in range).
DATE_YEARS = range(2000, 2101)
WEEK = datetime.timedelta(days=7)
DAY = datetime.timedelta(days=1)


# Calendar pages


@clinician_required
def clinic_week(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    start, end = queries.week_bounds(day=_date_from(request, today), time_zone=settings.TIME_ZONE)
    monday = start.date()
    sessions = queries.session_calendar_for_clinician(user=request.user, start=start, end=end)
    context = {
        "days": cards.week_days(
            sessions, viewer=request.user, monday=monday, zone=start.tzinfo, today=today
        ),
        "monday": monday,
        "sunday": monday + 6 * DAY,
        "is_this_week": monday <= today < monday + WEEK,
        "previous_url": cards.day_url("sessions:clinic_week", monday - WEEK),
        "next_url": cards.day_url("sessions:clinic_week", monday + WEEK),
        "this_week_url": cards.day_url("sessions:clinic_week", None),
        "zone_name": settings.TIME_ZONE,
    }
    return render(request, "sessions/clinic_session_week.html", context)


@clinician_required
def clinic_agenda(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    day = _date_from(request, today)
    start, end = queries.day_bounds(day=day, time_zone=settings.TIME_ZONE)
    sessions = queries.session_list_for_clinician_between(user=request.user, start=start, end=end)
    now = timezone.now()
    context = {
        "day": day,
        "is_today": day == today,
        "rows": [cards.session_row(session, viewer=request.user, now=now) for session in sessions],
        "previous_url": cards.day_url("sessions:clinic_agenda", day - DAY),
        "next_url": cards.day_url("sessions:clinic_agenda", day + DAY),
        "today_url": cards.day_url("sessions:clinic_agenda", None),
        "week_url": cards.day_url("sessions:clinic_week", day),
        "monday": day - datetime.timedelta(days=day.weekday()),
        "zone_name": settings.TIME_ZONE,
    }
    return render(request, "sessions/clinic_session_day.html", context)


# Scheduling


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    couple = _couple_from_url(request)
    role_check(request.user, Role.CLINICIAN)
    form = SessionForm(
        request.POST if request.method == "POST" else None,
        couples=queries.couple_list_for_scheduling(user=request.user),
        couple_pk=couple.pk if couple else None,
        initial={"day": couple_today(couple=couple) if couple else timezone.localdate()},
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            session = services.session_schedule(
                kind=data["kind"],
                clinician=clinician_get_for_user(user=request.user),
                starts_at=data["starts_at"],
                duration_minutes=data["duration_minutes"],
                by=request.user,
                request=request,
                **data["participants"],
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"{session.get_kind_display()} is scheduled.")
            return redirect("sessions:detail", pk=session.pk)
    return render(request, "sessions/clinic_session_form.html", _form_context(form, couple))


@login_required
def series_new(request: HttpRequest) -> HttpResponse:
    couple = _couple_from_url(request)
    role_check(request.user, Role.CLINICIAN)
    form = SeriesForm(
        request.POST if request.method == "POST" else None,
        couples=queries.couple_list_for_scheduling(user=request.user),
        couple_pk=couple.pk if couple else None,
    )
    if form.is_valid():
        data = form.cleaned_data
        fields = ("weekdays", "start_time", "duration_minutes", "starts_on", "ends_on")
        try:
            series = services.series_schedule(
                kind=data["kind"],
                clinician=clinician_get_for_user(user=request.user),
                by=request.user,
                time_zone=data["zone"].key,
                request=request,
                **{name: data[name] for name in fields},
                **data["participants"],
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"{cards.series_label(series)}: scheduled.")
            first = series.sessions.order_by("starts_at").first()
            return redirect(
                cards.day_url("sessions:clinic_week", timezone.localdate(first.starts_at))
            )
    context = _form_context(form, couple, is_series=True)
    return render(request, "sessions/clinic_session_form.html", context)


# One session


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.session_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    _record_read(request, session)
    return _detail_page(request, session)


@login_required
@require_POST
def attendance(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.session_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    session_change_check(user=request.user, session=session)
    form = AttendanceForm(request.POST, session=session)
    if form.is_valid():
        try:
            services.attendance_mark(
                session=session, marks=form.marks(), by=request.user, request=request
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"Attendance saved: {session.get_status_display().lower()}.")
            return redirect("sessions:detail", pk=session.pk)
    return _detail_page(request, session, attendance_form=form)


@login_required
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.session_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    session_change_check(user=request.user, session=session)
    form = SessionCancelForm(request.POST if request.method == "POST" else None, session=session)
    if form.is_valid():
        try:
            cancelled = services.session_cancel(
                session=session,
                reason=form.cleaned_data["reason"],
                scope=form.scope(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _changed_message("cancelled", cancelled))
            return redirect("sessions:detail", pk=session.pk)
    return _change_page(request, session, form, action="cancel")


@login_required
def session_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.session_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    session_change_check(user=request.user, session=session)
    row = cards.session_row(session, viewer=request.user)  # as saved, even if the move fails
    form = SessionRescheduleForm(
        request.POST if request.method == "POST" else None, session=session
    )
    if form.is_valid():
        try:
            moved = services.session_reschedule(
                session=session,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
                scope=form.scope(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _changed_message("moved", moved))
            return redirect("sessions:detail", pk=session.pk)
    return _change_page(request, session, form, action="reschedule", row=row)


# Sections of pages that pages.views composes


def caseload_sessions_fill(*, request: HttpRequest, rows: list[CaseloadRow]) -> None:
    """Each caseload row's next session and this week's IOP hours per partner.

    Two queries for the whole caseload; the rows' couples come with their partners.
    The week is the clinic's (Monday to Sunday in its zone), as the list is read together.
    """
    couples = [row.couple for row in rows]
    upcoming = queries.session_next_for_couples(couples=couples, now=timezone.now())
    start, end = queries.week_bounds(day=timezone.localdate(), time_zone=settings.TIME_ZONE)
    partners = [partner for couple in couples for partner in couple.partners.all()]
    minutes = queries.iop_minutes_for_partners(partners=partners, start=start, end=end)
    hours, target = cards.hours_from_minutes(minutes), queries.iop_target_hours()
    for row in rows:
        next_session = upcoming.get(row.couple.pk)
        if next_session is not None:
            row.next_session = cards.next_session_cell(next_session, viewer=request.user)
        row.iop_hours = cards.iop_hours(list(row.couple.partners.all()), hours=hours, target=target)


def couple_week_context(*, request: HttpRequest, couple: Couple, partners: list[Partner]) -> dict:
    """This week's IOP hours per partner and the next session, for the couple's overview.
    Two queries: the minutes, the next session with its clinician."""
    today = couple_today(couple=couple)
    hours = queries.iop_hours_this_week(couple=couple, partners=partners, today=today)
    upcoming = queries.session_next_for_couple(partners=partners, now=timezone.now())
    return {
        "iop_hours": cards.iop_hours(partners, hours=hours, target=queries.iop_target_hours()),
        "next_session": upcoming,
        "next_session_url": (
            reverse("sessions:detail", kwargs={"pk": upcoming.pk})
            if upcoming is not None and cards.may_open(upcoming, viewer=request.user)
            else None
        ),
    }


def couple_sessions_context(
    *, request: HttpRequest, couple: Couple, partners: list[Partner]
) -> dict:
    """IOP hours this week and the upcoming and past sessions, for the sessions tab.

    The couple is already scope- and role-checked (and its read audited) by the caller, which
    passes its partners. Five queries, however many sessions there are. A group
    session shows only this couple's partners: the other couples in it are not this care
    team's to see.
    """
    today, now = couple_today(couple=couple), timezone.now()
    hours = queries.iop_hours_this_week(couple=couple, partners=partners, today=today)
    upcoming = queries.session_list_upcoming_for_couple(
        partners=partners, now=now, limit=COUPLE_PAGE_SESSIONS
    )
    past = queries.session_list_past_for_couple(
        partners=partners, now=now, limit=COUPLE_PAGE_SESSIONS
    )

    def row(session: TherapySession) -> cards.SessionRow:
        return cards.session_row(session, viewer=request.user, only_partners=partners)

    query = f"?couple={couple.pk}"
    return {
        "iop_hours": cards.iop_hours(partners, hours=hours, target=queries.iop_target_hours()),
        "upcoming_sessions": [row(session) for session in upcoming],
        "past_sessions": [row(session) for session in past],
        "sessions_shown": COUPLE_PAGE_SESSIONS,
        "schedule_links": [
            ("Schedule a session", reverse("sessions:new") + query),
            ("Schedule a weekly series", reverse("sessions:series_new") + query),
        ],
    }


# Helpers


def _detail_page(
    request: HttpRequest, session: TherapySession, *, attendance_form: AttendanceForm | None = None
) -> HttpResponse:
    now = timezone.now()
    can_change = can_change_session(user=request.user, session=session)
    can_mark = (
        can_change
        and session.status != TherapySession.Status.CANCELLED
        and session.starts_at <= now
    )
    if attendance_form is None and can_mark:
        attendance_form = AttendanceForm(session=session)
    series = session.series
    context = {
        "session": session,
        "row": cards.session_row(session, viewer=request.user, now=now),
        "series_label": cards.series_label(series) if series else "",
        "can_change": can_change and session.status == TherapySession.Status.SCHEDULED,
        "attendance_form": attendance_form,
        "attendance_opens_at": None if can_mark or not can_change else session.starts_at,
        "zone_name": settings.TIME_ZONE,
        "own_zone": session.time_zone if session.time_zone != settings.TIME_ZONE else "",
    }
    return render(request, "sessions/clinic_session_detail.html", context)


def _change_page(request, session, form, *, action: str, row=None) -> HttpResponse:
    context = {
        "session": session,
        "row": row or cards.session_row(session, viewer=request.user),
        "form": form,
        "action": action,
        "heading": "Cancel a session" if action == "cancel" else "Move a session",
        "is_scheduled": session.status == TherapySession.Status.SCHEDULED,
        "zone_name": settings.TIME_ZONE,
    }
    return render(request, "sessions/clinic_session_change.html", context)


def _form_context(form, couple: Couple | None, *, is_series: bool = False) -> dict:
    if couple is not None:
        zone_note = (
            f"Dates and times are in {zone_label(couple.time_zone)}, where this couple lives."
        )
        back = ("← Back to the couple", reverse("pages:couple_detail", kwargs={"pk": couple.pk}))
    else:
        zone_note = (
            "Dates and times are in the couple’s own time zone, shown after its names; "
            f"for a group or a sober activity, in the clinic’s ({zone_label(settings.TIME_ZONE)})."
        )
        back = ("← Calendar", reverse("sessions:clinic_week"))
    other = "sessions:new" if is_series else "sessions:series_new"
    query = f"?couple={couple.pk}" if couple else ""
    return {
        "form": form,
        "heading": "Schedule a weekly series" if is_series else "Schedule a session",
        "zone_note": zone_note,
        "back": back,
        "other_form": (
            "Schedule one session instead" if is_series else "Schedule a weekly series instead",
            reverse(other) + query,
        ),
    }


def _couple_from_url(request: HttpRequest) -> Couple | None:
    """The couple named by ?couple=, looked up in the viewer's scope (audited 404)."""
    raw = request.GET.get("couple")
    if raw is None:
        return None
    pk = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    return couple_get_for_user(user=request.user, pk=pk, request=request)


def _date_from(request: HttpRequest, default: datetime.date) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return default
    return day if day.year in DATE_YEARS else default


def _changed_message(what: str, sessions: list[TherapySession]) -> str:
    if len(sessions) == 1:
        return f"The session is {what}."
    return f"{len(sessions)} sessions are {what}: this one and the rest of the series."


@transaction.atomic
def _record_read(request: HttpRequest, session: TherapySession) -> None:
    """Opening a session reads each participant's record (attendance is clinical)."""
    for attendance in session.attendances.all():
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.READ,
            target=session,
            patient=attendance.partner,
            request=request,
        )
