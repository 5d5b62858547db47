"""Issue 22: a partner downloads a copy of their record on a phone.

Jordan opens More, then "Download my record", reads what the copy holds and taps "Prepare my
copy"; the copy is made (eagerly here, by the Celery task in production) and the page offers
the summary and the FHIR file; he downloads the FHIR file, which parses as an R4B Bundle and
holds his goal and not Alex's own; "Who has seen my records" lists the copy.
"""

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.bundle import Bundle
from playwright.sync_api import expect

from tests.factories import GoalFactory, PartnerFactory

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "reduced_motion": "reduce",
}


@pytest.mark.browser_context_args(**PHONE, accept_downloads=True)
def test_the_partner_downloads_a_copy_of_their_record_on_a_phone(page, site, login_as, axe_check):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    alex = PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    GoalFactory(couple=jordan.couple, partner=jordan, title="Call my sponsor each week")
    GoalFactory(couple=jordan.couple, partner=alex, title="Morning walk")
    login_as(jordan.user)

    page.goto(f"{site}/portal/more/")
    page.get_by_role("link", name="Download my record").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my record")
    expect(page.get_by_text("You have not asked for a copy yet.")).to_be_visible()
    axe_check()

    page.get_by_role("button", name="Prepare my copy").tap()
    summary = page.get_by_role("link", name="Summary to read and print")
    expect(summary).to_be_visible()
    expect(page.get_by_text("Available until", exact=False)).to_be_visible()
    axe_check()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Record for another health system (FHIR JSON)").tap()
    download = download_info.value
    assert download.suggested_filename.startswith("record-")
    assert download.suggested_filename.endswith(".json")
    text = Path(download.path()).read_text(encoding="utf-8")
    Bundle.model_validate_json(text)
    goals = {
        entry["resource"]["description"]["text"]
        for entry in json.loads(text)["entry"]
        if entry["resource"]["resourceType"] == "Goal"
    }
    assert "Call my sponsor each week" in goals and "Morning walk" not in goals

    page.goto(f"{site}/portal/more/")
    page.get_by_role("link", name="Who has seen my records").tap()
    expect(page.get_by_text("Downloaded a copy of my record").first).to_be_visible()
