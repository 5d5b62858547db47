"""The care team's assessment and treatment plan pages, and the couple page's Plan tab
section (pages/couple.py composes it).

Every page looks the couple up in the viewer's scope (outsiders get the audited 404), checks
the role (the couple's own partners get 403), then whether the viewer's role covers the
partner (plans.queries: the other partner's own clinicians get the audited 404). Reading a
record is audited; so is every write (plans.services). Who may read may write a draft; only
the assessor signs an assessment and the plan's responsible clinician its versions.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from audit.models import AuditEvent
from audit.services import audit_record
from common.forms import attach_service_error
from couples.models import Clinician, Couple, Partner
from couples.permissions import role_check
from couples.queries import (
    CareCoverage,
    clinician_get_for_user,
    couple_get_for_user,
    couple_time_zone,
    couple_today,
)
from couples.roles import Role
from goals.models import Goal
from plans import queries, services
from plans.forms import AssessmentForm, GoalForm, InterventionForm, ObjectiveForm, ProblemForm
from plans.models import Objective, PlanGoal, narrative_field, rating_field

# Assessment


@login_required
def assessment_page(request: HttpRequest, couple_pk: int, partner_pk: int) -> HttpResponse:
    couple, partner = _covered_partner(request, couple_pk, partner_pk)
    assessments = queries.assessments_for_partner(partner=partner)
    draft = next((a for a in assessments if not a.is_signed), None)
    current = next((a for a in assessments if a.is_signed), None)
    form = AssessmentForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(draft or current, couple),
    )
    if form.is_valid():
        try:
            services.assessment_save(
                partner=partner,
                assessor=clinician_get_for_user(user=request.user),
                assessed_on=form.cleaned_data["assessed_on"],
                recommended_level=form.cleaned_data["recommended_level"],
                ratings=form.ratings(),
                narratives=form.narratives(),
                by=request.user,
                request=request,
            )
        except ValidationError as error:
            attach_service_error(form, error)
        else:
            messages.success(request, "Draft assessment saved. Sign it to make it current.")
            return redirect(request.path)
    _read(request, target=current or draft or partner, partner=partner)
    context = {
        "couple": couple,
        "partner": partner,
        "form": form,
        "draft": draft,
        "current": current,
        "history": [a for a in assessments if a.is_signed],
        "may_sign": draft is not None and draft.assessor.user_id == request.user.pk,
        "time_zone": couple_time_zone(couple=couple),
    }
    return render(request, "plans/assessment_page.html", context)


@login_required
@require_POST
def assessment_sign(request: HttpRequest, couple_pk: int, partner_pk: int) -> HttpResponse:
    _, partner = _covered_partner(request, couple_pk, partner_pk)
    draft = next(
        (a for a in queries.assessments_for_partner(partner=partner) if not a.is_signed), None
    )
    if draft is None:
        messages.error(request, "There is no draft assessment to sign.")
    else:
        try:
            services.assessment_sign(assessment=draft, by=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"Assessment signed: it is {partner.display_name}’s current one."
            )
    return redirect("plans:assessment", couple_pk=couple_pk, partner_pk=partner_pk)


def _initial(assessment, couple: Couple) -> dict:
    if assessment is None:
        return {"assessed_on": couple_today(couple=couple)}
    initial = {
        "assessed_on": assessment.assessed_on
        if not assessment.is_signed
        else couple_today(couple=couple),
        "recommended_level": assessment.recommended_level,
    }
    for number in range(1, 7):
        initial[rating_field(number)] = getattr(assessment, rating_field(number))
        initial[narrative_field(number)] = getattr(assessment, narrative_field(number))
    return initial


# The couple page's Plan tab


def couple_plan_context(*, couple: Couple, partners: list[Partner], coverage: CareCoverage) -> dict:
    """Each partner's current assessment and plan (for the partners the viewer's role
    covers; the others read "Not shared with you" and are not read) and the couple plan.
    Three queries, however many versions."""
    shown = [partner.pk for partner in partners if coverage.covers(partner.pk)]
    assessments = queries.assessments_current_for_partners(partner_ids=shown)
    plans = queries.plans_for_couple(couple_id=couple.pk)
    by_partner = {plan.partner_id: plan for plan in plans}
    sections = []
    for partner in partners:
        plan = by_partner.get(partner.pk)
        sections.append(
            {
                "partner": partner,
                "may_see": partner.pk in shown,
                "assessment": assessments.get(partner.pk),
                "plan": _plan_summary(plan),
                "assessment_url": reverse(
                    "plans:assessment", kwargs={"couple_pk": couple.pk, "partner_pk": partner.pk}
                ),
                "plan_url": reverse(
                    "plans:partner_plan", kwargs={"couple_pk": couple.pk, "partner_pk": partner.pk}
                ),
            }
        )
    return {
        "plan_sections": sections,
        "couple_plan": _plan_summary(by_partner.get(None)),
        "couple_plan_url": reverse("plans:couple_plan", kwargs={"couple_pk": couple.pk}),
    }


def _plan_summary(plan) -> dict | None:
    if plan is None:
        return None
    return {
        "plan": plan,
        "current": queries.version_current(plan),
        "draft": queries.version_draft(plan),
    }


# Treatment plans: a partner's (partner_pk) or the couple's (no partner_pk)

ADD_FORMS = {
    "problem": ProblemForm,
    "goal": GoalForm,
    "objective": ObjectiveForm,
    "intervention": InterventionForm,
}


@login_required
def plan_page(request: HttpRequest, couple_pk: int, partner_pk: int | None = None) -> HttpResponse:
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    plan = queries.plan_for(couple=couple, partner=partner)
    version, tree, forms = None, [], {}
    if plan is not None:
        number = request.GET.get("version", "")
        version = next(
            (v for v in plan.version_list if str(v.number) == number), plan.version_list[0]
        )
        tree = queries.version_tree(version=version)
        if not version.is_signed:
            forms = _add_forms(None, couple, partner, tree)
            _item_links(tree, couple_pk, partner_pk)
    _read(request, target=plan or couple, partner=partner)
    context = {
        "couple": couple,
        "partner": partner,
        "plan": plan,
        "version": version,
        "tree": tree,
        "forms": forms,
        "may_sign": plan is not None and plan.responsible.user_id == request.user.pk,
        "urls": _plan_urls(couple_pk, partner_pk),
        "review_days": settings.PLAN_REVIEW_DAYS,
        "time_zone": couple_time_zone(couple=couple),
    }
    return render(request, "plans/plan_page.html", context)


@login_required
@require_POST
def plan_start(request: HttpRequest, couple_pk: int, partner_pk: int | None = None):
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    return _act(
        request,
        couple_pk,
        partner_pk,
        "Plan started: add its problems, goals, objectives and interventions.",
        lambda: services.plan_create(
            couple=couple,
            partner=partner,
            responsible=clinician_get_for_user(user=request.user),
            by=request.user,
            request=request,
        ),
    )


@login_required
@require_POST
def plan_sign(request: HttpRequest, couple_pk: int, partner_pk: int | None = None):
    version = _draft(*_plan_scope(request, couple_pk, partner_pk))
    return _act(
        request,
        couple_pk,
        partner_pk,
        "Plan signed.",
        version
        and (lambda: services.plan_version_sign(version=version, by=request.user, request=request)),
    )


@login_required
@require_POST
def plan_review(request: HttpRequest, couple_pk: int, partner_pk: int | None = None):
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    plan = queries.plan_for(couple=couple, partner=partner)
    return _act(
        request,
        couple_pk,
        partner_pk,
        "Review started: a new draft copied from the signed version.",
        plan and (lambda: services.plan_review_start(plan=plan, by=request.user, request=request)),
    )


@login_required
@require_POST
def plan_add(request: HttpRequest, couple_pk: int, kind: str, partner_pk: int | None = None):
    couple, partner = _plan_scope(request, couple_pk, partner_pk)
    if kind not in ADD_FORMS:
        raise Http404("No such part of a plan.")
    version = _draft(couple, partner)
    if version is None:
        return _act(request, couple_pk, partner_pk, "", None)
    form = _add_forms(request.POST, couple, partner, queries.version_tree(version=version))[kind]
    if not form.is_valid():
        messages.error(request, "Not added. " + _errors_in_words(form))
        return redirect(_plan_urls(couple_pk, partner_pk)["page"])
    return _act(
        request,
        couple_pk,
        partner_pk,
        "Added.",
        lambda: _add(kind, form.cleaned_data, version, request),
    )


def _add(kind: str, data: dict, version, request: HttpRequest):
    by = {"by": request.user, "request": request}
    parts = {p.pk: p for p in version.problems.all()}
    if kind == "problem":
        return services.problem_add(
            version=version, dimension=data["dimension"], description=data["description"], **by
        )
    if kind == "goal":
        goal = data["recovery_goal"]
        return services.goal_add(
            problem=parts[data["problem"]],
            description=data["description"],
            recovery_goal=Goal.objects.get(pk=goal) if goal else None,
            **by,
        )
    if kind == "objective":
        return services.objective_add(
            goal=PlanGoal.objects.get(pk=data["goal"], problem__version=version),
            description=data["description"],
            target_on=data["target_on"],
            **by,
        )
    return services.intervention_add(
        objective=Objective.objects.get(pk=data["objective"], goal__problem__version=version),
        description=data["description"],
        frequency=data["frequency"],
        responsible=Clinician.objects.get(pk=data["responsible"]),
        **by,
    )


def _add_forms(data, couple: Couple, partner: Partner | None, tree: list) -> dict:
    """The four add forms of a draft, their choices from the draft's own rows (so a posted
    id from elsewhere is refused as an invalid choice)."""
    goals = [goal for problem in tree for goal in problem.goals.all()]
    objectives = [o for goal in goals for o in goal.objectives.all()]
    team = [a.clinician for a in queries.care_team_for_plan(couple=couple, partner=partner)]
    return {
        "problem": ProblemForm(data, prefix="problem"),
        "goal": GoalForm(
            data,
            prefix="goal",
            problems=tree,
            recovery_goals=queries.recovery_goals_for(couple=couple, partner=partner),
        ),
        "objective": ObjectiveForm(data, prefix="objective", goals=goals),
        "intervention": InterventionForm(
            data, prefix="intervention", objectives=objectives, clinicians=team
        ),
    }


def _draft(couple: Couple, partner: Partner | None):
    plan = queries.plan_for(couple=couple, partner=partner)
    return queries.version_draft(plan) if plan else None


def _act(request, couple_pk: int, partner_pk: int | None, success: str, action):
    """Run the service and say how it went; no action: there is no plan or draft to act on."""
    if action is None:
        messages.error(request, "There is no draft version here: start the plan or a review.")
        return redirect(_plan_urls(couple_pk, partner_pk)["page"])
    try:
        action()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect(_plan_urls(couple_pk, partner_pk)["page"])


def _plan_urls(couple_pk: int, partner_pk: int | None) -> dict:
    name = "plans:partner_plan" if partner_pk else "plans:couple_plan"
    kwargs = {"couple_pk": couple_pk, **({"partner_pk": partner_pk} if partner_pk else {})}
    urls = {
        "page": reverse(name, kwargs=kwargs),
        **{step: reverse(f"{name}_{step}", kwargs=kwargs) for step in ("start", "sign", "review")},
    }
    for kind in ADD_FORMS:
        urls[f"add_{kind}"] = reverse(f"{name}_add", kwargs={**kwargs, "kind": kind})
    return urls


def _item_links(tree: list, couple_pk: int, partner_pk: int | None) -> None:
    """Each item of a draft's tree gets `edit_url` and `remove_url`: one reverse() per kind
    and action, then the item's pk in place of the last segment (a draft may hold a hundred
    items)."""
    name = "plans:partner_plan" if partner_pk else "plans:couple_plan"
    kwargs = {"couple_pk": couple_pk, **({"partner_pk": partner_pk} if partner_pk else {})}
    goals = [goal for problem in tree for goal in problem.goals.all()]
    objectives = [o for goal in goals for o in goal.objectives.all()]
    levels = {
        "problem": tree,
        "goal": goals,
        "objective": objectives,
        "intervention": [i for o in objectives for i in o.interventions.all()],
    }
    for kind, items in levels.items():
        for action in ("edit", "remove"):
            url = reverse(f"{name}_{action}", kwargs={**kwargs, "kind": kind, "item_pk": 0})
            stem = url.removesuffix("0/")
            for item in items:
                setattr(item, f"{action}_url", f"{stem}{item.pk}/")


def _errors_in_words(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _plan_scope(request: HttpRequest, couple_pk: int, partner_pk: int | None):
    """The couple and the partner (None: the couple plan, the whole care team's); anyone
    else gets the audited 404."""
    if partner_pk is not None:
        return _covered_partner(request, couple_pk, partner_pk)
    couple = couple_get_for_user(user=request.user, pk=couple_pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    return couple, None


# Shared


def _covered_partner(
    request: HttpRequest, couple_pk: int, partner_pk: int
) -> tuple[Couple, Partner]:
    couple = couple_get_for_user(user=request.user, pk=couple_pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    partner, _ = queries.covered_partner_get_for_user(
        user=request.user, couple=couple, partner_pk=partner_pk, request=request
    )
    return couple, partner


def _read(request: HttpRequest, *, target, partner: Partner | None) -> None:
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=target,
        patient=partner,
        request=request,
    )
