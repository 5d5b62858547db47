"""Editing and removing a draft plan version's problems, goals, objectives and interventions,
for a partner's plan or the couple plan.

The same access as adding one (plans.views): the couple in the viewer's scope, a clinician,
whose role covers the plan's partner (plans.queries); an item of another plan, or of nothing,
is the audited 404. An item of a signed version is refused with the reason, and the page
says where to go instead. Removing asks first, on its own page (a POST form, no script):
removing a problem removes its goals, their objectives and their interventions.
"""

from dataclasses import dataclass
from functools import reduce

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from audit.services import access_denied_record
from common.forms import attach_service_error
from couples.models import Couple, Partner
from couples.queries import couple_time_zone
from plans import queries, services_items
from plans.forms import GoalEditForm, InterventionEditForm, ObjectiveEditForm, ProblemForm
from plans.models import Intervention, Objective, PlanGoal, Problem, TreatmentPlan
from plans.services import LOCKED
from plans.views import _plan_scope, _plan_urls, _read


@dataclass(frozen=True)
class Kind:
    model: type
    to_version: str  # the path from the item to its version
    fields: tuple[str, ...]  # what the edit form shows, in the model's names
    below: tuple[str, ...]  # what removing it removes too, in words (plural)


KINDS = {
    "problem": Kind(
        Problem, "version", ("dimension", "description"), ("goals", "objectives", "interventions")
    ),
    "goal": Kind(
        PlanGoal,
        "problem__version",
        ("description", "recovery_goal"),
        ("objectives", "interventions"),
    ),
    "objective": Kind(
        Objective, "goal__problem__version", ("description", "target_on"), ("interventions",)
    ),
    "intervention": Kind(
        Intervention,
        "objective__goal__problem__version",
        ("description", "frequency", "responsible"),
        (),
    ),
}


@login_required
def plan_item_edit(
    request: HttpRequest, couple_pk: int, kind: str, item_pk: int, partner_pk: int | None = None
) -> HttpResponse:
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    item, version = _item_get(request, couple, partner, kind, item_pk)
    urls = _plan_urls(couple_pk, partner_pk)
    if version.is_signed:
        return _locked(request, urls, version)
    choices = _choices(couple, partner, kind)
    form = _form(kind, request.POST if request.method == "POST" else None, item, choices)
    if form.is_valid():
        try:
            _edit(kind, item, form.cleaned_data, choices, request)
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, f"The {kind} is saved.")
            return redirect(f"{urls['page']}#{kind}-{item.pk}")
    _read(request, target=item, partner=partner)
    context = {**_page(couple, partner, kind, item, urls), "form": form}
    return render(request, "plans/plan_item_edit.html", context)


@login_required
def plan_item_remove(
    request: HttpRequest, couple_pk: int, kind: str, item_pk: int, partner_pk: int | None = None
) -> HttpResponse:
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    item, version = _item_get(request, couple, partner, kind, item_pk)
    urls = _plan_urls(couple_pk, partner_pk)
    if version.is_signed:
        return _locked(request, urls, version)
    if request.method == "POST":
        remove = getattr(services_items, f"{kind}_remove")
        try:
            removed = remove(**{kind: item}, by=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _removed_in_words(kind, removed))
        return redirect(urls["page"])
    node = _node_in(queries.version_tree(version=version), kind, item.pk)
    _read(request, target=item, partner=partner)
    context = {**_page(couple, partner, kind, node, urls), "below": _below(kind, node)}
    return render(request, "plans/plan_item_remove.html", context)


def _item_get(request, couple: Couple, partner: Partner | None, kind: str, item_pk: int):
    """The item of this plan (any version) and its version; else the audited 404."""
    spec = KINDS.get(kind)
    plan = TreatmentPlan.objects.filter(couple=couple, partner=partner).first()
    item = None
    if spec is not None and plan is not None:
        found = spec.model.objects.select_related(spec.to_version)
        item = found.filter(pk=item_pk, **{f"{spec.to_version}__plan": plan}).first()
    if item is None:
        model = spec.model.__name__ if spec else kind
        access_denied_record(
            user=request.user, request=request, target_type=f"plans.{model}", target_id=item_pk
        )
        raise Http404("No such part of this plan.")
    return item, reduce(getattr, spec.to_version.split("__"), item)


