"""The audit log in the admin: readable, filterable, exportable as CSV; never changed."""

import csv
import json
from datetime import UTC

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record


class TextInputFilter(admin.SimpleListFilter):
    """A filter typed into a box: the log's actors and patients are too many to list."""

    template = "admin/audit/text_input_filter.html"
    placeholder = ""

    def lookups(self, request, model_admin):
        # The filter is shown only when it has a choice; the box is that choice.
        return [("", self.placeholder)]

    def choices(self, changelist):
        yield {
            "parameter_name": self.parameter_name,
            "value": self.value() or "",
            "placeholder": self.placeholder,
            # Submitting the box keeps the other filters and the search.
            "hidden": [
                (name, value)
                for name, value in changelist.params.items()
                if name != self.parameter_name
            ],
        }


class ActorFilter(TextInputFilter):
    title = "user"
    parameter_name = "actor_email"
    placeholder = "Email contains"

    def queryset(self, request, queryset):
        if not self.value():
            return None
        value = self.value().strip()
        return queryset.filter(Q(actor_label__icontains=value) | Q(actor__email__icontains=value))


class PatientFilter(TextInputFilter):
    title = "patient"
    parameter_name = "patient_is"
    placeholder = "Patient number, email or name"

    def queryset(self, request, queryset):
        if not self.value():
            return None
        value = self.value().strip().lstrip("#")
        if value.isdigit():
            return queryset.filter(patient_id=int(value))
        return queryset.filter(
            Q(patient__user__email__icontains=value)
            | Q(patient__user__last_name__icontains=value)
            | Q(patient__user__first_name__icontains=value)
            | Q(patient__preferred_name__icontains=value)
        )


class DateFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "date"  # not "at", the field's name


AUDIT_CSV_HEADER = [
    "chain",
    "seq",
    "at_utc",
    "actor_email",
    "action",
    "allowed",
    "target_type",
    "target_id",
    "patient_id",
    "patient_name",
    "ip_address",
    "detail",
]


class _Echo:
    """csv.writer writes to this and gets the line back, so rows can be streamed."""

    def write(self, value):
        return value


def _csv_safe(value) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheet software.
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def audit_event_csv_row(event: AuditEvent) -> list[str]:
    patient = event.patient
    cells = [
        event.chain,
        event.seq,
        event.at.astimezone(UTC).isoformat(),
        event.actor_label,
        event.action,
        "yes" if event.allowed else "no",
        event.target_type,
        event.target_id,
        patient.pk if patient else "",
        (patient.user.get_full_name() or patient.user.email) if patient else "",
        event.ip_address,
        json.dumps(event.detail, sort_keys=True),
    ]
    return [_csv_safe(cell) for cell in cells]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is evidence: readable here, never changed; exports are logged too."""

    list_display = [
        "chain",
        "seq",
        "at",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "patient",
        "ip_address",
        "allowed",
    ]
    list_filter = [
        ActorFilter,
        PatientFilter,
        "action",
        "allowed",
        ("at", DateFilter),
        "target_type",
    ]
    search_fields = ["actor_label", "patient__user__email", "target_id", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["patient__user"]
    show_full_result_count = False
    actions = ["export_selected_csv"]

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_filtered_view),
                name="audit_auditevent_export",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Export selected as CSV", permissions=["view"])
    def export_selected_csv(self, request, queryset):
        return self.export_csv(request, queryset, scope="selected")

    def export_filtered_view(self, request):
        """The changelist's rows as filtered and searched now, every page of them."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return redirect("admin:audit_auditevent_changelist")
        return self.export_csv(request, changelist.get_queryset(request), scope="filtered")

    def export_csv(self, request, queryset, *, scope: str) -> StreamingHttpResponse:
        """Record the export, then stream it; an export that cannot be recorded is not served.

        1. Pin the rows to the log as it is now (rows never change, and later ones get
           higher ids), so the count recorded is exact and this export's own event is not in it.
        2. Record the export: rows, filters, and the patient when every row is about one,
           so it shows in that patient's accounting of disclosures.
        3. Stream the rows, in the changelist's order.
        """
        last_id = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        rows = queryset.filter(id__lte=last_id or 0)
        patient_ids = list(
            rows.exclude(patient=None)
            .order_by()
            .values_list("patient_id", flat=True)
            .distinct()[:2]
        )
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.EXPORT,
            patient=_patient(patient_ids[0]) if len(patient_ids) == 1 else None,
            request=request,
            detail={
                "what": "audit log (CSV)",
                "scope": scope,
                "rows": rows.count(),
                "filters": dict(request.GET.items()),
            },
        )
        writer = csv.writer(_Echo())
        lines = (
            writer.writerow(audit_event_csv_row(event))
            for event in rows.select_related("patient__user").iterator(chunk_size=1000)
        )
        stamp = timezone.now().astimezone(UTC).strftime("%Y%m%d-%H%M%S")
        return StreamingHttpResponse(
            _with_header(writer, lines),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"'},
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _patient(pk: int):
    # The patient model is the one the log points at (couples.Partner): named by the foreign
    # key, not imported, so this app depends on couples only through its table.
    return AuditEvent._meta.get_field("patient").related_model.objects.get(pk=pk)


def _with_header(writer, lines):
    yield writer.writerow(AUDIT_CSV_HEADER)
    yield from lines
