"""The partner's portal pages that compose several apps: the home ("today") and More.

The home answers "what do I do today?" first: a short to-do list (the check-in, shared goals
waiting for my answer, measures due, a signed plan to read, a session today), then this week
(the sober streak, program hours, the next session), then a compact view of the goals. Each
app gives its part (`<app>.views.portal.home_context`, plans' in `plans.views_portal`); this
module orders them and says what the partner does next when there is nothing yet (day 0)
rather than showing zeros.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from couples import queries
from couples.models import Partner
from couples.permissions import partner_required
from goals.views import portal as portal_goals
from insurance import views as portal_insurance
from measures.views import portal as portal_measures
from plans import views_portal as portal_plans
from sessions.views import portal as portal_sessions


@dataclass(frozen=True)
class Todo:
    """One thing to do today. `kind` picks how the home draws it; `row` is what the app
    gave for it (a pending goal, a measure to fill, a session row), or None."""

    kind: str
    row: Any = None


@dataclass(frozen=True)
class MeasureGroup:
    rows: list  # measures.views.portal.ToFill, the first to fill first
    minutes: int  # about how long all of them take
    is_overdue: bool  # one of them is


# Kinds of to-do, in the order the home lists them: a session open to join cannot wait,
# then the daily check-in, what my partner waits for, measures, a signed treatment plan to
# read and acknowledge, and a session later today.
SESSION_OPEN = "session_open"
CHECKIN = "checkin"
# A shared goal waiting for my answer: proposed by my partner, or proposed again after one
# of us asked for a change (asking clears both agreements), with the request shown.
AGREE = "agree"
MEASURE = "measure"
MEASURES = "measures"  # two or more due: one row, so the list stays short
PLAN = "plan"  # one row for my plan, our couple plan or both
SESSION_TODAY = "session_today"


@partner_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    partner = queries.partner_get_for_user(user=request.user)
    context = {
        "partner": partner,
        "couple": partner.couple,
        "other_partner": queries.partner_other(partner=partner),
    }
    context.update(portal_goals.home_context(request=request, partner=partner))
    context.update(portal_sessions.home_context(request=request, partner=partner))
    context.update(portal_measures.home_context(request=request, partner=partner))
    context.update(portal_plans.home_context(request=request, partner=partner))
    today = context["today"]
    context["todo"] = todo_list(context, today=today)
    context["program_week"] = _program_week(partner, today=today)
    context["shows_hours"] = context["next_session"] is not None or context["iop"]["hours"] > 0
    context["is_new"] = _is_new(partner, today=today)
    # What a tap on the to-do list answered (Accept) is said in the list, not above it.
    page_messages, notes = portal_goals.messages_by_goal(
        request, goal_ids={goal.pk for goal in _answered_goals(context)}
    )
    context["messages"] = page_messages
    context["todo_notes"] = [note for found in notes.values() for note in found]
    return render(request, "pages/portal_home.html", context)


def todo_list(context: dict, *, today: datetime.date) -> list[Todo]:
    """Today's to-do, in the order of the kinds above; an empty list means all is done."""
    session = context["next_session"]
    todo = []
    if session is not None and session.can_join:
        todo.append(Todo(SESSION_OPEN, session))
    if context["today_checkin"] is None:
        todo.append(Todo(CHECKIN))
    todo += [Todo(AGREE, item) for item in context["pending_goals"] if item.needs_my_answer]
    due = context["measures_due"]
    if len(due) == 1:
        todo.append(Todo(MEASURE, due[0]))
    elif due:
        todo.append(
            Todo(
                MEASURES,
                MeasureGroup(
                    rows=due,
                    minutes=sum(row.instrument.minutes for row in due),
                    is_overdue=any(row.is_overdue for row in due),
                ),
            )
        )
    if context["plan_todo"] is not None:
        todo.append(Todo(PLAN, context["plan_todo"]))
    if session is not None and not session.can_join and _is_today(session, context, today=today):
        todo.append(Todo(SESSION_TODAY, session))
    return todo


def _answered_goals(context: dict) -> list:
    """Every goal the home could have answered a tap for: those still pending and those in
    the progress rows (an Accept that made the goal active)."""
    return [item.goal for item in context["pending_goals"]] + [
        card.goal for card in context["goal_rows"]
    ]


def _is_today(session, context: dict, *, today: datetime.date) -> bool:
    if session is None:
        return False
    local = session.session.starts_at.astimezone(context["sessions_time_zone"])
    return local.date() == today


def _program_week(partner: Partner, *, today: datetime.date) -> int | None:
    """Which week of the program this is (the admission day starts week 1)."""
    admitted = partner.couple.admitted_on
    if admitted is None or admitted > today:
        return None
    return (today - admitted).days // 7 + 1


def _is_new(partner: Partner, *, today: datetime.date) -> bool:
    """In the first week, or not admitted yet: the home speaks of first sessions."""
    week = _program_week(partner, today=today)
    return week is None or week == 1


@partner_required
@require_GET
def portal_more(request: HttpRequest) -> HttpResponse:
    """Everything that is not for today: the program and care team, sharing, coverage,
    measures, the calendar, who saw my record, notification settings and security."""
    partner = queries.partner_get_for_user(user=request.user)
    context = {
        "partner": partner,
        "couple": partner.couple,
        "other_partner": queries.partner_other(partner=partner),
        "care_team": queries.care_team_for_partner(partner=partner),
        "consent_status": queries.consent_status_for(partner=partner),
    }
    context.update(portal_insurance.home_context(request=request, partner=partner))
    return render(request, "pages/portal_more.html", context)
