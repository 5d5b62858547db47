"""Clinic pages: a couple's goals and their progress. Clinicians on the care team only.

Every page looks the record up in the viewer's scope first (outsiders get the audited
404), then checks the role (this couple's own partners get 403), as couple_detail does.
"""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import access_denied_record, audit_record
from common.forms import attach_service_error
from couples.models import Couple, Partner
from couples.permissions import role_check
from couples.queries import (
    IndividualItemsAccess,
    couple_get_for_user,
    couple_time_zone,
    couple_today,
    individual_items_access,
    individual_items_access_for_partners,
    partner_list_for_couple,
)
from couples.roles import Role
from goals import cards_clinic as cards
from goals import queries, services, words
from goals.forms_clinic import ClinicGoalForm, GoalTransitionForm
from goals.models import Goal

PROGRESS_WINDOWS = (30, 90)
COUPLE_PAGE_PROGRESS_DAYS = 30
CHECKIN_DAYS = 14
STATUS_ACTIONS = {
    Goal.Status.ACTIVE: ("Make active", "btn-outline-primary"),
    Goal.Status.ACHIEVED: ("Mark achieved", "btn-outline-success"),
    Goal.Status.ON_HOLD: ("Put on hold", "btn-outline-secondary"),
    Goal.Status.CANCELLED: ("Cancel goal", "btn-outline-danger"),
}


# Pages


@login_required
def goal_new(request: HttpRequest, couple_pk: int) -> HttpResponse:
    couple = couple_get_for_user(user=request.user, pk=couple_pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    partners = list(partner_list_for_couple(couple=couple))
    partner = _partner_from_url(request, partners)
    form = ClinicGoalForm(
        request.POST if request.method == "POST" else None,
        initial={"start_on": couple_today(couple=couple)},
    )
    if form.is_valid():
        try:
            goal = services.goal_create(
                couple=couple,
                partner=partner,
                by=request.user,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _created_message(goal, partner))
            return redirect("goals:clinic_goal_detail", pk=goal.pk)
    context = {
        "form": form,
        "couple": couple,
        "partner": partner,
        "couple_names": _names(partners),
        "heading": f"New goal for {partner.display_name}" if partner else "New shared goal",
    }
    return render(request, "goals/clinic_goal_form.html", context)


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    partners = list(partner_list_for_couple(couple=goal.couple))
    days = PROGRESS_WINDOWS[-1] if request.GET.get("days") == "90" else PROGRESS_WINDOWS[0]
    today = couple_today(couple=goal.couple)
    since = today - datetime.timedelta(days=days - 1)
    changes = queries.change_request_list_for_goals(goals=[goal])[goal.pk]
    context = {
        "goal": goal,
        "couple_names": _names(partners),
        "target": words.target_label(goal),
        "card": cards.goal_card(
            goal,
            partners=partners,
            entries=queries.progress_for_goals(goals=[goal], since=since)[goal.pk],
            changes=changes,
            since=since,
            today=today,
        ),
        "change_requests": changes,
        "transitions": queries.transition_list_for_goal(goal=goal),
        "status_actions": _status_actions(goal),
        "time_zone": couple_time_zone(couple=goal.couple),
        "windows": [(n, f"?{urlencode({'days': n})}", n == days) for n in PROGRESS_WINDOWS],
    }
    _record_read(request, goal, partners)
    return render(request, "goals/clinic_goal_detail.html", context)


@login_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    title = goal.title  # a refused edit leaves the object changed; show the saved title
    form = ClinicGoalForm(
        request.POST if request.method == "POST" else None,
        initial=ClinicGoalForm.initial_for(goal),
    )
    if form.is_valid():
        try:
            services.goal_update(goal=goal, by=request.user, request=request, **form.cleaned_data)
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _updated_message(goal, changed=form.has_changed()))
            return redirect("goals:clinic_goal_detail", pk=goal.pk)
    partners = list(partner_list_for_couple(couple=goal.couple))
    context = {
        "form": form,
        "goal": goal,
        "couple": goal.couple,
        "couple_names": _names(partners),
        "heading": f"Edit “{title}”",
        "can_edit": goal.status not in cards.FINISHED,
        "asks_agreement_again": goal.is_shared and goal.status == Goal.Status.PROPOSED,
    }
    _record_read(request, goal, partners)
    return render(request, "goals/clinic_goal_form.html", context)


