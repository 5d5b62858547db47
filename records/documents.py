"""A released record as a document: what every document template needs, for the PDF and for
the browser's print view.

Each kind of record has its template extending templates/records/document_base.html, which
lays out the clinic, the title, the patients, to whom, why, when and by whom it was released,
and the 42 CFR § 2.32 notice; the record's own parts come from `release.parts`
(records.queries). A later export (a summary of a partner's record) adds a template and a
Release, and reuses the rest.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

from records import notices
from records.queries import Release


@dataclass(frozen=True)
class Handover:
    """To whom, why (in words), when and by whom a record was released."""

    recipient: str
    purpose: str
    at: datetime.datetime
    by: str


def document_context(*, release: Release, handover: Handover, for_pdf: bool = True) -> dict:
    return {
        **release.parts,
        "release": release,
        "recipient": handover.recipient,
        "purpose": handover.purpose,
        "released_at": handover.at,
        "released_by": handover.by,
        "clinic_name": settings.CLINIC_NAME,
        "notice_title": notices.PART2_NOTICE_TITLE,
        "notice_opening": notices.PART2_NOTICE_OPENING,
        "notice_cases": notices.PART2_NOTICE_NUMBERED_CASES,
        "notice_closing": notices.PART2_NOTICE_CLOSING,
        "notice_short": notices.PART2_NOTICE_SHORT,
        "time_zone": release.time_zone,
        # The PDF links no stylesheet (records.pdf hands it over); the print view does.
        "for_pdf": for_pdf,
    }


def document_html(*, release: Release, handover: Handover, for_pdf: bool = True) -> str:
    context = document_context(release=release, handover=handover, for_pdf=for_pdf)
    return render_to_string(release.template, context)
