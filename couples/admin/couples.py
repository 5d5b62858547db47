"""Couples with their partners: intake, discharge and the partners' own records."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import path
from django.utils import timezone

from common.forms import attach_service_error
from common.moments import zone_label
from couples import admin_forms, services
from couples.admin.shared import (
    PatientRecordAuditMixin,
    ReadOnlyHistoryInline,
    ServiceFormMixin,
    audit_admin_change,
)
from couples.models import Couple, Partner


class PartnerInline(admin.StackedInline):
    """Both partners, editable in place; they join only through intake."""

    model = Partner
    fields = ["user", "preferred_name", "date_of_birth", "sobriety_date"]
    readonly_fields = ["user"]
    extra = 0
    max_num = 2
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Couple)
class CoupleAdmin(ServiceFormMixin, PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "partner_names",
        "status",
        "admitted_on",
        "discharged_on",
        "zone",
    ]
    list_filter = ["status"]
    search_fields = [
        "=id",
        "partners__user__email",
        "partners__user__first_name",
        "partners__user__last_name",
        "partners__preferred_name",
    ]
    inlines = [PartnerInline, ReadOnlyHistoryInline]
    actions = ["discharge"]

    def patients_of(self, obj) -> list[Partner]:
        return list(obj.partners.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("partners__user")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            # The same list as at intake, so no misspelt zone reaches the schedules.
            return forms.ChoiceField(
                choices=admin_forms.time_zone_choices, help_text=admin_forms.TIME_ZONE_HELP
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Time zone", ordering="time_zone")
    def zone(self, couple):
        return zone_label(couple.time_zone)

    @admin.display(description="Partners")
    def partner_names(self, couple):
        return " and ".join(partner.user.get_full_name() for partner in couple.partners.all())

    def get_urls(self):
        return [
            path(
                "admit/",
                self.admin_site.admin_view(self.admit_view),
                name="couples_couple_admit",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        # A couple joins only through intake: both partners invited, the whole team assigned.
        return redirect("admin:couples_couple_admit")

    def admit_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        partner_forms = [
            admin_forms.PartnerIntakeForm(data, prefix=f"partner{number}") for number in (1, 2)
        ]
        couple_form = admin_forms.CoupleAdmitForm(data)
        # A list, not a generator: every form validates so every error shows at once.
        if all([form.is_valid() for form in [*partner_forms, couple_form]]):
            try:
                couple = services.couple_admit(
                    partners=[form.cleaned_data for form in partner_forms],
                    **couple_form.cleaned_data,
                    by=request.user,
                    request=request,
                )
            except ValidationError as error:
                attach_service_error(couple_form, error)
            else:
                self.message_user(
                    request,
                    f"Admitted {couple}. Both partners have been sent an invitation email.",
                )
                return redirect("admin:couples_couple_change", couple.pk)
        return self.render_service_form(
            request,
            title="Admit a couple",
            forms=[
                ("Partner 1", partner_forms[0]),
                ("Partner 2", partner_forms[1]),
                ("Program and couples therapist", couple_form),
            ],
            submit_label="Admit and send invitations",
        )

    @admin.action(
        description="Discharge today (keeps every record)",
        permissions=["change"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def discharge(self, request, queryset):
        today = timezone.localdate()
        discharged = []
        for couple in queryset.order_by("pk"):
            if couple.status == Couple.Status.DISCHARGED:
                self.message_user(request, f"{couple} was already discharged.", messages.WARNING)
                continue
            try:
                services.couple_discharge(
                    couple=couple, discharged_on=today, by=request.user, request=request
                )
            except ValidationError as error:
                self.message_user(request, f"{couple}: {' '.join(error.messages)}", messages.ERROR)
            else:
                discharged.append(str(couple))
        if discharged:
            self.message_user(request, f"Discharged {', '.join(discharged)} as of {today}.")

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for partner, changed in getattr(formset, "changed_objects", []):
            if isinstance(partner, Partner):
                audit_admin_change(request, partner, changed, [partner])

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Partner)
class PartnerAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ["__str__", "full_name", "email", "couple", "sobriety_date"]
    list_select_related = ["user", "couple"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "preferred_name"]
    fields = ["user", "couple", "preferred_name", "date_of_birth", "sobriety_date"]
    readonly_fields = ["user", "couple"]
    inlines = [ReadOnlyHistoryInline]

    def patients_of(self, obj) -> list[Partner]:
        return [obj]

    @admin.display(ordering="user__last_name")
    def full_name(self, partner):
        return partner.user.get_full_name()

    @admin.display(ordering="user__email")
    def email(self, partner):
        return partner.user.email

    def has_add_permission(self, request):
        return False  # Partners join through intake, on the couples page.

    def has_delete_permission(self, request, obj=None):
        return False
