"""Issue 21: an individual therapist co-signs a supervisee's note, in a browser.

The supervisee (Jordan's individual therapist) writes and signs a note; it waits for the
supervisor, who is told and finds it under "Notes to co-sign" on the clinician home, one click
from the note and its Co-sign button."""

import re

from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole, Notification
from notes.models import Note
from notes.notifications import NOTE_TO_COSIGN
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session


def test_an_individual_therapist_co_signs_a_supervisees_note(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    rosa = ClinicianFactory(
        user__first_name="Rosa",
        user__last_name="Alvarez",
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
    )
    sam = ClinicianFactory(
        user__first_name="Sam",
        user__last_name="Okafor",
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        supervisor=rosa,
    )
    couple_services.care_team_assign(
        couple=jordan.couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=sam,
        partner=jordan,
        by=None,
    )
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY, clinician=sam, couple=jordan.couple, partners=[jordan]
    )

    # Sam writes the note from his home's "Notes to write" and signs it.
    login_as(sam.user, totp_secret=activate_totp(sam.user))
    page.locator(".note-to-write").get_by_role("link").click()
    page.get_by_label("Data").fill("Jordan described the weekend and a craving on Sunday.")
    page.get_by_label("Assessment").fill("Used the urge-surfing skill without prompting.")
    page.get_by_label("Plan").fill("Practise urge surfing daily; review next session.")
    page.get_by_role("radio", name="None").check()
    page.get_by_label(re.compile("I understand that signing locks this note")).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clinic/notes/\d+/$"))
    expect(page.get_by_text("Note awaiting co-signature.")).to_be_visible()
    expect(page.get_by_text("Waiting for the co-signature of Rosa Alvarez")).to_be_visible()
    note = Note.objects.get(session=session)
    assert note.status == Note.Status.AWAITING_COSIGN
    # Rosa is told once, in the app and by email.
    assert list(
        Notification.objects.filter(kind=NOTE_TO_COSIGN).values_list("recipient", flat=True)
    ) == [rosa.user_id]

    # Rosa signs in: the note waits under "Notes to co-sign", one click away.
    page.context.clear_cookies()
    login_as(rosa.user, totp_secret=activate_totp(rosa.user))
    cosign = page.get_by_role("region", name=re.compile("Notes to co-sign"))
    expect(cosign).to_contain_text("by Sam Okafor")
    axe_check()
    cosign.get_by_role("link", name=re.compile("Individual therapy")).click()
    expect(page).to_have_url(f"{site}/clinic/notes/{note.pk}/")
    expect(page.get_by_text("Used the urge-surfing skill without prompting.")).to_be_visible()
    axe_check()
    page.get_by_role("button", name="Co-sign").click()

    # The note shows as signed and co-signed; the home has nothing left to co-sign.
    expect(page.get_by_text("Note co-signed.")).to_be_visible()
    signatures = page.get_by_role("region", name="Signatures")
    expect(signatures).to_contain_text("Signed by Sam Okafor")
    expect(signatures).to_contain_text("Co-signed by Rosa Alvarez")
    expect(page.get_by_role("button", name="Co-sign")).to_have_count(0)
    expect(page.locator("h1 .pill")).to_have_text("Signed")
    note.refresh_from_db()
    assert (note.status, note.cosigned_by) == (Note.Status.SIGNED, rosa.user)
    page.goto(f"{site}/clinic/")
    expect(page.get_by_role("region", name=re.compile("Notes to co-sign"))).to_have_count(0)
