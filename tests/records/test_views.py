"""Releasing a signed session note for a records request (records.views.note_release)."""

import datetime

import pytest

from audit.models import AuditEvent
from notes import services as note_services
from records import pdf
from records.models import Disclosure
from records.notices import PART2_NOTICE_SHORT, part2_notice_text
from records.views import FALLBACK_MESSAGE
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory
from tests.notes.conftest import attended_session, written
from tests.records.conftest import RELEASE, document_text, note_with, signed_in


def _url(note) -> str:
    return f"/clinic/notes/{note.pk}/release/"


def _disclosures(note):
    return list(Disclosure.objects.filter(note=note).order_by("partner_id"))


def _disclose_events(note):
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.DISCLOSE, target_type="notes.Note", target_id=str(note.pk)
    )


# The release


def test_releasing_a_couples_note_sends_a_pdf_and_records_it_for_each_partner(
    client, couples_note, couples_therapist, partner_a, partner_b, laid_out
):
    response = signed_in(client, couples_therapist).post(_url(couples_note), RELEASE)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="record-note-{couples_note.pk}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]
    disclosures = _disclosures(couples_note)
    assert [d.partner_id for d in disclosures] == [partner_a.pk, partner_b.pk]
    for disclosure in disclosures:
        assert disclosure.recipient == "Aetna utilization review"
        assert disclosure.purpose == "payer"
        assert disclosure.disclosed_by == couples_therapist.user
        assert disclosure.description.startswith("Couples therapy note, session of ")
    events = _disclose_events(couples_note)
    assert sorted(events.values_list("patient_id", flat=True)) == [partner_a.pk, partner_b.pk]
    for event in events:
        assert event.detail["to"] == "Aetna utilization review"
        assert event.detail["disclosures"] == [d.pk for d in disclosures]


def test_the_pdf_carries_the_part2_notice_the_clinic_the_patients_and_page_numbers(
    client, couples_note, couples_therapist, partner_a, partner_b, laid_out, settings
):
    partner_a.date_of_birth = datetime.date(1987, 3, 9)
    partner_a.save(update_fields=["date_of_birth"])
    signed_in(client, couples_therapist).post(_url(couples_note), RELEASE)

    text = document_text(laid_out[-1])
    assert part2_notice_text() in text
    assert "Mar 9, 1987" in text  # what a payer identifies the patient by, with the name
    # The short notice and the recipient in every page's footer, the page numbers after.
    pages = len(laid_out[-1].pages)
    assert text.count(PART2_NOTICE_SHORT) >= pages
    assert f"Page {pages} of {pages}" in text
    assert settings.CLINIC_NAME in text
    for partner in (partner_a, partner_b):
        assert f"{partner.user.get_full_name()} (patient ID {partner.pk})" in text
    assert "Released to Aetna utilization review" in text
    assert "Both partners named one trigger each." in text
    assert f"Electronically signed by {couples_note.author}" in text


def test_the_pdf_shows_the_co_signature_and_every_addendum(client, couple, partner_a, laid_out):
    supervisor = ClinicianFactory(user__first_name="Sol", can_be_counselor=True)
    intern = ClinicianFactory(user__first_name="Ines", supervisor=supervisor)
    note = written(
        attended_session(
            kind=SessionKind.COUPLES_THERAPY, clinician=intern, couple=couple, partners=[partner_a]
        )
    )
    note = note_services.note_cosign(note=note, by=supervisor.user)
    for text in ("First correction.", "Second correction."):
        note_services.addendum_add(note=note, author=intern, text=text, by=intern.user)

    response = signed_in(client, intern).post(_url(note), RELEASE)

    assert response.status_code == 200
    text = document_text(laid_out[-1])
    assert f"Co-signed by {supervisor}" in text
    assert "Addendum 1, signed by" in text and "First correction." in text
    assert "Addendum 2, signed by" in text and "Second correction." in text


def test_the_filename_and_the_document_title_name_no_one(
    client, couples_note, couples_therapist, partner_a, laid_out
):
    response = signed_in(client, couples_therapist).post(_url(couples_note), RELEASE)

    assert partner_a.user.first_name not in response["Content-Disposition"]
    assert "therapy" not in response["Content-Disposition"]
    assert partner_a.user.first_name not in laid_out[-1].metadata.title


