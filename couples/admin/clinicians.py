"""Clinicians, who join by invitation from the admin."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path

from common.forms import attach_service_error
from couples import admin_forms, services
from couples.admin.shared import ServiceFormMixin, audit_admin_change
from couples.models import Clinician


@admin.register(Clinician)
class ClinicianAdmin(ServiceFormMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "can_be_individual_therapist",
        "can_be_couples_therapist",
        "can_be_counselor",
        "can_be_medical_provider",
    ]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    readonly_fields = ["user"]

    @admin.display(ordering="user__email")
    def email(self, clinician):
        return clinician.user.email

    def get_urls(self):
        return [
            path(
                "invite/",
                self.admin_site.admin_view(self.invite_view),
                name="couples_clinician_invite",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # Clinicians join by invitation only, so "Add" leads to the invitation form.
        return redirect("admin:couples_clinician_invite")

    def invite_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = admin_forms.ClinicianInviteForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                clinician = services.clinician_invite(
                    **form.cleaned_data, invited_by=request.user, request=request
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(
                    request,
                    f"Invited {clinician}: the invitation is on its way to {clinician.user.email}.",
                )
                return redirect("admin:couples_clinician_change", clinician.pk)
        return self.render_service_form(
            request,
            title="Invite a clinician",
            forms=[(None, form)],
            submit_label="Send invitation",
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.changed_data:
            audit_admin_change(request, obj, form.changed_data, [])

    def has_delete_permission(self, request, obj=None):
        return False