def _locked(request, urls: dict, version) -> HttpResponse:
    messages.error(request, f"Version {version.number} is signed. {LOCKED}")
    return redirect(f"{urls['page']}?version={version.number}")


def _choices(couple: Couple, partner: Partner | None, kind: str) -> dict:
    """The recovery goals or the clinicians an edit may choose from (one query), by pk."""
    if kind == "goal":
        return {g.pk: g for g in queries.recovery_goals_for(couple=couple, partner=partner)}
    if kind == "intervention":
        team = queries.care_team_for_plan(couple=couple, partner=partner)
        return {a.clinician.pk: a.clinician for a in team}
    return {}


def _form(kind: str, data, item, choices: dict) -> forms.Form:
    initial = {
        name: getattr(item, item._meta.get_field(name).attname) for name in KINDS[kind].fields
    }
    if kind == "problem":
        return ProblemForm(data, initial=initial)
    if kind == "goal":
        return GoalEditForm(data, initial=initial, recovery_goals=choices.values())
    if kind == "objective":
        return ObjectiveEditForm(data, initial=initial)
    return InterventionEditForm(data, initial=initial, clinicians=choices.values())


def _edit(kind: str, item, data: dict, choices: dict, request: HttpRequest):
    by = {"by": request.user, "request": request}
    if kind == "problem":
        return services_items.problem_edit(
            problem=item, dimension=data["dimension"], description=data["description"], **by
        )
    if kind == "goal":
        return services_items.goal_edit(
            goal=item,
            description=data["description"],
            recovery_goal=choices.get(data["recovery_goal"]),
            **by,
        )
    if kind == "objective":
        return services_items.objective_edit(
            objective=item, description=data["description"], target_on=data["target_on"], **by
        )
    return services_items.intervention_edit(
        intervention=item,
        description=data["description"],
        frequency=data["frequency"],
        responsible=choices[data["responsible"]],
        **by,
    )


def _page(couple: Couple, partner: Partner | None, kind: str, item, urls: dict) -> dict:
    return {
        "couple": couple,
        "partner": partner,
        "kind": kind,
        "item": item,
        "urls": urls,
        "time_zone": couple_time_zone(couple=couple),
    }


def _node_in(tree: list[Problem], kind: str, pk: int):
    """The item in the version's loaded tree (its goals, objectives, interventions there)."""
    level = {"problem": tree}
    level["goal"] = [goal for problem in tree for goal in problem.goals.all()]
    level["objective"] = [o for goal in level["goal"] for o in goal.objectives.all()]
    level["intervention"] = [i for o in level["objective"] for i in o.interventions.all()]
    return next(node for node in level[kind] if node.pk == pk)


def _below(kind: str, node) -> dict[str, int]:
    """How many of each kind hang under the node: {"goals": 2, ...}, in KINDS' order."""
    goals = list(node.goals.all()) if kind == "problem" else []
    objectives = (
        [o for goal in goals for o in goal.objectives.all()]
        if kind == "problem"
        else list(node.objectives.all())
        if kind == "goal"
        else []
    )
    interventions = (
        [i for o in objectives for i in o.interventions.all()]
        if kind in ("problem", "goal")
        else list(node.interventions.all())
        if kind == "objective"
        else []
    )
    counts = {
        "goals": len(goals),
        "objectives": len(objectives),
        "interventions": len(interventions),
    }
    return {name: counts[name] for name in KINDS[kind].below if counts[name]}


def _removed_in_words(kind: str, removed: dict[str, int]) -> str:
    words = {"plangoal": "goal", "objective": "objective", "intervention": "intervention"}
    parts = [
        f"{count} {word}{'' if count == 1 else 's'}"
        for model, word in words.items()
        if model != KINDS[kind].model.__name__.lower() and (count := removed.get(model))
    ]
    if not parts:
        return f"The {kind} is removed."
    together = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    return f"The {kind} is removed, with its {together}."
