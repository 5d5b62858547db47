"""Records requests in the admin: the 30-day work queue, logging a request, producing the
copy, recording its delivery, and the copy's files for staff.

Only records staff (records.permissions) and superusers reach any of it. Anyone else signed
in to the admin (insurance staff, a staff member without the permissions) gets a 404, as if
the pages did not exist, and the refusal is audited; the files answer 404 even to someone
not signed in, rather than a sign-in page that confirms they exist.
"""

import datetime

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.cache import never_cache

from audit.models import AuditEvent
from audit.services import access_denied_record, audit_record
from common.forms import attach_service_error
from couples.admin import PatientRecordAuditMixin, QuickActionCheckboxMixin, ServiceFormMixin
from records import services_export, services_requests
from records.admin_forms import RecordsRequestDeliverForm, RecordsRequestLogForm, partner_label
from records.models import RecordExport, RecordsRequest
from records.permissions import may_see_requests, may_work_requests

FILES = {"json": "bundle", "summary": "summary"}
# Which files each form of copy offers staff.
FORM_FILES = {
    RecordsRequest.Form.FHIR: ["json"],
    RecordsRequest.Form.SUMMARY: ["summary"],
    RecordsRequest.Form.BOTH: ["json", "summary"],
}
FILE_LABELS = {"json": "FHIR bundle (JSON)", "summary": "Printable summary"}


def days_left_words(due_on: datetime.date, today: datetime.date) -> str:
    """ "12 days left", "1 day left", "Due today", "1 day overdue", "3 days overdue"."""
    days = (due_on - today).days
    if days == 0:
        return "Due today"
    count = abs(days)
    unit = "day" if count == 1 else "days"
    return f"{count} {unit} left" if days > 0 else f"{count} {unit} overdue"