def test_the_form_page_is_a_read_of_both_partners_records(
    client, couples_note, couples_therapist, partner_a, partner_b
):
    response = signed_in(client, couples_therapist).get(_url(couples_note))

    assert response.status_code == 200
    assert "Release for a records request" in response.text
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, target_type="notes.Note", actor=couples_therapist.user
    )
    assert sorted(reads.values_list("patient_id", flat=True)) == [partner_a.pk, partner_b.pk]
    assert not Disclosure.objects.exists()


def test_the_partner_sees_the_release_in_their_accounting(
    client, couples_note, couples_therapist, partner_a, laid_out
):
    signed_in(client, couples_therapist).post(_url(couples_note), RELEASE)
    client.logout()
    sign_in_with_mfa(client, partner_a.user)

    response = client.get("/portal/record-access/")

    assert "Released my record" in response.text
    assert "released to Aetna utilization review (Payer&#x27;s records request)" in response.text
    assert "Saw what I share" not in response.text


# Group notes: one participant at a time


@pytest.fixture
def gail(group_note):
    return group_note.session.clinician


def test_a_group_note_is_released_for_one_participant_only(
    client, group_note, gail, partner_a, partner_b, laid_out
):
    response = signed_in(client, gail).post(
        _url(group_note), {**RELEASE, "participant": partner_a.pk}
    )

    assert response.status_code == 200
    assert [d.partner_id for d in _disclosures(group_note)] == [partner_a.pk]
    text = document_text(laid_out[-1])
    assert partner_a.user.get_full_name() in text
    assert f"Part of {partner_a.pk}" in text
    assert partner_b.user.get_full_name() not in text
    assert f"Part of {partner_b.pk}" not in text
    assert "Sam" not in text


def test_a_group_note_asks_whose_part_is_released(client, group_note, gail):
    response = signed_in(client, gail).post(_url(group_note), RELEASE)

    assert response.status_code == 200
    assert "Whose part of the group note" in response.text
    assert not Disclosure.objects.exists()


def test_a_participants_therapist_releases_only_that_participants_part(
    client, group_note, alexs_therapist, partner_a, partner_b, laid_out
):
    client = signed_in(client, alexs_therapist)

    refused = client.post(_url(group_note), {**RELEASE, "participant": partner_a.pk})
    released = client.post(_url(group_note), {**RELEASE, "participant": partner_b.pk})

    assert refused.status_code == 200 and "valid choice" in refused.text
    assert released.status_code == 200
    assert [d.partner_id for d in _disclosures(group_note)] == [partner_b.pk]


# What is never released


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda session: note_with(session, sign=False), "only a signed note"),
        (lambda session: note_with(session, psychotherapy=True), "Psychotherapy notes cannot"),
    ],
    ids=["draft", "psychotherapy notes"],
)
def test_a_draft_or_psychotherapy_notes_are_refused_with_the_reason(
    client, couple, partner_b, alexs_therapist, make, words
):
    note = make(
        attended_session(
            kind=SessionKind.INDIVIDUAL_THERAPY,
            clinician=alexs_therapist,
            couple=couple,
            partners=[partner_b],
        )
    )
    client = signed_in(client, alexs_therapist)

    shown = client.get(_url(note))
    posted = client.post(_url(note), RELEASE)

    for response in (shown, posted):
        assert response.status_code == 200
        assert words in response.text
        assert 'name="recipient"' not in response.text
    assert not Disclosure.objects.exists()
    assert not _disclose_events(note).exists()


def test_a_note_awaiting_its_co_signature_is_refused(client, couple, partner_a):
    supervisor = ClinicianFactory(user__first_name="Sol")
    intern = ClinicianFactory(user__first_name="Ines", supervisor=supervisor)
    note = written(
        attended_session(
            kind=SessionKind.COUPLES_THERAPY, clinician=intern, couple=couple, partners=[partner_a]
        )
    )

    response = signed_in(client, intern).post(_url(note), RELEASE)

    assert "waiting for" in response.text and "co-signature" in response.text
    assert not Disclosure.objects.exists()


# Bad input: a message on the form, nothing recorded, nothing typed lost


