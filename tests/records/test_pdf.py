"""records.pdf: WeasyPrint, loaded lazily, fetching nothing."""

import sys
import time

import pytest

from notes import services as note_services
from records import pdf
from records.documents import Handover, document_html
from records.queries import note_release_get_for_user
from sessions.models import SessionKind
from tests.notes.conftest import attended_session
from tests.records.conftest import document_text

PAGE = "<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>"


def test_a_document_renders_to_a_pdf(pdf_engine):
    assert pdf.render_pdf(PAGE.format(head="", body="<p>Hello</p>")).startswith(b"%PDF-")


@pytest.mark.parametrize(
    "head, body",
    [
        ("", '<img src="https://tracker.example.org/pixel.png" alt="">'),
        ('<link rel="stylesheet" href="file:///etc/passwd">', "<p>x</p>"),
        ("<style>@import url('https://fonts.example.org/a.css');</style>", "<p>x</p>"),
        ("", "<p style=\"background: url('http://127.0.0.1:8000/static/favicon.svg')\">x</p>"),
    ],
    ids=["remote image", "local file", "remote import", "own server"],
)
def test_a_document_that_asks_for_any_url_is_refused(pdf_engine, head, body):
    from weasyprint.urls import FatalURLFetchingError

    with pytest.raises(FatalURLFetchingError):
        pdf.render_pdf(PAGE.format(head=head, body=body))


def test_without_weasyprint_the_app_says_so_instead_of_failing(monkeypatch):
    monkeypatch.setattr(pdf, "_weasyprint", lambda: (None, "OSError: cannot load library"))

    assert not pdf.pdf_available()
    assert pdf.pdf_unavailable_reason() == "OSError: cannot load library"
    with pytest.raises(pdf.PdfUnavailable):
        pdf.render_pdf("<p>x</p>")


def test_a_three_page_note_lays_out_in_well_under_five_seconds(
    pdf_engine, couple, partner_a, partner_b, couples_therapist
):
    """A long couples note (its three sections, both parts, three addenda) fills three
    pages; laying it out and writing the PDF is timed (the figure is in the report)."""
    session = attended_session(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=couples_therapist,
        couple=couple,
        partners=[partner_a, partner_b],
    )
    by = couples_therapist.user
    note = note_services.note_start(session=session, author=couples_therapist, by=by)
    words = "The couple practised the check-in script and named one trigger each. " * 30
    note = note_services.note_save(
        note=note,
        sections={"data": words[:1200], "assessment": words[:800], "plan": words[:500]},
        entries={entry.partner_id: words[:300] for entry in note.entries.all()},
        risk_level="low",
        risk_note="Mild cravings at weekends.",
        is_psychotherapy_note=False,
        place_of_service="10",
        by=by,
    )
    note = note_services.note_sign(note=note, by=by)
    for number in range(3):
        note_services.addendum_add(
            note=note, author=couples_therapist, text=f"Addendum {number}. " * 10, by=by
        )
    release = note_release_get_for_user(user=by, pk=note.pk)
    handover = Handover(recipient="Aetna", purpose="Payer", at=note.signed_at, by="Maya")
    html = document_html(release=release, handover=handover)

    started = time.perf_counter()
    document = pdf.render_document(html)
    data = document.write_pdf()
    elapsed = time.perf_counter() - started

    assert len(document.pages) == 3
    assert data.startswith(b"%PDF-")
    assert "Page 3 of 3" in document_text(document)
    assert elapsed < 5, f"{elapsed:.2f} s"


def test_a_library_that_cannot_load_is_caught_when_weasyprint_is_imported(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now fails

    module, reason = pdf._weasyprint.__wrapped__()

    assert module is None
    assert reason.startswith("ModuleNotFoundError")  # an ImportError
