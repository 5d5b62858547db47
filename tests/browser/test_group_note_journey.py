"""Issue 21: a group note for a group with partners of three couples shows each participant
only their own entry, in a browser.

The group's clinician writes one shared description and one entry per participant, and signs.
Each of the six partners then opens their session notes on the portal, on a phone: the shared
description and their own entry, and none of the other five entries anywhere in the page."""

import re

from playwright.sync_api import expect

from notes.models import Note
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session

PHONE = {"width": 390, "height": 844}
SHARED = "Six partners practised refusal skills in pairs and shared one win of the week."


def _entry(partner) -> str:
    return f"{partner.user.first_name} role-played saying no at a dinner, entry {partner.pk}."


def test_a_group_note_shows_each_participant_only_their_own_entry(
    page, site, login_as, activate_totp, axe_check
):
    participants = []
    for first, second in (("Jordan", "Alex"), ("Casey", "Drew"), ("Emery", "Frankie")):
        one = PartnerFactory(user__first_name=first, preferred_name="")
        two = PartnerFactory(couple=one.couple, user__first_name=second, preferred_name="")
        participants += [one, two]
    lee = ClinicianFactory(user__first_name="Lee", user__last_name="Group", can_be_counselor=True)
    session = attended_session(kind=SessionKind.GROUP, clinician=lee, partners=participants)

    # Lee writes the group note: the shared description, then one entry per participant.
    login_as(lee.user, totp_secret=activate_totp(lee.user))
    page.goto(f"{site}/clinic/sessions/{session.pk}/")
    page.get_by_role("link", name="Write or open the note").click()
    page.get_by_label("Data").fill(SHARED)
    page.get_by_label("Assessment").fill("The group was engaged; everyone took a turn.")
    page.get_by_label("Plan").fill("Next week: handling invitations to drink.")
    for partner in participants:
        page.get_by_label(f"{partner.user.first_name}'s part").fill(_entry(partner))
    page.get_by_role("radio", name="None").check()
    axe_check()
    page.get_by_label(re.compile("I understand that signing locks this note")).check()
    page.get_by_role("button", name="Sign", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clinic/notes/\d+/$"))
    expect(page.locator(".note-entry")).to_have_count(6)
    note = Note.objects.get(session=session)
    assert (note.status, note.couple_id, note.entries.count()) == (Note.Status.SIGNED, None, 6)

    # Each partner, on their phone, reads the shared description and their own entry only.
    page.set_viewport_size(PHONE)
    for partner in participants:
        page.context.clear_cookies()
        login_as(partner.user)
        page.goto(f"{site}/portal/notes/")
        page.get_by_role("link", name=re.compile("Group")).click()
        expect(page).to_have_url(f"{site}/portal/notes/{note.pk}/")
        expect(page.get_by_text(SHARED)).to_be_visible()
        expect(page.locator(".note-own-part")).to_have_text(_entry(partner))
        html = page.content()
        for other in participants:
            if other.pk != partner.pk:
                assert _entry(other) not in html, f"{partner} saw {other}'s entry"
        if partner is participants[0]:
            axe_check()
