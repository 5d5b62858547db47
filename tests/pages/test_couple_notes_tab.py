"""The couple page's Notes tab: the notes about the couple's partners that the viewer may read
(notes.queries' rule), newest first, with their status; drafts for their author only."""

import pytest

from audit.models import AuditEvent
from couples.models import CareRole
from sessions.models import SessionKind
from tests.couples.test_views_clinic import sign_in, treat
from tests.factories import ClinicianFactory
from tests.notes.conftest import attended_session, written


def tab_url(couple) -> str:
    return f"/clinic/couples/{couple.pk}/notes/"


def _couples_note(couple, partners, clinician, *, sign=True, hours_ago=2):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=clinician,
        couple=couple,
        partners=partners,
        hours_ago=hours_ago,
    )
    return written(session, sign=sign)


def _individual_note(partner, clinician, *, sign=True):
    session = attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=clinician,
        couple=partner.couple,
        partners=[partner],
    )
    return written(session, sign=sign)


@pytest.fixture
def notes(couple, partner_a, partner_b, couples_therapist, alexs_therapist):
    return {
        "couples": _couples_note(couple, [partner_a, partner_b], couples_therapist),
        "alexs": _individual_note(partner_b, alexs_therapist),
        "alexs_draft": _individual_note(partner_b, alexs_therapist, sign=False),
    }


def _linked(page: str, note) -> bool:
    return f'href="/clinic/notes/{note.pk}/"' in page


def test_the_couples_therapist_sees_couples_notes_not_individual_ones(
    client, couple, partner_a, partner_b, couples_therapist, notes
):
    sign_in(client, couples_therapist.user)

    page = client.get(tab_url(couple)).text

    assert _linked(page, notes["couples"])
    assert 'class="pill pill-signed">Signed<' in page
    assert not _linked(page, notes["alexs"])
    assert f"/clinic/sessions/{notes['alexs_draft'].session_id}/note/" not in page
    assert page.count('class="note-row"') == 1
    read = AuditEvent.objects.filter(actor=couples_therapist.user, action="read")
    assert set(read.values_list("patient_id", flat=True)) == {partner_a.pk, partner_b.pk}


def test_alexs_therapist_sees_alexs_notes_and_their_own_draft_marked(
    client, couple, partner_b, alexs_therapist, notes
):
    sign_in(client, alexs_therapist.user)

    page = client.get(tab_url(couple)).text

    assert _linked(page, notes["alexs"])
    assert not _linked(page, notes["couples"])
    draft_url = f"/clinic/sessions/{notes['alexs_draft'].session_id}/note/"
    assert f'href="{draft_url}"' in page
    assert 'class="pill pill-draft">Draft<' in page and "Yours to finish and sign" in page
    assert page.count('class="note-row"') == 2
    read = AuditEvent.objects.filter(actor=alexs_therapist.user, action="read")
    assert list(read.values_list("patient_id", flat=True)) == [partner_b.pk]


def test_a_note_awaiting_cosignature_is_marked_for_its_author_and_its_cosigner(
    client, couple, partner_b, couples_therapist
):
    # Alex's individual therapist is supervised by Maya, the couples therapist: Maya reads
    # the individual note she is to co-sign, and no other.
    supervisee = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        supervisor=couples_therapist,
    )
    treat(supervisee, couple, role=CareRole.INDIVIDUAL_THERAPIST, partner=partner_b)
    note = _individual_note(partner_b, supervisee)
    assert note.status == "awaiting_cosign"

    sign_in(client, couples_therapist.user)
    cosigner_page = client.get(tab_url(couple)).text
    client.logout()
    sign_in(client, supervisee.user)
    author_page = client.get(tab_url(couple)).text

    for page in (cosigner_page, author_page):
        assert _linked(page, note) and 'class="pill pill-awaiting_cosign"' in page
    assert "Yours to co-sign" in cosigner_page
    assert "Yours, waiting for co-signature" in author_page


def test_no_notes_to_read_says_so_and_records_no_read(client, couple, partner_a, alexs_therapist):
    sign_in(client, alexs_therapist.user)

    page = client.get(tab_url(couple)).text

    assert "No notes you may read yet." in page
    assert ">Notes</a>" in page
    assert not AuditEvent.objects.filter(actor=alexs_therapist.user, action="read").exists()


def test_an_off_team_clinician_gets_the_audited_404(client, couple, partner_a, notes):
    outsider = ClinicianFactory()
    sign_in(client, outsider.user)

    assert client.get(tab_url(couple)).status_code == 404
    assert AuditEvent.objects.filter(actor=outsider.user, allowed=False).exists()


def test_a_partner_of_the_couple_gets_403(client, couple, partner_a, notes):
    client.force_login(partner_a.user)

    assert client.get(tab_url(couple)).status_code == 403


@pytest.mark.parametrize("count", [1, 6])
def test_the_tab_takes_the_same_queries_however_many_notes(
    client, couple, partner_a, partner_b, couples_therapist, count, django_assert_max_num_queries
):
    for number in range(count):
        _couples_note(
            couple,
            [partner_a, partner_b],
            couples_therapist,
            sign=number % 2 == 0,
            hours_ago=2 + number,
        )
    sign_in(client, couples_therapist.user)
    client.get(tab_url(couple))

    # session, user (with the top bar's unread count), couple, partners; the readable entries
    # with their notes, sessions and people; the audit rows (lock the chain head, insert,
    # move the head).
    with django_assert_max_num_queries(8):
        page = client.get(tab_url(couple)).text
    assert page.count('class="note-row"') == count
