"""Portal pages: daily check-in, goals, progress logging, help. Partners only."""

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from common.forms import attach_service_error
from couples import services as couple_services
from couples.models import Partner
from couples.permissions import partner_required
from couples.queries import (
    couple_time_zone,
    couple_today,
    individual_items_access,
    partner_get_for_user,
)
from goals import cards, charts, queries, services, words
from goals.forms import ChangeRequestForm, GoalProposeForm, ProgressLogForm
from goals.models import CHANGE_ALREADY_ASKED_CODE, EDIT_WINDOW_DAYS, Goal, ProgressEntry

GOALS_DAYS = 30
# The home's compact rows show a week: what "this week" means to a partner.
HOME_DAYS = 7
DETAIL_DAYS = (30, 90)
DISCLOSED_GOALS = "individual goals"
# A message about one goal carries this tag and its pk ("goal-12"): the page that shows the
# goal's card shows the message inside it, where the button was tapped.
GOAL_TAG = "goal-"


def goal_tag(goal: Goal) -> str:
    return f"{GOAL_TAG}{goal.pk}"


# Portal home: not a view, the goals part of pages.portal.portal_home


def home_context(*, request: HttpRequest, partner: Partner) -> dict:
    """What the home needs of goals: today's check-in and the streak, the shared goals
    waiting for my answer, and a compact row per goal of ours and mine (a week of my own
    progress and what I logged today). My partner's own goals stay on the Goals page, so
    the home discloses nothing of theirs.

    One read each: today's check-in with the uses that break the streak, the visible goals
    (with acceptances), their entries over 7 days, open change requests of pending goals.
    """
    today = couple_today(couple=partner.couple)
    visible = queries.goal_list_for_user(user=request.user, couple=partner.couple)
    pending = [goal for goal in visible.shared if goal.status == Goal.Status.PROPOSED]
    shown = [goal for goal in visible.shared if goal not in pending]
    shown += visible.individual.get(partner.pk, [])
    days = charts.window(today=today, days=HOME_DAYS)
    progress = queries.progress_for_goals(goals=shown, since=days[0]) if shown else {}
    changes = queries.change_request_list_for_goals(goals=pending) if pending else {}
    card = cards.card_builder(partner=partner, progress=progress, days=days, today=today)
    today_checkin, streak = queries.checkin_today_and_streak(partner=partner, today=today)
    return {
        "today": today,
        "today_checkin": today_checkin,
        "streak": streak,
        "pending_goals": [
            cards.pending_goal(goal, partner=partner, changes=changes) for goal in pending
        ],
        "goal_rows": [card(goal) for goal in shown],
    }


@partner_required
@require_GET
def goal_list(request: HttpRequest) -> HttpResponse:
    """Every goal I may see: waiting for agreement, ours, mine, and my partner's own while
    their consent shares them (with the Part 2 notice, each view a disclosure row)."""
    partner = partner_get_for_user(user=request.user)
    context = _goal_list_context(request=request, partner=partner)
    shown = [item.goal.pk for item in context["pending_goals"]]
    shown += [card.goal.pk for key in CARD_LISTS for card in context[key]]
    page_messages, notes = messages_by_goal(request, goal_ids=set(shown))
    context["messages"] = page_messages  # the rest are drawn inside their cards
    context["pending_goals"] = [
        (item, notes.get(item.goal.pk, [])) for item in context["pending_goals"]
    ]
    for key in CARD_LISTS:
        context[key] = [(card, notes.get(card.goal.pk, [])) for card in context[key]]
    return render(request, "goals/portal_goal_list.html", context)


CARD_LISTS = ("shared_goal_cards", "my_goal_cards", "partner_goal_cards")


def _goal_list_context(*, request: HttpRequest, partner: Partner) -> dict:
    """1. One read each: the visible goals (with acceptances), their entries over 30 days,
       open change requests of the pending ones.
    2. For each partner whose consent let me see their individual goals: a disclosure row.
    """
    couple = partner.couple
    today = couple_today(couple=couple)
    visible = queries.goal_list_for_user(user=request.user, couple=couple)
    others = [other for other in couple.partners.all() if other.pk != partner.pk]
    theirs = [goal for other in others for goal in visible.individual.get(other.pk, [])]
    mine = visible.individual.get(partner.pk, [])
    goals = visible.shared + mine + theirs
    days = charts.window(today=today, days=GOALS_DAYS)
    progress = queries.progress_for_goals(goals=goals, since=days[0]) if goals else {}
    pending = [goal for goal in visible.shared if goal.status == Goal.Status.PROPOSED]
    changes = queries.change_request_list_for_goals(goals=pending) if pending else {}
    for owner, access in visible.disclosed_by:
        couple_services.disclosure_record(
            viewer=request.user,
            owner=owner,
            consent=access.consent,
            what=DISCLOSED_GOALS,
            request=request,
        )
    card = cards.card_builder(partner=partner, progress=progress, days=days, today=today)
    return {
        "pending_goals": [
            cards.pending_goal(goal, partner=partner, changes=changes) for goal in pending
        ],
        "shared_goal_cards": [card(goal) for goal in visible.shared if goal not in pending],
        "my_goal_cards": [card(goal) for goal in mine],
        "partner_goal_cards": [card(goal) for goal in theirs],
        "shows_part2_notice": bool(visible.disclosed_by),
        "disclosed_by_names": [owner.display_name for owner, _ in visible.disclosed_by],
    }


