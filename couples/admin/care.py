"""Care-team assignments: assigned in two steps, ended, and kept as history."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect

from common.forms import attach_service_error
from couples import admin_forms, queries, services
from couples.admin.shared import PatientRecordAuditMixin, ServiceFormMixin
from couples.models import CareAssignment, Clinician, Partner


class CurrentAssignmentFilter(admin.SimpleListFilter):
    title = "current or ended"
    parameter_name = "current"

    def lookups(self, request, model_admin):
        return [("yes", "Current"), ("no", "Ended")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


@admin.register(CareAssignment)
class CareAssignmentAdmin(ServiceFormMixin, PatientRecordAuditMixin, admin.ModelAdmin):
    """Rows are history: read-only here. A new assignment ends the previous holder's row."""

    list_display = [
        "couple",
        "partner",
        "role",
        "clinician",
        "started_at",
        "ended_at",
        "assigned_by",
    ]
    list_filter = [CurrentAssignmentFilter, "role", "clinician"]
    list_select_related = ["couple", "partner__user", "clinician__user", "assigned_by"]
    search_fields = [
        "=couple__id",
        "clinician__user__email",
        "clinician__user__last_name",
        "partner__user__email",
        "partner__user__last_name",
    ]

    def patients_of(self, obj) -> list[Partner]:
        return [obj.partner] if obj.partner else list(obj.couple.partners.all())

    def add_view(self, request, form_url="", extra_context=None):
        """Step 1 chooses the couple (GET ?couple=), step 2 one role of its team and a clinician."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        chooser = admin_forms.CareCoupleChooseForm(request.GET if "couple" in request.GET else None)
        if not chooser.is_valid():
            return self.render_service_form(
                request,
                title="Assign a clinician: choose the couple",
                forms=[(None, chooser)],
                submit_label="Next",
                method="get",
            )
        couple = chooser.cleaned_data["couple"]
        current = {
            (assignment.partner_id, assignment.role): assignment.clinician
            for assignment in queries.care_team_for_couple(couple=couple)
        }
        form = admin_forms.CareAssignForm(
            request.POST if request.method == "POST" else None, couple=couple, current=current
        )
        if form.is_valid():
            slot, clinician = form.cleaned_data["slot"], form.cleaned_data["clinician"]
            previous = current.get((getattr(slot["partner"], "pk", None), slot["role"]))
            try:
                assignment = services.care_team_assign(
                    couple=couple, **slot, clinician=clinician, by=request.user, request=request
                )
            except ValidationError as error:
                attach_service_error(form, error)
            else:
                self.message_user(request, _assigned_message(assignment, previous))
                return redirect("admin:couples_couple_change", couple.pk)
        return self.render_service_form(
            request,
            title=f"Assign a clinician for {admin_forms.couple_label(couple)}",
            forms=[(None, form)],
            submit_label="Assign",
        )

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_end_permission(self, request) -> bool:
        # Ending is the other half of assigning: whoever may assign may end.
        return self.has_add_permission(request)

    @admin.action(description="End the selected assignments (no successor)", permissions=["end"])
    def end_assignments(self, request, queryset):
        ended = 0
        for assignment in queryset.filter(ended_at__isnull=True):
            services.care_assignment_end(assignment=assignment, by=request.user, request=request)
            ended += 1
        self.message_user(request, f"Ended {ended} assignment(s); they stay in the history.")

    actions = ["end_assignments"]


def _assigned_message(assignment: CareAssignment, previous: Clinician | None) -> str:
    if previous is not None and previous.pk == assignment.clinician_id:
        return f"{assignment.clinician} already held this role: nothing changed."
    if previous is not None:
        return f"{assignment}. {previous}'s assignment has ended and stays in the history."
    return f"{assignment}."
