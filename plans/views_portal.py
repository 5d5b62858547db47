"""The partner's treatment plans on the portal, in plain language (issue 21).

A partner reads their own plan and their couple's plan (the couple plan of the couples
therapy), the current signed version only: never a draft, never an older version, never the
other partner's plan (the audited 404, as if it did not exist). The plan page says what the
clinic's form says in clinical words ("Problem, ASAM dimension 5; objective; intervention")
as "What we're working on", "What you're aiming for", "How we'll know" and "What we'll do
together", and asks the partner to acknowledge it: once per version, and for the couple
plan, each partner for themselves (each sees whether the other has, and nothing else).

Every plan opened is audited, the partner's own read included. The list shows only which
plans there are, who signed them and when, and whether they were acknowledged.
"""

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditEvent
from audit.services import audit_record
from common.dates import long_date
from couples.models import Partner
from couples.permissions import partner_required
from couples.queries import couple_time_zone, couple_today, partner_get_for_user, partner_other
from plans import queries, services
from plans.models import Dimension, Intervention, Problem

# The ASAM dimensions as a partner would name them (the clinic pages keep the criteria's).
PLAIN_DIMENSIONS = {
    Dimension.INTOXICATION: "Staying safe through withdrawal",
    Dimension.BIOMEDICAL: "Physical health",
    Dimension.EMOTIONAL: "Feelings, mood and thinking",
    Dimension.READINESS: "Readiness for change",
    Dimension.RELAPSE: "Staying in recovery",
    Dimension.ENVIRONMENT: "Home, relationships and support",
}
PLAIN_FREQUENCIES = {
    Intervention.Frequency.DAILY: "every day",
    Intervention.Frequency.THREE_A_WEEK: "3 times a week",
    Intervention.Frequency.TWICE_A_WEEK: "twice a week",
    Intervention.Frequency.WEEKLY: "once a week",
    Intervention.Frequency.FORTNIGHTLY: "every 2 weeks",
    Intervention.Frequency.MONTHLY: "once a month",
    Intervention.Frequency.AS_NEEDED: "when it is needed",
}

# What the acknowledge button answered carries this tag: the page says it beside the button.
ACKNOWLEDGEMENT_TAG = "plan-acknowledgement"


@dataclass(frozen=True)
class PlanTodo:
    """The home's "Read and acknowledge" row: where it leads and what it says."""

    url: str
    title: str
    detail: str


# Portal home: not a view, the plans part of pages.portal.portal_home


def home_context(*, request: HttpRequest, partner: Partner) -> dict:
    """A to-do row while a current signed version of one of my plans waits for my
    acknowledgement: to that plan, or to the list when two do. One query."""
    waiting = queries.plans_to_acknowledge_for_partner(user=request.user)
    todo = None
    if len(waiting) == 1:
        (plan,) = waiting
        which = "couple plan" if plan.is_couple_plan else "treatment plan"
        todo = PlanTodo(
            url=reverse("plans:portal_detail", args=[plan.pk]),
            title=f"Read and acknowledge your {which}",
            detail="Your care team signed it. Read it, then tap “I’ve read my plan”.",
        )
    elif waiting:
        todo = PlanTodo(
            url=reverse("plans:portal_list"),
            title="Read and acknowledge your treatment plans",
            detail="Your care team signed your own plan and your couple plan. Read each one.",
        )
    return {"plan_todo": todo}


@partner_required
@require_GET
def plan_list(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user)
    context = {
        "rows": [
            _row(portal_plan, partner=partner)
            for portal_plan in queries.plans_for_partner_portal(user=request.user)
        ],
        "time_zone": couple_time_zone(couple=partner.couple),
    }
    return render(request, "plans/portal_list.html", context)