def messages_by_goal(request: HttpRequest, *, goal_ids: set[int]) -> tuple[list, dict]:
    """This request's messages split in two: those about a goal whose card the page shows
    (goal pk -> messages), and the rest, for the top of the page. Reading them here marks
    them shown, as the page's own loop would."""
    page, by_goal = [], {}
    for message in messages.get_messages(request):
        pk = _tagged_goal(message.extra_tags)
        if pk in goal_ids:
            by_goal.setdefault(pk, []).append(message)
        else:
            page.append(message)
    return page, by_goal


def _tagged_goal(extra_tags: str) -> int | None:
    for tag in (extra_tags or "").split():
        if tag.startswith(GOAL_TAG) and tag[len(GOAL_TAG) :].isdigit():
            return int(tag[len(GOAL_TAG) :])
    return None


# Goal pages


@partner_required
@require_GET
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    partner = partner_get_for_user(user=request.user)
    context = _detail_context(request=request, goal=goal, partner=partner, log_form=None)
    return render(request, "goals/portal_goal_detail.html", context)


@partner_required
@require_POST
def progress_log(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    partner = partner_get_for_user(user=request.user)
    form = ProgressLogForm(request.POST, goal=goal, days=_log_days(goal, partner=partner))
    if form.is_valid():
        try:
            entry = services.progress_log(
                goal=goal, partner=partner, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _logged_message(entry, goal=goal), extra_tags=goal_tag(goal))
            return redirect(_back_to_card(request, goal=goal))
    if "next" in request.POST:
        # A two-tap button: say what went wrong in the card it was tapped in.
        messages.error(request, " ".join(_error_texts(form)), extra_tags=goal_tag(goal))
        return redirect(_back_to_card(request, goal=goal))
    context = _detail_context(request=request, goal=goal, partner=partner, log_form=form)
    return render(request, "goals/portal_goal_detail.html", context)


def _logged_message(entry: ProgressEntry, *, goal: Goal) -> str:
    value = words.value_label(goal.measure, entry.value)
    saved = f"Saved “{goal.title}” for {entry.day:%A, %B} {entry.day.day}: {value}."
    if goal.measure != Goal.Measure.MILESTONE or not entry.value:
        return saved
    goal.refresh_from_db(fields=["status"])  # marking it reached may have achieved it
    if goal.status == Goal.Status.ACHIEVED:
        return f"{saved} “{goal.title}” is achieved. Well done."
    return f"{saved} It is achieved once your partner marks it reached too."


def _detail_context(
    *, request: HttpRequest, goal: Goal, partner: Partner, log_form: Form | None
) -> dict:
    """Everything the goal page shows; a log form with errors replaces the blank one."""
    today = couple_today(couple=partner.couple)
    span = 90 if request.GET.get("days") == "90" else 30
    days = charts.window(today=today, days=span)
    entries = queries.progress_for_goals(goals=[goal], since=days[0]).get(goal.pk, {})
    people = cards.people_of(goal, partner=partner)
    if log_form is None and cards.can_log(goal, partner=partner, today=today):
        mine = next((e for e in entries.get(partner.pk, []) if e.day == today), None)
        initial = {"day": today, "value": mine.value if mine else None}
        log_form = ProgressLogForm(
            goal=goal, days=_log_days(goal, partner=partner), initial=initial
        )
    card = cards.card_builder(partner=partner, progress={goal.pk: entries}, days=days, today=today)
    accepted = {a.partner_id: a.accepted_at for a in goal.acceptances.all()}
    return {
        "goal": goal,
        "kind_label": cards.kind_label(goal, partner=partner),
        "time_zone": couple_time_zone(couple=partner.couple),
        "window_days": EDIT_WINDOW_DAYS,
        "card": card(goal),
        "span": span,
        "spans": [(option, f"?days={option}") for option in DETAIL_DAYS],
        "people_names": [cards.person_name(person, partner) for person in people],
        "table_rows": cards.table_rows(goal, entries=entries, people=people, days=days),
        "agreement": [
            (cards.person_name(p, partner), accepted.get(p.pk)) for p in people if goal.is_shared
        ],
        "change_requests": queries.change_request_list_for_goals(goals=[goal]).get(goal.pk, []),
        "transitions": queries.transition_list_for_goal(goal=goal),
        "can_accept": goal.is_shared
        and goal.status == Goal.Status.PROPOSED
        and partner.pk not in accepted,
        "can_request_change": goal.is_shared,
        "can_withdraw": goal.is_shared
        and goal.status == Goal.Status.PROPOSED
        and goal.created_by_id == request.user.pk,
        "log_form": log_form,
        "is_disclosure": _record_disclosure(request=request, goal=goal),
    }


def _record_disclosure(*, request: HttpRequest, goal: Goal) -> bool:
    """The other partner reading an individual goal under consent: one accounting row."""
    if goal.partner is None or goal.partner.user_id == request.user.pk:
        return False
    access = individual_items_access(viewer=request.user, owner=goal.partner)
    if not access.is_disclosure:
        return False
    couple_services.disclosure_record(
        viewer=request.user,
        owner=goal.partner,
        consent=access.consent,
        what=f"individual goal “{goal.title}”",
        request=request,
    )
    return True


def _log_days(goal: Goal, *, partner: Partner) -> list[datetime.date]:
    """The days a partner may still log, newest first, from the goal's start."""
    today = couple_today(couple=partner.couple)
    window = [today - datetime.timedelta(days=back) for back in range(EDIT_WINDOW_DAYS + 1)]
    return [day for day in window if day >= goal.start_on] or [today]


@partner_required
def goal_new(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user)
    initial = {"start_on": couple_today(couple=partner.couple), "kind": GoalProposeForm.KIND_SHARED}
    form = GoalProposeForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        is_shared = fields.pop("kind") == GoalProposeForm.KIND_SHARED
        try:
            goal = services.goal_create(
                couple=partner.couple,
                partner=None if is_shared else partner,
                by=request.user,
                request=request,
                **fields,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, _created_message(goal, partner=partner))
            return redirect(_detail_url(goal))
    return render(request, "goals/portal_goal_form.html", {"form": form})


def _created_message(goal: Goal, *, partner: Partner) -> str:
    if not goal.is_shared:
        return f"“{goal.title}” is one of your goals now."
    others = [p.display_name for p in partner.couple.partners.all() if p.pk != partner.pk]
    who = others[0] if others else "your partner"
    return f"You proposed “{goal.title}”. It starts once {who} agrees too."


@partner_required
@require_POST
def goal_accept(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    partner = partner_get_for_user(user=request.user)
    tag = goal_tag(goal)
    try:
        goal = services.goal_accept(goal=goal, partner=partner, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages), extra_tags=tag)
    else:
        if goal.status == Goal.Status.ACTIVE:
            text = f"You both agreed: “{goal.title}” is active now."
        else:
            text = f"You agreed to “{goal.title}”. It starts once both agree."
        messages.success(request, text, extra_tags=tag)
    # Back where Accept was tapped (its card on the Goals page, the home's to-do list).
    return redirect(_next_url(request, default=reverse("pages:portal_home")))


@partner_required
@require_POST
def goal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    partner = partner_get_for_user(user=request.user)
    try:
        goal = services.goal_withdraw(goal=goal, by=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_detail_url(goal))
    others = [p.display_name for p in partner.couple.partners.all() if p.pk != partner.pk]
    who = others[0] if others else "Your partner"
    messages.success(
        request, f"You withdrew “{goal.title}”. {who} is no longer asked to agree to it."
    )
    return redirect("pages:portal_home")


@partner_required
def goal_request_change(request: HttpRequest, pk: int) -> HttpResponse:
    goal = queries.goal_get_for_user(user=request.user, pk=pk, request=request)
    partner = partner_get_for_user(user=request.user)
    form = ChangeRequestForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.goal_request_change(
                goal=goal, partner=partner, note=form.cleaned_data["note"], request=request
            )
        except ValidationError as error:
            if getattr(error, "code", None) == CHANGE_ALREADY_ASKED_CODE:
                # A second tap or a form sent again: the first is saved, and listed there.
                messages.info(request, " ".join(error.messages))
                return redirect(_detail_url(goal))
            attach_service_error(form, error)
        else:
            messages.success(request, "Your request is saved. Talk it over together.")
            return redirect(_detail_url(goal))
    context = {"goal": goal, "form": form, "can_request_change": goal.is_shared}
    return render(request, "goals/portal_change_request_form.html", context)


# Helpers


def _detail_url(goal: Goal) -> str:
    return reverse("goals:portal_goal_detail", args=[goal.pk])


def _next_url(request: HttpRequest, *, default: str) -> str:
    """Back where a button was pressed, if that is a page of this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _back_to_card(request: HttpRequest, *, goal: Goal) -> str:
    """The page a two-tap button was on, scrolled to the goal's card, whose message says
    what happened: the page does not jump away from where the tap was."""
    page = _next_url(request, default="").split("#")[0]
    return f"{page}#goal-{goal.pk}" if page else _detail_url(goal)


def _error_texts(form: Form) -> list[str]:
    return [message for errors in form.errors.values() for message in errors]
