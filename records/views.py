"""Releasing a signed note or plan version for a records request: the form, then the PDF.

The record is looked up through its own app's rule with the viewer (records.queries): anyone
who may not read it gets the audited 404, a partner of the couple too; a clinician who may read
it but may not release it (a draft, a note awaiting co-signature, psychotherapy notes) reads
why, and no form.

The release runs in this order: lay out the PDF (nothing is recorded if that fails), record one
disclosure per patient it names with their audit events (nothing is sent if that fails), send
the PDF. Where the server cannot make PDFs (no Pango: records.pdf), the same document is sent
as a page to print from the browser, with a message: the release is recorded all the same.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from audit.models import AuditEvent
from audit.services import audit_record_many
from common.forms import attach_service_error
from couples.permissions import role_check
from couples.roles import Role
from records import pdf, queries, services
from records.documents import Handover, document_context, document_html
from records.forms import ReleaseForm
from records.models import Disclosure, RecordKind

FALLBACK_MESSAGE = (
    "This server cannot make PDF files at the moment, so the record opens here to print. "
    "Print it, or save it as a PDF, from your browser (Ctrl+P, or ⌘P on a Mac). The release "
    "is recorded in each patient’s accounting of disclosures."
)


@login_required
@never_cache
def note_release(request: HttpRequest, pk: int) -> HttpResponse:
    # The note first: anyone it is not for meets the audited 404, a partner of its couple too.
    release = queries.note_release_get_for_user(user=request.user, pk=pk, request=request)
    role_check(request.user, Role.CLINICIAN)
    form = None
    if not release.refusal:
        data = request.POST if request.method == "POST" else None
        form = ReleaseForm(data, participants=release.participants)
        if form.is_valid():
            if release.participants:
                queries.note_release_for_participant(
                    release, partner_pk=form.cleaned_data["participant"]
                )
            return _release(request, release=release, form=form)
    return _form_page(request, release=release, form=form)


@login_required
@never_cache
def plan_release(request: HttpRequest, plan_pk: int, number: int) -> HttpResponse:
    # The plan first: anyone it is not for meets the audited 404, a partner of its couple too.
    release = queries.plan_release_get_for_user(
        user=request.user, plan_pk=plan_pk, number=number, request=request
    )
    role_check(request.user, Role.CLINICIAN)
    form = None
    if not release.refusal:
        form = ReleaseForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            return _release(request, release=release, form=form)
    return _form_page(request, release=release, form=form)


def _form_page(request: HttpRequest, *, release, form: ReleaseForm | None) -> HttpResponse:
    # The page names the record and its patients: a read of their records.
    audit_record_many(
        actor=request.user,
        action=AuditEvent.Action.READ,
        target=release.record,
        patients=release.partners,
        request=request,
    )
    context = {
        "release": release,
        "form": form,
        "pdf_available": pdf.pdf_available(),
        "back_url": _back_url(release),
    }
    return render(request, "records/release_form.html", context)


def _release(request: HttpRequest, *, release, form: ReleaseForm) -> HttpResponse:
    data = form.cleaned_data
    purpose = Disclosure.Purpose(data["purpose"])
    handover = Handover(
        recipient=data["recipient"],
        purpose=data["purpose_other"] if purpose == Disclosure.Purpose.OTHER else purpose.label,
        at=timezone.now(),
        by=request.user.get_full_name() or request.user.email,
    )
    document = None
    if pdf.pdf_available():
        document = pdf.render_pdf(document_html(release=release, handover=handover))
    try:
        services.disclosure_record(
            partners=release.partners,
            record=release.record,
            recipient=data["recipient"],
            purpose=data["purpose"],
            purpose_other=data["purpose_other"],
            description=release.title,
            by=request.user,
            at=handover.at,
            request=request,
        )
    except ValidationError as error:
        attach_service_error(form, error)
        return _form_page(request, release=release, form=form)
    if document is None:
        context = document_context(release=release, handover=handover, for_pdf=False)
        context["fallback_message"] = FALLBACK_MESSAGE
        return render(request, release.template, context)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{release.filename}"'
    return response


def _back_url(release) -> str:
    if release.kind == RecordKind.NOTE:
        return reverse("notes:detail", kwargs={"pk": release.record.pk})
    plan = release.parts["plan"]
    name, kwargs = "plans:couple_plan", {"couple_pk": plan.couple_id}
    if plan.partner_id:
        name, kwargs = "plans:partner_plan", {**kwargs, "partner_pk": plan.partner_id}
    return f"{reverse(name, kwargs=kwargs)}?version={release.record.number}"