@pytest.mark.parametrize(
    "change, message",
    [
        ({"recipient": "   "}, "This field is required."),
        ({"recipient": "x" * 201}, "at most 200 characters"),
        ({"purpose": "other"}, "Say what the record is for."),
        ({"purpose_other": "y" * 201, "purpose": "other"}, "at most 200 characters"),
        ({"consent_on_file": ""}, "Check the patient’s consent"),
        ({"purpose": "lawsuit"}, "Select a valid choice."),
    ],
)
def test_bad_input_is_refused_on_the_form(client, couples_note, couples_therapist, change, message):
    typed = {**RELEASE, "recipient": "Cigna behavioral health", **change}

    response = signed_in(client, couples_therapist).post(_url(couples_note), typed)

    assert response.status_code == 200
    assert message in response.text
    assert typed["recipient"].strip()[:200] in response.text or not typed["recipient"].strip()
    assert not Disclosure.objects.exists()
    assert not _disclose_events(couples_note).exists()


# Without Pango: the browser's print view


def test_without_a_pdf_engine_the_record_opens_as_a_print_view_and_is_still_recorded(
    client, couples_note, couples_therapist, monkeypatch
):
    monkeypatch.setattr(pdf, "pdf_available", lambda: False)
    client = signed_in(client, couples_therapist)

    form = client.get(_url(couples_note))
    response = client.post(_url(couples_note), RELEASE)

    assert "cannot make PDF files at the moment" in form.text
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert FALLBACK_MESSAGE.split(",")[0] in response.text
    assert 'href="/static/records/print.css"' in response.text
    assert "<script" not in response.text
    assert "protected by Federal confidentiality rules (42 CFR part 2)" in response.text
    assert len(_disclosures(couples_note)) == 2


# Query counts: the same however many addenda


@pytest.mark.parametrize("addenda", [1, 4])
def test_release_queries_stay_the_same_with_more_addenda(
    client, couples_note, couples_therapist, addenda, laid_out, django_assert_num_queries
):
    for number in range(addenda):
        note_services.addendum_add(
            note=couples_note,
            author=couples_therapist,
            text=f"Addendum {number}",
            by=couples_therapist.user,
        )
    client = signed_in(client, couples_therapist)

    # The session and the user (2); the note's readable entries, its addenda, the objectives
    # it addressed (3); the release in its transaction: its rows, then its audit events (lock
    # a chain head, insert, move the head), within a savepoint here (2 + 1 + 3); the
    # session's last-seen write, in its own (3).
    with django_assert_num_queries(14):
        response = client.post(_url(couples_note), RELEASE)

    assert response.status_code == 200


def test_the_note_page_offers_the_release_for_a_signed_note_only(
    client, couple, partner_a, partner_b, couples_therapist
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    draft = note_with(session, sign=False)
    signed_in(client, couples_therapist)
    assert "Print for a records request" not in client.get(f"/clinic/notes/{draft.pk}/").text

    signed = note_services.note_sign(note=draft, by=couples_therapist.user)
    page = client.get(f"/clinic/notes/{signed.pk}/").text

    assert "Print for a records request" in page
    assert _url(signed) in page


def test_the_note_page_offers_no_release_of_psychotherapy_notes(
    client, couple, partner_a, partner_b, couples_therapist
):
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    note = note_with(session, psychotherapy=True)

    page = signed_in(client, couples_therapist).get(f"/clinic/notes/{note.pk}/").text

    assert "Print for a records request" not in page


@pytest.mark.parametrize("visitor", ["alexs_therapist", "partner_a", "outsider", "off_team"])
def test_anyone_who_may_not_read_the_note_gets_the_audited_404_and_nothing_is_released(
    client, couples_note, visitor, alexs_therapist, partner_a, outsider
):
    user = {
        "alexs_therapist": alexs_therapist.user,
        "partner_a": partner_a.user,
        "outsider": outsider.user,
        "off_team": ClinicianFactory().user,
    }[visitor]
    sign_in_with_mfa(client, user)

    shown = client.get(_url(couples_note))
    posted = client.post(_url(couples_note), RELEASE)

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert AuditEvent.objects.filter(actor=user, allowed=False).count() == 2
    assert not Disclosure.objects.exists()
    assert not _disclose_events(couples_note).exists()
