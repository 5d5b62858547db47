"""Pieces the couples and insurance admins share: record audit, service forms, care history,
the row checkbox."""

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.db.models import F
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext

from audit import services as audit_services
from audit.models import AuditEvent
from couples.models import CareAssignment, Partner


class QuickActionCheckboxMixin:
    """The list's row checkbox drawn as Django's CheckboxInput draws it, without rendering a
    form widget template for every row (a tenth of the Coverage list's time at 25 rows)."""

    def action_checkbox(self, obj):
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class PatientListAuditMixin:
    """Staff viewing a list that shows patients (the roster, a search, a filter) is recorded:
    one row per view, naming the list, the search and the filters."""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit_services.audit_record(
                actor=request.user,
                action=AuditEvent.Action.READ,
                request=request,
                detail={
                    "via": "admin list",
                    "list": self.model._meta.label,
                    "search": request.GET.get("q", "")[:100],
                    "filters": {
                        key: value[:100]
                        for key, value in sorted(request.GET.items())[:20]
                        if key not in ("q", "p", "o")
                    },
                },
            )
        return response


class PatientRecordAuditMixin(PatientListAuditMixin):
    """Staff opening a patient's record in the admin is recorded; no record, no page.

    Saving a change through the admin form is recorded too, once per patient concerned, and
    so is each view of a list of such records.
    """

    def patients_of(self, obj) -> list[Partner]:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            patients = self.patients_of(obj) or [None]
            for patient in patients:
                audit_services.audit_record(
                    actor=request.user,
                    action=AuditEvent.Action.READ,
                    target=obj,
                    patient=patient,
                    request=request,
                    detail={"via": "admin"},
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            audit_admin_change(request, obj, form.changed_data, self.patients_of(obj))


def audit_admin_change(request, obj, changed: list[str], patients: list[Partner]) -> None:
    # The admin's own LogEntry is not the audit log: it has no IP, no patient, no chain.
    for patient in patients or [None]:
        audit_services.audit_record(
            actor=request.user,
            action=AuditEvent.Action.UPDATE,
            target=obj,
            patient=patient,
            request=request,
            detail={"via": "admin", "changed": changed},
        )


class ServiceFormMixin:
    """One-step admin pages (intake, invitation, assignment) that save through a service.

    The forms render with the admin's own fieldset template, so they look like any
    other admin form; each form is one fieldset.
    """

    def render_service_form(
        self, request, *, title: str, forms: list, submit_label: str, method: str = "post"
    ):
        """`forms` is a list of (fieldset heading, form)."""
        adminforms = [
            helpers.AdminForm(form, [(heading, {"fields": form.fieldset_fields})], {})
            for heading, form in forms
        ]
        media = self.media
        for _, form in forms:
            media += form.media
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "adminforms": adminforms,
            "has_errors": any(form.errors for _, form in forms),
            "media": media,
            "submit_label": submit_label,
            "method": method,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/couples/service_form.html", context)


class ReadOnlyHistoryInline(admin.TabularInline):
    """Who held which care-team role and when: ended rows stay, nothing is edited here."""

    model = CareAssignment
    template = "admin/couples/care_history_inline.html"
    verbose_name = "care-team assignment"
    verbose_name_plural = "Care team and its history"
    fields = ["role", "partner", "clinician", "started_at", "ended_at", "assigned_by"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("partner__user", "clinician__user", "assigned_by")
            .order_by(F("ended_at").desc(nulls_first=True), "partner_id", "role")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