@partner_required
@require_GET
def plan_detail(request: HttpRequest, plan_pk: int) -> HttpResponse:
    portal_plan = queries.plan_get_for_partner(user=request.user, pk=plan_pk, request=request)
    partner = partner_get_for_user(user=request.user)
    version = portal_plan.version
    problems = queries.version_tree(version=version)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=version,
        patient=partner,
        request=request,
    )
    _describe(problems, today=couple_today(couple=partner.couple))
    # What the button answered is said beside it, not at the top of a long page.
    notes = list(messages.get_messages(request))
    context = {
        **_row(portal_plan, partner=partner),
        "problems": problems,
        "time_zone": couple_time_zone(couple=partner.couple),
        "messages": [note for note in notes if not _is_acknowledgement_note(note)],
        "acknowledgement_notes": [note for note in notes if _is_acknowledgement_note(note)],
    }
    return render(request, "plans/portal_detail.html", context)


@partner_required
@require_POST
def plan_acknowledge(request: HttpRequest, plan_pk: int) -> HttpResponse:
    """Acknowledge the version the page showed (its number is posted): the current one
    once; a second time says so; one a newer version replaced is refused."""
    portal_plan = queries.plan_get_for_partner(user=request.user, pk=plan_pk, request=request)
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    number = request.POST.get("version", "")
    version = next((v for v in portal_plan.plan.version_list if str(v.number) == number), None)
    back = reverse("plans:portal_detail", args=[plan_pk]) + "#acknowledgement"
    if version is None:
        _say(request, messages.ERROR, "Read the plan above, then tap “I’ve read my plan”.")
        return redirect(back)
    try:
        acknowledgement, is_new = services.plan_acknowledgement_get_or_create(
            version=version, partner=partner, request=request
        )
    except ValidationError as error:
        _say(request, messages.ERROR, " ".join(error.messages))
        return redirect(back)
    if is_new:
        _say(request, messages.SUCCESS, "Thank you. Your care team can see that you read it.")
    else:
        at = acknowledgement.acknowledged_at.astimezone(couple_time_zone(couple=partner.couple))
        _say(request, messages.INFO, f"You had acknowledged it already, on {long_date(at)}.")
    return redirect(back)


# Helpers


def _say(request: HttpRequest, level: int, text: str) -> None:
    messages.add_message(request, level, text, extra_tags=ACKNOWLEDGEMENT_TAG)


def _is_acknowledgement_note(note) -> bool:
    return ACKNOWLEDGEMENT_TAG in note.tags.split()


def _row(portal_plan: queries.PortalPlan, *, partner: Partner) -> dict:
    """What the list and the page say of a plan: whose it is, who signed it and when, and
    who acknowledged it (for the couple plan, the other partner too: yes or no, and when)."""
    plan, version = portal_plan.plan, portal_plan.version
    other = partner_other(partner=partner) if plan.is_couple_plan else None
    acknowledged = portal_plan.acknowledgements
    signer = plan.responsible if plan.responsible.user_id == version.signed_by_id else None
    return {
        "plan": plan,
        "version": version,
        "title": "Our couple plan" if plan.is_couple_plan else "My treatment plan",
        "signer": signer or version.signed_by,
        "mine": acknowledged.get(partner.pk),
        "other_partner": other,
        "theirs": acknowledged.get(other.pk) if other else None,
        "is_review": version.number > 1,
    }


def _describe(problems: list[Problem], *, today: datetime.date) -> None:
    """Give each problem its area and each objective and intervention its words, read from
    the loaded tree (no query)."""
    for problem in problems:
        problem.area = PLAIN_DIMENSIONS.get(problem.dimension, "")
        for goal in problem.goals.all():
            for objective in goal.objectives.all():
                objective.time_left = time_left(objective.target_on, today=today)
                for intervention in objective.interventions.all():
                    intervention.how_often = PLAIN_FREQUENCIES.get(
                        intervention.frequency, intervention.get_frequency_display()
                    )


def time_left(target_on: datetime.date, *, today: datetime.date) -> str:
    """How far a target date is, in words: "today", "tomorrow", "in 5 days", "in 3 weeks",
    "in about 4 months"; a date gone by says so kindly."""
    days = (target_on - today).days
    if days < 0:
        return "this date has passed: your care team will go over it with you"
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 14:
        return f"in {days} days"
    if days < 60:
        return f"in {days // 7} weeks"
    return f"in about {round(days / 30.4)} months"
