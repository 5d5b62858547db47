""" "Download my record" on the portal: ask for a copy, watch it being prepared, download it.

The page and the request are the portal's (a signed-in partner; anyone else gets the
portal's 403). A download is looked up with the user first (records.queries_export): a copy
that is not the user's own is the audited 404, whoever asks, clinicians and staff included;
their own copy past its day is "gone" (410). Each download is audited, the file is sent as an
attachment named by its date only, and nothing is kept by a cache.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from audit.models import AuditEvent
from audit.services import audit_record
from couples.permissions import partner_required
from couples.queries import couple_time_zone, partner_get_for_user
from records import queries_export, services_export
from records.models import RecordExport

# While a copy is being prepared the page reloads itself this often (the HTTP Refresh header,
# which browsers treat as <meta http-equiv="refresh">): no script needed.
REFRESH_SECONDS = 3


@partner_required
@require_GET
@never_cache
def export_page(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    export = queries_export.export_latest_for_partner(partner=partner)
    state = _state(export)
    context = {
        "export": export,
        "state": state,
        "time_zone": couple_time_zone(couple=partner.couple),
        "refresh_seconds": REFRESH_SECONDS,
    }
    response = render(request, "records/export_page.html", context)
    if state == "in_progress":
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def _state(export: RecordExport | None) -> str:
    if export is None:
        return "none"
    if queries_export.export_is_expired(export):
        return "expired"
    if export.is_in_progress:
        return "in_progress"
    return export.status  # "ready" or "failed"


@partner_required
@require_POST
def export_request(request: HttpRequest) -> HttpResponse:
    partner = partner_get_for_user(user=request.user, with_couple_partners=False)
    services_export.export_request(partner=partner, by=request.user, request=request)
    messages.info(request, "We are preparing your copy. This page shows when it is ready.")
    return redirect("records:export_page")


@login_required
@require_GET
def export_download_json(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk=pk, file="bundle")


@login_required
@require_GET
def export_download_summary(request: HttpRequest, pk: int) -> HttpResponse:
    return _download(request, pk=pk, file="summary")


def _download(request: HttpRequest, *, pk: int, file: str) -> HttpResponse:
    try:
        export = queries_export.export_get_for_user(
            user=request.user, pk=pk, file=file, request=request
        )
    except queries_export.ExportGone:
        return render(request, "records/export_gone.html", status=410)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=export,
        patient=export.partner,
        request=request,
        detail={"downloaded": file},
    )
    if file == "bundle":
        response = HttpResponse(export.bundle, content_type="application/fhir+json")
        name = services_export.export_filename(export, "json")
    elif export.summary_format == RecordExport.SummaryFormat.PDF:
        response = HttpResponse(bytes(export.summary), content_type="application/pdf")
        name = services_export.export_filename(export, "pdf")
    else:  # a page to print, made where the server could not make PDFs
        response = HttpResponse(bytes(export.summary), content_type="text/html; charset=utf-8")
        name = services_export.export_filename(export, "html")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
