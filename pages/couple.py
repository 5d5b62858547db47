"""The couple page for the care team: an overview and one tab per kind of record.

No request draws everything: the overview shows the partners, their consent, this week and
the care team; the goals, check-ins, sessions, measures, plan, notes and insurance tabs each
read only their own records. Every tab looks the couple up in the viewer's scope (outsiders get the
audited 404), then checks the role (this couple's own partners get 403), reads the partners
once and passes them to the app that draws the section, and audits the read: one row per
partner shown.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from couples import queries, services
from couples.models import Couple, Partner
from couples.permissions import role_check
from couples.roles import Role
from goals.views import clinic as clinic_goals
from insurance import queries as insurance_queries
from measures.views import clinic as clinic_measures
from notes.views import clinic as clinic_notes
from plans import views as clinic_plans
from sessions.views import clinic as clinic_sessions
from triage import queries as triage_queries


@dataclass(frozen=True)
class Tab:
    name: str
    label: str
    url_name: str


TABS = (
    Tab("overview", "Overview", "pages:couple_detail"),
    Tab("goals", "Goals", "pages:couple_goals"),
    Tab("checkins", "Check-ins", "pages:couple_checkins"),
    Tab("sessions", "Sessions", "pages:couple_sessions"),
    Tab("measures", "Measures", "pages:couple_measures"),
    Tab("plan", "Plan", "pages:couple_plan"),
    Tab("notes", "Notes", "pages:couple_notes"),
    Tab("insurance", "Insurance", "pages:couple_insurance"),
)


@login_required
def couple_detail(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_read(request, pk)
    consents = queries.consent_overviews_for_partners(partners=partners)
    history = list(queries.care_history_for_couple(couple=couple))
    context = {
        "consents": [(partner, consents[partner.pk]) for partner in partners],
        "care_team": queries.care_team_from_history(history),
        "care_history": history,
        # What the queue raised about the couple, and what the team did about it.
        "triage_items": triage_queries.items_for_couple(user=request.user, couple_id=couple.pk),
        **clinic_sessions.couple_week_context(request=request, couple=couple, partners=partners),
    }
    return _tab(request, couple, partners, "overview", context)


@login_required
def couple_goals(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_read(request, pk)
    context = clinic_goals.couple_goals_context(request=request, couple=couple, partners=partners)
    return _tab(request, couple, partners, "goals", context)


@login_required
def couple_checkins(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_find(request, pk)
    # Check-ins are each partner's own: the read is recorded only for those the viewer's
    # role covers (the others' are not read at all).
    accesses = queries.individual_items_access_for_partners(viewer=request.user, partners=partners)
    shown = [partner for partner in partners if accesses[partner.pk].checkins]
    _read_record(request, couple, shown)
    context = clinic_goals.couple_checkins_context(
        request=request, couple=couple, partners=partners, accesses=accesses
    )
    return _tab(request, couple, partners, "checkins", context)


@login_required
def couple_sessions(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_read(request, pk)
    context = clinic_sessions.couple_sessions_context(
        request=request, couple=couple, partners=partners
    )
    return _tab(request, couple, partners, "sessions", context)


@login_required
def couple_measures(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_find(request, pk)
    # Measures are each partner's own: read, and the read recorded, only for the partners
    # the viewer's role covers (the others' are not read at all).
    coverage = queries.care_coverage_for(user=request.user, couple_id=couple.pk)
    _read_record(request, couple, [partner for partner in partners if coverage.covers(partner.pk)])
    context = clinic_measures.couple_measures_context(
        request=request, couple=couple, partners=partners, coverage=coverage
    )
    return _tab(request, couple, partners, "measures", context)


@login_required
def couple_plan(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_find(request, pk)
    # Each partner's assessment and plan are theirs: read, and the read recorded, only for
    # the partners the viewer's role covers; the couple plan is the whole team's.
    coverage = queries.care_coverage_for(user=request.user, couple_id=couple.pk)
    _read_record(request, couple, [partner for partner in partners if coverage.covers(partner.pk)])
    context = clinic_plans.couple_plan_context(couple=couple, partners=partners, coverage=coverage)
    return _tab(request, couple, partners, "plan", context)


@login_required
def couple_notes(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_find(request, pk)
    # Session notes keep their own, narrower rule (notes.queries): listed, and the read
    # recorded, only for the partners whose parts the viewer may read.
    context = clinic_notes.couple_notes_context(request=request, partners=partners)
    _read_record(request, couple, context["shown_partners"])
    return _tab(request, couple, partners, "notes", context)


@login_required
def couple_insurance(request: HttpRequest, pk: int) -> HttpResponse:
    couple, partners = _couple_read(request, pk)
    cards = insurance_queries.coverage_cards_for_partners(partners=partners)
    context = {"coverages": [(partner, cards[partner.pk]) for partner in partners]}
    return _tab(request, couple, partners, "insurance", context)


def _couple_read(request: HttpRequest, pk: int) -> tuple[Couple, list[Partner]]:
    """The couple and its partners for a clinician on its care team, the read of both
    partners' records audited."""
    couple, partners = _couple_find(request, pk)
    _read_record(request, couple, partners)
    return couple, partners


def _couple_find(request: HttpRequest, pk: int) -> tuple[Couple, list[Partner]]:
    """The couple and its partners for a clinician on its care team, not yet audited."""
    # Scope before role: anyone outside the couple, a partner of another couple included,
    # gets the audited 404; only this couple's own partners learn it is a clinic page (403).
    couple = queries.couple_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    return couple, list(queries.partner_list_for_couple(couple=couple))


def _read_record(request: HttpRequest, couple: Couple, partners: list[Partner]) -> None:
    services.couple_record_read(
        viewer=request.user,
        couple=couple,
        partner_ids=[partner.pk for partner in partners],
        request=request,
    )


def _tab(request, couple: Couple, partners: list[Partner], name: str, context: dict):
    tabs = [
        {
            "label": tab.label,
            "url": reverse(tab.url_name, kwargs={"pk": couple.pk}),
            "is_current": tab.name == name,
        }
        for tab in TABS
    ]
    context = {
        "couple": couple,
        "partners": partners,
        "partner_names": [partner.display_name for partner in partners],
        "days_in_program": queries.days_in_program(couple=couple),
        "is_discharged": couple.status == Couple.Status.DISCHARGED,
        "time_zone": queries.couple_time_zone(couple=couple),
        "tabs": tabs,
        "tab_label": next(tab["label"] for tab in tabs if tab["is_current"]),
        **context,
    }
    return render(request, f"pages/couple_{name}.html", context)
