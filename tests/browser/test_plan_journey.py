"""Issue 21: the partner reads and acknowledges their treatment plan on a phone.

Jordan's individual therapist signed his plan; he signs in on his phone, finds "Read and
acknowledge your treatment plan" on the home's to-do list, reads the plan in plain words and
taps "I've read my plan"; the confirmation shows where he tapped, and the to-do is done.
"""

import re

import pytest
from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole
from plans.models import PlanAcknowledgement
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory
from tests.plans.conftest import plan_with, signed

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "reduced_motion": "reduce",
}


@pytest.mark.browser_context_args(**PHONE)
def test_the_partner_acknowledges_their_plan_on_a_phone(page, site, login_as, axe_check):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    priya = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Priya",
    )
    couple_services.care_team_assign(
        couple=jordan.couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=priya,
        partner=jordan,
        by=None,
    )
    goal = GoalFactory(couple=jordan.couple, partner=jordan, title="A sober month")
    plan = signed(
        plan_with(
            couple=jordan.couple,
            partner=jordan,
            responsible=priya,
            problems=2,
            recovery_goal=goal,
            words="Jordan's",
        )
    )
    login_as(jordan.user)

    # The home's to-do list asks him to read it.
    page.goto(f"{site}/portal/")
    row = page.locator(".todo-item").filter(has_text="Read and acknowledge your treatment plan")
    expect(row).to_be_visible()
    row.get_by_role("link", name=re.compile("^Read")).tap()

    # The plan, in plain words, signed by Priya; its goal links to his recovery goal.
    expect(page).to_have_url(f"{site}/portal/plans/{plan.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My treatment plan")
    expect(page.get_by_text("Signed by Priya", exact=False)).to_be_visible()
    expect(page.get_by_text("Jordan's problem 1: drinks when arguments escalate")).to_be_visible()
    expect(page.get_by_role("heading", name="What we’ll do together").first).to_be_attached()
    expect(page.get_by_role("link", name="“A sober month”").first).to_have_attribute(
        "href", f"/portal/goals/{goal.pk}/"
    )
    axe_check()

    # "I've read my plan": the thanks and the date show where he tapped.
    page.get_by_role("button", name="I’ve read my plan").tap()
    confirmation = page.get_by_text("Your care team can see that you read it.")
    expect(confirmation).to_be_in_viewport()
    expect(
        page.get_by_text(re.compile(r"You acknowledged this on \w+ \d+, \d{4}\."))
    ).to_be_visible()
    expect(page.get_by_role("button", name="I’ve read my plan")).to_have_count(0)
    axe_check()
    assert PlanAcknowledgement.objects.filter(version__plan=plan, partner=jordan).count() == 1

    # The to-do is done; More leads back to the plan.
    page.goto(f"{site}/portal/")
    expect(page.get_by_text("Read and acknowledge your treatment plan")).to_have_count(0)
    page.goto(f"{site}/portal/more/")
    page.get_by_role("link", name=re.compile("^My treatment plan")).tap()
    expect(page).to_have_url(f"{site}/portal/plans/")
    expect(page.get_by_text(re.compile("you acknowledged it on"))).to_be_visible()
    axe_check()
