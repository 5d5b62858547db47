"""Partner pages, joining a session, and the private calendar feed."""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner, User
from couples.permissions import partner_required
from couples.queries import couple_time_zone, couple_today, partner_get_for_user
from couples.roles import Role, roles_for_user
from sessions import ics, queries, services
from sessions.forms import AttendanceResponseForm
from sessions.models import MULTI_COUPLE_KINDS, Attendance, TherapySession
from sessions.permissions import response_closed_reason
from sessions.queries import JoinState

# What a partner reads once their answer to a reminder is saved.
RESPONSE_MESSAGES = {
    Attendance.Response.CONFIRMED: "Thank you: your clinician can see you will be there.",
    Attendance.Response.CANCEL_REQUESTED: (
        "Your request to cancel is saved and shows on your clinician's agenda. "
        "The session stays scheduled until they cancel it."
    ),
    Attendance.Response.RESCHEDULE_REQUESTED: (
        "Your request to move the session is saved and shows on your clinician's agenda. "
        "The session stays at its time until they move it."
    ),
}
UPCOMING_DAYS = 14
PAST_DAYS = 30
# The feed reaches a month back (for the record) and half a year ahead (for planning).
FEED_DAYS_BACK, FEED_DAYS_AHEAD = 30, 180
FEED_ROLES = frozenset({Role.PARTNER, Role.CLINICIAN})
# Session key holding a new feed's token until the next page shows the address, once.
FEED_TOKEN_ONCE = "sessions_feed_token_once"
# The buttons of the calendar page, and what each says once done.
FEED_ACTIONS = {
    "create": "Your calendar address is ready. Add it to your calendar app.",
    "replace": "Your new calendar address is ready. The old one has stopped working.",
    "revoke": "Your calendar address is turned off. It has stopped working.",
}


@dataclass(frozen=True)
class SessionRow:
    """One session as a partner sees it: never the other participants' names or attendance."""

    session: TherapySession
    clinician_name: str
    participant_count: int | None  # groups and sober activities only
    can_join: bool
    opens_at: datetime.datetime | None  # set while it is too early to join
    is_cancelled: bool
    is_moved: bool
    my_attendance: Attendance | None
    can_respond: bool  # scheduled and not started: the partner may confirm or ask for a change


def _row(session: TherapySession, *, partner: Partner, now: datetime.datetime) -> SessionRow:
    state = queries.join_state(session=session, user=partner.user, now=now)
    attendances = session.attendances.all()
    is_cancelled = session.status == TherapySession.Status.CANCELLED
    return SessionRow(
        session=session,
        clinician_name=str(session.clinician),
        participant_count=len(attendances) if session.kind in MULTI_COUPLE_KINDS else None,
        can_join=state == JoinState.OPEN,
        opens_at=queries.join_opens_at(session=session) if state == JoinState.TOO_EARLY else None,
        is_cancelled=is_cancelled,
        # A moved session keeps its reason and stays scheduled.
        is_moved=bool(session.change_reason) and not is_cancelled,
        my_attendance=next((a for a in attendances if a.partner_id == partner.pk), None),
        can_respond=not response_closed_reason(session=session, now=now),
    )


def _iop_hours(*, partner: Partner) -> dict:
    couple = partner.couple
    today = couple_today(couple=couple)
    hours = queries.iop_hours_this_week(couple=couple, partners=[partner], today=today)
    mine, target = hours.get(partner.pk, 0), queries.iop_target_hours()
    return {"hours": mine, "target": target, "is_met": mine >= target}


# Portal: my sessions


