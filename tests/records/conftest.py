import os

import pytest

from couples import services as couple_services
from couples.models import CareRole
from notes import services as note_services
from records import pdf
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory
from tests.notes.conftest import attended_session, written

RELEASE = {
    "recipient": "Aetna utilization review",
    "purpose": "payer",
    "purpose_other": "",
    "consent_on_file": "on",
}


def _required(name: str) -> bool:
    return os.environ.get(name, "").lower() not in ("", "0", "false", "no")


@pytest.fixture
def pdf_engine():
    """WeasyPrint, able to run here: the PDF tests skip without Pango, unless
    REQUIRE_PDF_TESTS (or REQUIRE_BROWSER_TESTS, which CI sets) says they must run."""
    if not pdf.pdf_available():
        reason = f"WeasyPrint cannot run here ({pdf.pdf_unavailable_reason()})"
        if _required("REQUIRE_PDF_TESTS") or _required("REQUIRE_BROWSER_TESTS"):
            pytest.fail(f"PDF tests are required but {reason}", pytrace=False)
        pytest.skip(f"{reason}; set REQUIRE_PDF_TESTS=1 to make this a failure")


def document_text(document) -> str:
    """Every word laid out on the document's pages, running headers and footers included,
    in one line (lines broken on paper are joined again)."""
    from weasyprint.formatting_structure.boxes import TextBox

    words = []
    for page in document.pages:
        for box in page._page_box.descendants():
            if isinstance(box, TextBox):
                words.append(box.text)
    return " ".join(" ".join(words).split())


@pytest.fixture
def laid_out(pdf_engine, monkeypatch):
    """The documents the views lay out, kept as they are written to PDF (the real
    rendering runs): `laid_out[-1]` is the last one."""
    documents = []
    real = pdf.render_document

    def keep(html):
        document = real(html)
        documents.append(document)
        return document

    monkeypatch.setattr(pdf, "render_document", keep)
    return documents


@pytest.fixture
def couples_note(couple, partner_a, partner_b, couples_therapist):
    return written(
        attended_session(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=couples_therapist,
            couple=couple,
            partners=[partner_a, partner_b],
        ),
        text="Both partners named one trigger each.",
    )


@pytest.fixture
def alexs_note(couple, partner_b, alexs_therapist):
    return written(
        attended_session(
            kind=SessionKind.INDIVIDUAL_THERAPY,
            clinician=alexs_therapist,
            couple=couple,
            partners=[partner_b],
        )
    )


@pytest.fixture
def group_note(partner_a, partner_b):
    """A group with Jordan, Alex and a partner of another couple, led by Gail."""
    gail = ClinicianFactory(user__first_name="Gail")
    other = PartnerFactory(user__first_name="Sam")
    return written(
        attended_session(
            kind=SessionKind.GROUP, clinician=gail, partners=[partner_a, partner_b, other]
        )
    )


def note_with(session, *, psychotherapy=False, sign=True):
    author = session.clinician
    note = note_services.note_start(session=session, author=author, by=author.user)
    note = note_services.note_save(
        note=note,
        sections={"data": "Data.", "assessment": "Assessment.", "plan": "Plan."},
        entries={entry.partner_id: "Part." for entry in note.entries.all()},
        risk_level="none",
        risk_note="",
        is_psychotherapy_note=psychotherapy,
        place_of_service="10",
        by=author.user,
    )
    return note_services.note_sign(note=note, by=author.user) if sign else note


def signed_in(client, clinician):
    sign_in_with_mfa(client, clinician.user)
    return client


def assign(couple, role, partner=None, **flags):
    clinician = ClinicianFactory(can_be_couples_therapist=False, **flags)
    couple_services.care_team_assign(
        couple=couple, role=role, clinician=clinician, partner=partner, by=None
    )
    return clinician


@pytest.fixture
def jordans_therapist(couple, partner_a):
    return assign(
        couple, CareRole.INDIVIDUAL_THERAPIST, partner_a, can_be_individual_therapist=True
    )
