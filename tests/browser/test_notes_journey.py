"""Issue 21: the couples therapist writes, signs and amends a couples note, in a browser."""

import re

from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole
from notes.models import Note
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session


def test_the_couples_therapist_writes_signs_and_amends_a_couples_note(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    alex = PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    maya = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=jordan.couple,
        partners=[jordan, alex],
    )
    login_as(maya.user, totp_secret=activate_totp(maya.user))

    # From the session's page to its note: the format's sections and each partner's part.
    page.goto(f"{site}/clinic/sessions/{session.pk}/")
    page.get_by_role("link", name="Write or open the note").click()
    page.get_by_label("Data").fill("Both attended; they practised the speaker-listener turn.")
    page.get_by_label("Assessment").fill("Fewer interruptions than last week.")
    page.get_by_label("Plan").fill("Keep the nightly ten minutes; review trust work next week.")
    page.get_by_label("Jordan's part").fill("Named a craving and asked for support.")
    page.get_by_label("Alex's part").fill("Listened without correcting.")
    page.get_by_role("radio", name="None").check()
    axe_check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_label("Jordan's part")).to_have_value(
        "Named a craving and asked for support."
    )

    # Signing asks to confirm that it locks the note.
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page.get_by_text(re.compile("signing locks this note", re.I)).first).to_be_visible()
    page.get_by_label(re.compile("I understand that signing locks this note")).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clinic/notes/\d+/$"))
    expect(page.get_by_text("Listened without correcting.")).to_be_visible()
    axe_check()
    note = Note.objects.get(session=session)
    assert note.status == Note.Status.SIGNED

    # After signing only an addendum adds to it.
    page.get_by_label(re.compile("addendum", re.I)).fill("Alex called the next day: all well.")
    page.get_by_role("button", name="Add an addendum").click()
    expect(page.get_by_text("Addendum added.")).to_be_visible()
    expect(page.get_by_text("Alex called the next day: all well.")).to_be_visible()
    axe_check()
    note.refresh_from_db()
    assert note.addenda.count() == 1
    assert note.plan == "Keep the nightly ten minutes; review trust work next week."
