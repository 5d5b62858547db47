from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from couples.models import Partner
from couples.permissions import partner_required
from couples.queries import partner_get_for_user
from insurance import queries


@partner_required
def my_coverage(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user)
    context = {"cards": queries.coverage_cards_for_partner(partner=partner)}
    return render(request, "insurance/coverage_portal.html", context)


# Portal home: not a view, the insurance part of pages.views.portal_home


def home_context(*, request: HttpRequest, partner: Partner) -> dict:
    """The status of my current coverage, for a small card linking to "My coverage"."""
    coverage = queries.coverage_status_for_partner(partner=partner)
    return {"coverage_status": coverage.get_status_display() if coverage else "None on file"}
