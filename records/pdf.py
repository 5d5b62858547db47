"""HTML to PDF with WeasyPrint, fetching nothing from anywhere.

WeasyPrint draws text with Pango, a system library (Debian: libpango-1.0-0, which Chromium
brings along). Without it `import weasyprint` raises OSError, so it is imported here, lazily,
and only once: the app starts and serves everything else without Pango, and the print views
offer the browser's print view instead (`pdf_available`).

A released record is built from our own template and stylesheet only. The document links no
stylesheet when rendered to PDF (the template leaves the link out, `for_pdf`); the stylesheet
is read from this app's static folder and handed over as text; and the URL fetcher refuses
every URL, stopping the rendering: a template that tried to fetch something (an image, a font,
a tracker) would fail loudly in the tests instead of calling out from the server.
"""

import functools
import logging
from pathlib import Path

PRINT_CSS = Path(__file__).resolve().parent / "static" / "records" / "print.css"


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here (no Pango, or the package is missing)."""


@functools.cache
def _weasyprint():
    """The weasyprint module, or the reason it cannot be loaded (once per process)."""
    # Its progress lines (seven for every document) would fill the server's log.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango's library is missing
        return None, f"{type(error).__name__}: {error}"
    return weasyprint, ""


def pdf_available() -> bool:
    return _weasyprint()[0] is not None


def pdf_unavailable_reason() -> str:
    return _weasyprint()[1]


@functools.cache
def _print_css() -> str:
    return PRINT_CSS.read_text(encoding="utf-8")


def _refusing_fetcher(weasyprint):
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    class RefusingFetcher(URLFetcher):
        """Fetches nothing: a released record is self-contained."""

        def fetch(self, url, headers=None):
            raise FatalURLFetchingError(f"A released record fetches nothing (asked for {url}).")

    return RefusingFetcher(fail_on_errors=True)


def render_document(html: str):
    """Lay out the document (a weasyprint Document: its pages, for tests and page counts).
    Raises PdfUnavailable where WeasyPrint cannot run."""
    weasyprint, reason = _weasyprint()
    if weasyprint is None:
        raise PdfUnavailable(reason)
    fetcher = _refusing_fetcher(weasyprint)
    stylesheet = weasyprint.CSS(string=_print_css(), url_fetcher=fetcher)
    return weasyprint.HTML(string=html, url_fetcher=fetcher).render(stylesheets=[stylesheet])


def render_pdf(html: str) -> bytes:
    return render_document(html).write_pdf()