class WaitingFilter(admin.SimpleListFilter):
    title = "clock"
    parameter_name = "clock"

    def lookups(self, request, model_admin):
        return [("overdue", "overdue"), ("week", "due within 7 days")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        waiting = queryset.filter(status__in=RecordsRequest.WAITING)
        if self.value() == "overdue":
            return waiting.filter(due_on__lt=today)
        if self.value() == "week":
            return waiting.filter(due_on__lte=today + datetime.timedelta(days=7))
        return queryset


class RecordsAccessMixin:
    """Every page of the model answers 404, audited, to anyone who may not see requests;
    first in the class's bases so that nothing else (the record audit) runs before it."""

    def _refuse_unless_allowed(self, request, object_id=None) -> None:
        if not may_see_requests(request.user):
            access_denied_record(
                user=request.user,
                request=request,
                target_type="records.RecordsRequest",
                target_id=object_id or "list",
            )
            raise Http404

    def changelist_view(self, request, extra_context=None):
        self._refuse_unless_allowed(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._refuse_unless_allowed(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        self._refuse_unless_allowed(request)
        return redirect("admin:records_recordsrequest_log")

    def history_view(self, request, object_id, extra_context=None):
        self._refuse_unless_allowed(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._refuse_unless_allowed(request, object_id)
        return super().delete_view(request, object_id, extra_context)


@admin.register(RecordsRequest)
class RecordsRequestAdmin(
    RecordsAccessMixin,
    QuickActionCheckboxMixin,
    ServiceFormMixin,
    PatientRecordAuditMixin,
    admin.ModelAdmin,
):
    """The records requests' work queue: open and produced first, the nearest due date on
    top. A request changes only through its steps (produce, deliver, withdraw)."""

    list_display = [
        "patient",
        "source",
        "recipient",
        "received_on",
        "due_on",
        "days_left",
        "status",
        "copy",
    ]
    list_filter = ["status", WaitingFilter, "source"]
    search_fields = ["partner__user__email", "partner__user__last_name", "recipient"]
    # Waiting requests first, by due date; delivered and withdrawn after.
    ordering = [
        Case(When(status__in=RecordsRequest.WAITING, then=Value(0)), default=Value(1)).asc(),
        "due_on",
        "pk",
    ]
    readonly_fields = [
        "patient",
        "source",
        "recipient",
        "consent_reference",
        "purpose",
        "purpose_other",
        "received_on",
        "due_on",
        "days_left",
        "form",
        "status",
        "copy",
        "steps",
        "delivered_on",
        "delivery_method",
        "delivery_note",
        "delivered_by",
        "logged_by",
        "logged_at",
    ]
    fields = readonly_fields
    actions = ["produce_selected"]
    list_per_page = 25
    show_full_result_count = False

    class Media:
        css = {"all": ["records/admin.css"]}

    def get_queryset(self, request):
        # The copy's state shows in the list; its files (megabytes) are never read here.
        return (
            super()
            .get_queryset(request)
            .select_related("partner__user", "export", "logged_by", "delivered_by")
            .defer("export__bundle", "export__summary")
        )

    def patients_of(self, obj: RecordsRequest) -> list:
        return [obj.partner]

    def has_module_permission(self, request):
        return may_see_requests(request.user)

    def has_view_permission(self, request, obj=None):
        return may_see_requests(request.user)

    def has_add_permission(self, request):
        return may_work_requests(request.user)

    def has_change_permission(self, request, obj=None):
        # The list's actions need it; a request's own page is read-only (its steps are
        # buttons), so for one request it is refused.
        return obj is None and may_work_requests(request.user)

    def has_delete_permission(self, request, obj=None):
        return False

    # Columns

    @admin.display(description="Patient", ordering="partner__user__last_name")
    def patient(self, obj: RecordsRequest) -> str:
        return partner_label(obj.partner)

    @admin.display(description="Clock", ordering="due_on")
    def days_left(self, obj: RecordsRequest) -> str:
        if obj.status == RecordsRequest.Status.DELIVERED:
            return f"Delivered {obj.delivered_on:%b} {obj.delivered_on.day}"
        if obj.status == RecordsRequest.Status.WITHDRAWN:
            return "Withdrawn"
        today = timezone.localdate()
        words = days_left_words(obj.due_on, today)
        if obj.due_on < today:
            return format_html('<strong class="records-overdue">{}</strong>', words)
        if obj.due_on == today:
            return format_html('<strong class="records-due-today">{}</strong>', words)
        return words

    @admin.display(description="Copy")
    def copy(self, obj: RecordsRequest) -> str:
        export = obj.export
        if export is None:
            return "—"
        if export.status == RecordExport.Status.READY and export.expires_at > timezone.now():
            return format_html_join(
                " · ",
                '<a href="{}">{}</a>',
                (
                    (reverse("admin:records_recordsrequest_file", args=[obj.pk, name]), label)
                    for name in FORM_FILES[obj.form]
                    for label in [FILE_LABELS[name]]
                ),
            )
        if export.status == RecordExport.Status.READY:
            return RecordExport.Status.EXPIRED.label
        return export.get_status_display()

    @admin.display(description="Next step")
    def steps(self, obj: RecordsRequest) -> str:
        if not obj.is_waiting:
            return "None: this request is closed."
        links = [("produce", "Produce the copy")]
        if obj.status == RecordsRequest.Status.PRODUCED:
            links.append(("deliver", "Record delivery"))
        links.append(("withdraw", "Withdraw"))
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            (
                (reverse(f"admin:records_recordsrequest_{name}", args=[obj.pk]), label)
                for name, label in links
            ),
        )

    # The steps' pages

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("log/", wrap(self.log_view), name="records_recordsrequest_log"),
            path(
                "<int:pk>/produce/", wrap(self.produce_view), name="records_recordsrequest_produce"
            ),
            path(
                "<int:pk>/deliver/", wrap(self.deliver_view), name="records_recordsrequest_deliver"
            ),
            path(
                "<int:pk>/withdraw/",
                wrap(self.withdraw_view),
                name="records_recordsrequest_withdraw",
            ),
            # Not wrapped in admin_view: anyone without permission, signed in or not,
            # gets a 404 rather than a sign-in page that confirms the file exists.
            path(
                "<int:pk>/copy/<str:name>/",
                never_cache(self.file_view),
                name="records_recordsrequest_file",
            ),
            *super().get_urls(),
        ]

    def _refuse_unless_working(self, request, object_id) -> None:
        if not may_work_requests(request.user):
            access_denied_record(
                user=request.user,
                request=request,
                target_type="records.RecordsRequest",
                target_id=object_id,
            )
            raise Http404

    def _for_work(self, request, pk) -> RecordsRequest:
        self._refuse_unless_working(request, pk)
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def log_view(self, request):
        self._refuse_unless_working(request, "new")
        form = RecordsRequestLogForm(
            request.POST or None, initial={"received_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            try:
                logged = services_requests.records_request_log(
                    **form.cleaned_data, by=request.user, request=request
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(request, f"Logged. The copy is due on {logged.due_on}.")
                return redirect("admin:records_recordsrequest_change", logged.pk)
        return self.render_service_form(
            request, title="Log a records request", forms=[(None, form)], submit_label="Log"
        )

    def produce_view(self, request, pk: int):
        records_request = self._for_work(request, pk)
        if request.method == "POST":
            try:
                services_requests.records_request_produce(
                    records_request=records_request, by=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                self.message_user(
                    request, "The copy is being prepared. Its files appear here when ready."
                )
            return redirect("admin:records_recordsrequest_change", pk)
        return self._confirm(
            request,
            records_request,
            title="Produce the copy",
            text="A copy of this patient's record will be prepared for the request, "
            "in the background. Nothing leaves the clinic until its delivery is recorded.",
        )

    def withdraw_view(self, request, pk: int):
        records_request = self._for_work(request, pk)
        if request.method == "POST":
            try:
                services_requests.records_request_withdraw(
                    records_request=records_request, by=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                self.message_user(request, "The request is withdrawn.")
            return redirect("admin:records_recordsrequest_change", pk)
        return self._confirm(
            request,
            records_request,
            title="Withdraw the request",
            text="The request is closed without a copy leaving the clinic.",
        )

    def deliver_view(self, request, pk: int):
        records_request = self._for_work(request, pk)
        form = RecordsRequestDeliverForm(
            request.POST or None, initial={"delivered_on": timezone.localdate()}
        )
        if request.method == "POST" and form.is_valid():
            try:
                services_requests.records_request_deliver(
                    records_request=records_request,
                    delivered_on=form.cleaned_data["delivered_on"],
                    method=form.cleaned_data["delivery_method"],
                    note=form.cleaned_data["delivery_note"],
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(
                    request, "Delivery recorded, and in the patient's accounting of disclosures."
                )
                return redirect("admin:records_recordsrequest_change", pk)
        return self.render_service_form(
            request,
            title=f"Record delivery to {records_request.recipient}",
            forms=[(None, form)],
            submit_label="Record delivery",
        )

    def _confirm(self, request, records_request, *, title: str, text: str):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "text": text,
            "records_request": records_request,
            "patient": partner_label(records_request.partner),
        }
        return TemplateResponse(request, "admin/records/recordsrequest/confirm.html", context)

    def file_view(self, request, pk: int, name: str):
        """One of the copy's files, for records staff; every download audited."""
        self._refuse_unless_allowed(request, pk)
        if name not in FILES:
            raise Http404
        records_request = get_object_or_404(
            RecordsRequest.objects.select_related("partner__user"), pk=pk
        )
        others = [field for key, field in FILES.items() if key != name]
        export = (
            RecordExport.objects.filter(pk=records_request.export_id, status="ready")
            .defer(*others)
            .first()
        )
        if export is None or export.expires_at <= timezone.now():
            self.message_user(
                request, "The copy is not available: produce it again.", messages.WARNING
            )
            return redirect("admin:records_recordsrequest_change", pk)
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.READ,
            target=export,
            patient=records_request.partner,
            request=request,
            detail={"downloaded": FILES[name], "via": "admin", "records_request": pk},
        )
        return _file_response(export, name)

    @admin.action(description="Produce the copy", permissions=["change"])
    def produce_selected(self, request, queryset):
        done = 0
        for records_request in queryset.order_by("pk"):
            try:
                services_requests.records_request_produce(
                    records_request=records_request, by=request.user, request=request
                )
                done += 1
            except ValidationError as error:
                self.message_user(
                    request, f"{records_request}: {' '.join(error.messages)}", messages.WARNING
                )
        if done:
            self.message_user(request, f"{done} cop{'y' if done == 1 else 'ies'} being prepared.")


def _file_response(export: RecordExport, name: str) -> HttpResponse:
    if name == "json":
        response = HttpResponse(export.bundle, content_type="application/fhir+json")
        filename = services_export.export_filename(export, "json")
    elif export.summary_format == RecordExport.SummaryFormat.PDF:
        response = HttpResponse(bytes(export.summary), content_type="application/pdf")
        filename = services_export.export_filename(export, "pdf")
    else:
        response = HttpResponse(bytes(export.summary), content_type="text/html; charset=utf-8")
        filename = services_export.export_filename(export, "html")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