@partner_required
@require_GET
def portal_sessions(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user)
    now = timezone.now()
    sessions = queries.session_list_for_partner(
        partner=partner,
        start=now - datetime.timedelta(days=PAST_DAYS),
        end=now + datetime.timedelta(days=UPCOMING_DAYS),
    )
    rows = [_row(session, partner=partner, now=now) for session in sessions]
    zone = couple_time_zone(couple=partner.couple)
    context = {
        "upcoming": [row for row in rows if row.session.ends_at > now],
        "past": [row for row in reversed(rows) if row.session.ends_at <= now],
        "upcoming_days": UPCOMING_DAYS,
        "past_days": PAST_DAYS,
        "time_zone": zone,
        "iop": _iop_hours(partner=partner),
    }
    return render(request, "sessions/portal_session_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def portal_respond(request: HttpRequest, pk: int) -> HttpResponse:
    # Only the session's own participants find it: a clinician, another couple's partner or
    # a partner not in this session gets the audited 404.
    attendance = queries.session_attendance_get_for_user(user=request.user, pk=pk, request=request)
    session, partner = attendance.session, attendance.partner
    # A link in a reminder preselects the answer; opening it (GET) never records anything.
    answer = request.GET.get("answer")
    initial = {"response": answer if answer in Attendance.Response.values else attendance.response}
    form = AttendanceResponseForm(
        request.POST if request.method == "POST" else None,
        initial={**initial, "note": attendance.response_note},
    )
    if form.is_valid():
        try:
            services.attendance_respond(
                session=session, partner=partner, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, RESPONSE_MESSAGES[form.cleaned_data["response"]])
            return redirect("sessions:portal_list")
    zone = couple_time_zone(couple=partner.couple)
    context = {
        "session": session,
        "attendance": attendance,
        "form": form,
        "closed_reason": response_closed_reason(session=session, now=timezone.now()),
        "time_zone": zone,
    }
    return render(request, "sessions/portal_session_respond.html", context)


# Portal home: not a view, the sessions part of pages.views.portal_home


def home_context(*, request: HttpRequest, partner: Partner) -> dict:
    """My next session (with Join when it is open) and this week's IOP hours."""
    now = timezone.now()
    session = queries.session_next_for_partner(partner=partner, now=now)
    zone = couple_time_zone(couple=partner.couple)
    return {
        "next_session": _row(session, partner=partner, now=now) if session else None,
        "sessions_time_zone": zone,
        "iop": _iop_hours(partner=partner),
    }


# Joining


@login_required
@require_GET
def join(request: HttpRequest, pk: int) -> HttpResponse:
    session = queries.session_get_for_user(user=request.user, pk=pk, request=request)
    state = queries.join_state(session=session, user=request.user, now=timezone.now())
    if state == JoinState.NOT_YOURS:
        # On the care team, so the session is visible, but not theirs to sit in.
        raise PermissionDenied
    if state == JoinState.OPEN:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.READ,
            target=session,
            request=request,
            detail={"what": "joined the video session"},
        )
        return redirect(session.video_url)
    zone = _viewer_time_zone(request.user)
    context = {
        "session": session,
        "is_too_early": state == JoinState.TOO_EARLY,
        "has_ended": state == JoinState.ENDED,
        "is_cancelled": state == JoinState.CANCELLED,
        "opens_at": queries.join_opens_at(session=session),
        "time_zone": zone,
        "back_url": _sessions_url(request.user),
    }
    return render(request, "sessions/session_join.html", context)


def _viewer_time_zone(user: User) -> datetime.tzinfo:
    """Partners read times in their couple's zone, clinicians in the clinic's."""
    if Role.PARTNER in roles_for_user(user):
        return couple_time_zone(couple=partner_get_for_user(user=user).couple)
    return timezone.get_default_timezone()


def _sessions_url(user: User) -> str:
    if Role.PARTNER in roles_for_user(user):
        return reverse("sessions:portal_list")
    return reverse("sessions:clinic_agenda")


# Calendar feed


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    if not roles_for_user(request.user) & FEED_ROLES:
        raise PermissionDenied
    if request.method == "POST":
        _calendar_action(request, action=request.POST.get("action", ""))
        return redirect("sessions:calendar")
    feed = queries.calendar_feed_for_user(user=request.user)
    # The address is shown once, right after it is made: only its hash is kept.
    token = request.session.pop(FEED_TOKEN_ONCE, None)
    feed_url = _feed_url(token) if feed and token else ""
    zone = _viewer_time_zone(request.user)
    context = {
        "feed": feed,
        "feed_url": feed_url,
        # webcal:// opens the phone's calendar app, ready to subscribe.
        "subscribe_url": re.sub(r"^https?://", "webcal://", feed_url),
        "time_zone": zone,
        "days_back": FEED_DAYS_BACK,
        "days_ahead": FEED_DAYS_AHEAD,
    }
    return render(request, "sessions/calendar_feed_detail.html", context)


def _calendar_action(request: HttpRequest, *, action: str) -> None:
    """Create, replace or turn off the feed, and say what happened."""
    if action not in FEED_ACTIONS:
        messages.error(request, "Choose to create, replace or turn off your calendar address.")
        return
    if action != "revoke":
        feed = services.calendar_feed_create(user=request.user, request=request)
        request.session[FEED_TOKEN_ONCE] = feed.token
        messages.success(request, FEED_ACTIONS[action])
        return
    feed = queries.calendar_feed_for_user(user=request.user)
    if feed is None:
        messages.info(request, "Your calendar address was already turned off.")
        return
    services.calendar_feed_revoke(feed=feed, request=request)
    messages.success(request, FEED_ACTIONS[action])


def _feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("sessions:feed", args=[token])


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    # No sign-in: calendar apps cannot log in, so the unguessable token is the credential.
    feed = queries.calendar_feed_get(token=token)
    services.calendar_feed_fetched(feed=feed, request=request)
    now = timezone.now()
    sessions = queries.session_list_for_feed(
        user=feed.user,
        start=now - datetime.timedelta(days=FEED_DAYS_BACK),
        end=now + datetime.timedelta(days=FEED_DAYS_AHEAD),
    )
    body = ics.session_calendar(
        sessions=sessions,
        calendar_uid=f"calendar-feed-{feed.pk}",
        clinic_name=settings.CLINIC_DISCREET_NAME,
        site_url=settings.SITE_URL,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # The address is a secret: keep it out of shared caches and search engines.
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    return response
