import re

from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from measures import services as measure_services
from measures.models import MeasureResponse
from tests.factories import ClinicianFactory, PartnerFactory
from triage import services as triage_services
from triage.models import TriageItem

PHONE = {"width": 390, "height": 844}
NOTE = "Called Jordan at once; safety plan reviewed; session tomorrow morning."


def test_a_phq9_safety_answer_meets_help_at_once_and_reaches_the_couples_therapist_first(
    page, site, login_as, activate_totp, axe_check
):
    """Jordan answers the PHQ-9 on a phone with its last question above 0: crisis lines are on
    screen at once, then the C-SSRS screen (its follow-ups appear after a Yes). The couples
    therapist finds the urgent item at the top of the queue, above a high one, and
    acknowledges it with a note. Alex's portal shows nothing of it."""
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    alex = PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    therapist = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=therapist, by=None
    )
    today = couple_today(couple=jordan.couple)
    measure_services.schedule_set(
        partner=jordan, instrument="phq9", cadence="weekly", starts_on=today, by=therapist.user
    )
    # An older, high item: the urgent one must still lead the queue.
    triage_services.contact_request_raise(partner=jordan, day=today)
    secret = activate_totp(therapist.user)
    page.set_viewport_size(PHONE)

    # Jordan: the home says what to fill; the PHQ-9 on one page, big answer buttons.
    login_as(jordan.user)
    todo = page.locator("section", has=page.get_by_role("heading", name="To do today"))
    todo.get_by_role("link", name="Start Mood (PHQ-9)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mood (PHQ-9)")
    for number in range(1, 9):
        page.locator(f"label[for=id_q{number}_1]").click()
    page.locator("label[for=id_q9_1]").click()  # several days
    axe_check()
    page.get_by_role("button", name="Finish", exact=True).click()

    # Help first, in view at once, before anything else is asked.
    expect(page).to_have_url(re.compile(r"/portal/measures/done/\d+/$"))
    expect(page.get_by_role("heading", name="Help is here now, day and night")).to_be_in_viewport()
    expect(
        page.get_by_role("link", name="Call 988, the Suicide & Crisis Lifeline")
    ).to_be_in_viewport()
    expect(page.get_by_role("link", name="Text 988")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"on-call line"))).to_be_visible()

    # The screen: 3-5 are asked only after a Yes to 2, 6b only after a Yes to 6.
    screen = page.locator("form", has=page.get_by_role("button", name="Send my answers"))
    expect(screen.locator("#question-q3")).to_be_hidden()
    expect(screen.locator("#question-q6b")).to_be_hidden()
    page.locator("label[for=id_q1_1]").click()
    page.locator("label[for=id_q2_1]").click()
    expect(screen.locator("#question-q3")).to_be_visible()
    for key in ("q3", "q4", "q5", "q6"):
        page.locator(f"label[for=id_{key}_0]").click()
    expect(screen.locator("#question-q6b")).to_be_hidden()
    axe_check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Your care team has been told and will contact you.")).to_be_visible()
    expect(page.get_by_role("link", name="Call 988, the Suicide & Crisis Lifeline")).to_be_visible()
    axe_check()

    screen_response = MeasureResponse.objects.get(partner=jordan, instrument="cssrs")
    assert screen_response.answers == {"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}
    urgent = TriageItem.objects.get(kind=TriageItem.Kind.SAFETY)
    assert urgent.severity == TriageItem.Severity.URGENT
    assert "C-SSRS screen: low risk" in urgent.summary

    # Maya: the urgent item leads the queue, above the high one; acknowledged with a note.
    page.context.clear_cookies()
    login_as(therapist.user, totp_secret=secret)
    page.set_viewport_size({"width": 1280, "height": 900})
    queue = page.locator("section", has=page.get_by_role("heading", name="To act on"))
    items = queue.locator(".triage-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Urgent")
    expect(items.first).to_contain_text("Jordan: PHQ-9 safety question above 0")
    expect(items.nth(1)).to_contain_text("High")
    expect(items.nth(1)).to_contain_text("Jordan asked to be contacted today")
    axe_check()
    first = items.first
    if first.get_by_text("Did you reach the partner?").count():
        # The safety item's follow-up, where the acknowledge form asks for it.
        first.get_by_label("Yes, I reached them").check()
        first.get_by_label("Low", exact=True).check()
        first.get_by_label("Yes", exact=True).check()
    first.get_by_label("What you did or will do").fill(NOTE)
    first.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(re.compile(r"^Acknowledged: Jordan: PHQ-9"))).to_be_visible()
    expect(queue.locator(".triage-item")).to_have_count(1)
    urgent.refresh_from_db()
    assert (urgent.acknowledged_by, urgent.acknowledgement_note) == (therapist.user, NOTE)

    # Alex: nothing of Jordan's measure, anywhere on the portal.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    login_as(alex.user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alex")
    home = page.locator("#main").inner_text()
    assert "PHQ" not in home and "safety" not in home.lower() and "988" not in home
    assert "Measures to fill" not in home
    page.goto(f"{site}/portal/measures/")
    expect(page.get_by_text("Your results will show here")).to_be_visible()
    mine = page.locator("#main").inner_text()
    assert "safety" not in mine.lower() and "988" not in mine and "Jordan" not in mine
    assert "Overdue" not in mine and "answered" not in mine
    axe_check()
    done = page.goto(f"{site}/portal/measures/done/{screen_response.follows_id}/")
    assert done.status == 404