@login_required
@require_POST
def goal_transition(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    form = GoalTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the status buttons.")
        return redirect("goals:clinic_goal_detail", pk=goal.pk)
    to_status = form.cleaned_data["to_status"]
    try:
        services.goal_transition(
            goal=goal,
            to_status=to_status,
            note=form.cleaned_data["note"],
            by=request.user,
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        label = Goal.Status(to_status).label.lower()
        messages.success(request, f"“{goal.title}” is now {label}.")
    return redirect("goals:clinic_goal_detail", pk=goal.pk)


# The couple page's goals and check-ins tabs (pages/couple.py composes them)


def couple_goals_context(*, request: HttpRequest, couple: Couple, partners: list[Partner]) -> dict:
    """Goals with 30 days of progress, for the couple page's goals tab.

    The couple is already scope- and role-checked (and its read audited) by the caller, which
    passes its partners. A fixed number of queries, however many goals and entries there are.
    A partner whose individual goals the viewer's role does not cover (another clinician's
    patient) reads "Not shared with you", and offers no new goal for them.
    """
    today = couple_today(couple=couple)
    visible = queries.goal_list_for_user(user=request.user, couple=couple, partners=partners)
    individual = {p.pk: cards.in_status_order(visible.individual.get(p.pk, [])) for p in partners}
    goals = visible.shared + [goal for goals in individual.values() for goal in goals]
    since = today - datetime.timedelta(days=COUPLE_PAGE_PROGRESS_DAYS - 1)
    progress = queries.progress_for_goals(goals=goals, since=since)
    changes = queries.change_request_list_for_goals(goals=visible.shared)

    def card(goal: Goal) -> cards.GoalCard:
        entries, asked = progress[goal.pk], changes[goal.pk]
        return cards.goal_card(
            goal, partners=partners, entries=entries, changes=asked, since=since, today=today
        )

    new_goal = reverse("goals:clinic_goal_new", kwargs={"couple_pk": couple.pk})
    covered = [p for p in partners if visible.readable.get(p.pk)]
    return {
        "progress_days": COUPLE_PAGE_PROGRESS_DAYS,
        "shared_goals": [card(goal) for goal in cards.in_status_order(visible.shared)],
        "individual_goals": [
            (partner, [card(goal) for goal in individual[partner.pk]], partner in covered)
            for partner in partners
        ],
        "new_goal_links": [("New shared goal", new_goal)]
        + [
            (f"New goal for {p.display_name}", f"{new_goal}?{urlencode({'partner': p.pk})}")
            for p in covered
        ],
    }


def couple_checkins_context(
    *,
    request: HttpRequest,
    couple: Couple,
    partners: list[Partner],
    accesses: dict[int, IndividualItemsAccess] | None = None,
) -> dict:
    """Each partner's last 14 days of check-ins and sober streak, for the check-ins tab; a
    partner whose check-ins the viewer's role does not cover reads "Not shared with you", and
    their check-ins are not read. `accesses` as the caller read them, if it did."""
    today = couple_today(couple=couple)
    if accesses is None:
        accesses = individual_items_access_for_partners(viewer=request.user, partners=partners)
    return {
        "checkin_summaries": _checkin_summaries(partners, accesses, today),
        "checkin_days": CHECKIN_DAYS,
    }


def _checkin_summaries(partners, accesses, today) -> list[cards.CheckInSummary]:
    since = today - datetime.timedelta(days=CHECKIN_DAYS - 1)
    readable = [partner for partner in partners if accesses[partner.pk].checkins]
    checkins = queries.checkin_list_for_partners(partners=readable, since=since)
    summaries = []
    for partner in partners:
        may_see = accesses[partner.pk].checkins
        summaries.append(
            cards.checkin_summary(
                partner=partner,
                checkins=checkins[partner.pk],
                streak=queries.sober_streak(partner=partner, today=today) if may_see else None,
                may_see=may_see,
                today=today,
                days=CHECKIN_DAYS,
            )
        )
    return summaries


def _status_actions(goal: Goal) -> list[tuple[str, str, str]]:
    """(status, button label, button style) for each status this goal may move to.

    A proposed shared goal becomes active only through both partners' agreement.
    """
    allowed = services.TRANSITIONS[goal.status]
    if goal.is_shared and goal.status == Goal.Status.PROPOSED:
        allowed = allowed - {Goal.Status.ACTIVE}
    return [(status, *STATUS_ACTIONS[status]) for status in STATUS_ACTIONS if status in allowed]


def _partner_from_url(request: HttpRequest, partners: list[Partner]) -> Partner | None:
    """The partner named by ?partner= (an individual goal), who must be one of the couple's
    and covered by the clinician's role (another partner's individual goals are not theirs)."""
    raw = request.GET.get("partner")
    if raw is None:
        return None
    partner = next((p for p in partners if str(p.pk) == raw), None)
    if (
        partner is not None
        and not individual_items_access(viewer=request.user, owner=partner).goals
    ):
        partner = None
    if partner is None:
        access_denied_record(
            user=request.user, request=request, target_type="couples.Partner", target_id=raw[:20]
        )
        raise Http404
    return partner


@transaction.atomic
def _record_read(request: HttpRequest, goal: Goal, partners: list[Partner]) -> None:
    """A clinician reading a goal reads its owner's record; a shared goal, both partners'."""
    for patient in partners if goal.is_shared else [goal.partner]:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.READ,
            target=goal,
            patient=patient,
            request=request,
        )


def _names(partners: list[Partner]) -> str:
    return " & ".join(partner.display_name for partner in partners) or "This couple"


def _created_message(goal: Goal, partner: Partner | None) -> str:
    if partner is None:
        return f"“{goal.title}” is proposed. It becomes active when both partners accept it."
    return f"“{goal.title}” is set for {partner.display_name} and active now."


def _updated_message(goal: Goal, *, changed: bool) -> str:
    if changed and goal.is_shared and goal.status == Goal.Status.PROPOSED:
        return f"“{goal.title}” is saved. Both partners are asked to agree to the new terms."
    return f"“{goal.title}” is saved."
