import re

from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole
from goals.models import CheckIn, ProgressEntry
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory

PHONE = {"width": 390, "height": 844}
GOAL = "Ten minutes of talk after dinner"


def test_partner_checks_in_and_logs_a_shared_goal_on_a_phone_and_the_clinician_sees_it(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    therapist = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=therapist, by=None
    )
    GoalFactory(couple=jordan.couple, title=GOAL)
    secret = activate_totp(therapist.user)
    page.set_viewport_size(PHONE)

    # The partner: the daily check-in, in a few taps.
    login_as(jordan.user)
    page.get_by_role("link", name="Check in for today").click()
    page.get_by_text("Yes", exact=True).click()
    page.locator("label[for=id_craving_2]").click()
    page.get_by_text("Good", exact=True).click()
    page.get_by_label("We held our trust discussion today").check()
    axe_check()
    page.get_by_role("button", name="Save check-in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    todo = page.locator("section", has=page.get_by_role("heading", name="To do today"))
    expect(todo.get_by_text("Checked in for today")).to_be_visible()
    expect(todo.get_by_text("You're all set for today.")).to_be_visible()
    axe_check()

    # ...and the shared goal, from the tab bar's Goals: one tap, answered in its card, which
    # stays in view.
    tabs = page.get_by_role("navigation", name="Sections")
    tabs.get_by_role("link", name="Goals").click()
    expect(tabs.get_by_role("link", name="Goals")).to_have_attribute("aria-current", "page")
    page.get_by_role("button", name=re.compile(f"^Done today for “{GOAL}”")).click()
    expect(page.get_by_role("button", name=re.compile(r"^Done today.*\(saved\)"))).to_be_visible()
    card = page.locator("article", has=page.get_by_role("heading", name=GOAL))
    expect(card.get_by_role("status")).to_contain_text(f"Saved “{GOAL}”")
    expect(card.get_by_role("status")).to_be_in_viewport()
    expect(page.locator(".messages")).to_have_count(0)
    axe_check()

    checkin = CheckIn.objects.get(partner=jordan)
    assert (checkin.is_sober, checkin.craving, checkin.mood, checkin.had_trust_discussion) == (
        True,
        2,
        4,
        True,
    )
    assert ProgressEntry.objects.get(partner=jordan, goal__title=GOAL).value == 1

    # The clinician sees both on the couple page.
    page.context.clear_cookies()
    login_as(therapist.user, totp_secret=secret)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/clinic/couples/{jordan.couple_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Jordan")
    axe_check()
    tabs = page.get_by_role("navigation", name="Couple record")
    tabs.get_by_role("link", name="Goals").click()
    expect(tabs.get_by_role("link", name="Goals")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text(GOAL).first).to_be_visible()
    expect(page.get_by_text("Done on 1 of 1 logged days")).to_be_visible()
    axe_check()
    tabs.get_by_role("link", name="Check-ins").click()
    expect(page.get_by_role("cell", name="2 of 10")).to_be_visible()  # the craving Jordan reported
    axe_check()


def test_a_hard_check_in_offers_help_and_its_note_reaches_the_couples_therapist(
    page, site, login_as, activate_totp, axe_check
):
    """Issue 19: Casey reports a use with a note; the portal answers with help at hand and says
    who reads it; Casey asks to be contacted; the couples therapist finds both at the top of
    the home, acknowledges one with a note, and reads the check-in's note on the couple page."""
    casey = PartnerFactory(user__first_name="Casey", preferred_name="")
    PartnerFactory(couple=casey.couple, user__first_name="Riley", preferred_name="")
    therapist = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=casey.couple, role=CareRole.COUPLES_THERAPIST, clinician=therapist, by=None
    )
    secret = activate_totp(therapist.user)
    page.set_viewport_size(PHONE)

    login_as(casey.user)
    page.get_by_role("link", name="Check in for today").click()
    page.get_by_text("No — I used", exact=True).click()
    page.locator("label[for=id_craving_8]").click()
    page.get_by_text("Very low", exact=True).click()
    page.get_by_label("Anything else for today? (optional)").fill(
        "Had a drink after an argument. Feeling ashamed."
    )
    page.get_by_role("button", name="Save check-in").click()

    expect(page).to_have_url(re.compile(r"/portal/checkin/saved/"))
    expect(page.get_by_role("heading", name="It sounds like a hard day")).to_be_visible()
    expect(page.locator("#main").get_by_role("link", name="Need help now")).to_be_visible()
    expect(page.get_by_text("Riley does not see them")).to_be_visible()
    axe_check()
    page.get_by_role("button", name="Ask my care team to contact me today").click()
    expect(page.get_by_text("Someone will contact you today.")).to_be_visible()

    # The couples therapist: both items lead the home; one is acknowledged with a note.
    page.context.clear_cookies()
    login_as(therapist.user, totp_secret=secret)
    page.set_viewport_size({"width": 1280, "height": 900})
    queue = page.locator("section", has=page.get_by_role("heading", name="To act on"))
    expect(queue.get_by_text("Casey asked to be contacted today")).to_be_visible()
    expect(queue.get_by_text(re.compile(r"Casey reported a use on"))).to_be_visible()
    axe_check()
    queue.get_by_label("What you did or will do").first.fill("Called Casey; session moved up.")
    queue.get_by_role("button", name="Acknowledge").first.click()
    expect(page.get_by_text(re.compile(r"^Acknowledged: "))).to_be_visible()
    expect(queue.locator(".triage-item")).to_have_count(1)

    page.goto(f"{site}/clinic/couples/{casey.couple_id}/checkins/")
    expect(page.get_by_text("Had a drink after an argument. Feeling ashamed.")).to_be_visible()
    axe_check()
