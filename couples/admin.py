from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError

from couples import services
from couples.models import AuditEvent, Clinician, Couple, Partner, User


class UserInviteForm(forms.ModelForm):
    """The admin's add form: no password field, the person sets one from the invitation."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_staff"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserInviteForm
    add_fieldsets = ((None, {"fields": ["email", "first_name", "last_name", "is_staff"]}),)
    fieldsets = (
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["date_joined", "invited_at", "last_login"]}),
    )
    readonly_fields = ["date_joined", "invited_at", "last_login"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    actions = ["send_invitation", "deactivate"]

    def save_model(self, request, obj, form, change):
        if not change:
            # New people are invited: the service creates the account and emails the link.
            created = services.user_invite(
                email=obj.email,
                first_name=obj.first_name,
                last_name=obj.last_name,
                is_staff=obj.is_staff,
                invited_by=request.user,
                request=request,
            )
            obj.pk = created.pk
            obj._state.adding = False
            return
        deactivating = "is_active" in form.changed_data and not obj.is_active
        if deactivating:
            obj.is_active = True  # the service performs the change and ends the sessions
        super().save_model(request, obj, form, change)
        if deactivating:
            services.user_deactivate(user=obj, by=request.user, request=request)

    @admin.action(description="Send the invitation email again")
    def send_invitation(self, request, queryset):
        sent = 0
        for user in queryset:
            try:
                services.invitation_send(user=user, invited_by=request.user, request=request)
                sent += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
        if sent:
            self.message_user(request, f"Sent {sent} invitation(s).", messages.SUCCESS)

    @admin.action(description="Deactivate and sign out everywhere")
    def deactivate(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, by=request.user, request=request)
        self.message_user(request, f"Deactivated {queryset.count()} account(s).", messages.SUCCESS)


@admin.register(Clinician)
class ClinicianAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "can_be_individual_therapist",
        "can_be_couples_therapist",
        "can_be_counselor",
        "can_be_medical_provider",
    ]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


class PartnerInline(admin.StackedInline):
    model = Partner
    extra = 0
    max_num = 2
    autocomplete_fields = ["user"]


class PatientRecordAuditMixin:
    """Staff opening a patient's record in the admin is recorded; no record, no page."""

    def patients_of(self, obj) -> list[Partner]:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            patients = self.patients_of(obj) or [None]
            for patient in patients:
                services.audit_record(
                    actor=request.user,
                    action=AuditEvent.Action.READ,
                    target=obj,
                    patient=patient,
                    request=request,
                    detail={"via": "admin"},
                )
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Couple)
class CoupleAdmin(PatientRecordAuditMixin, admin.ModelAdmin):
    list_display = ["__str__", "status", "admitted_on", "discharged_on", "time_zone"]
    list_filter = ["status"]
    inlines = [PartnerInline]

    def patients_of(self, obj) -> list[Partner]:
        return list(obj.partners.all())


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is evidence: readable here, never changed."""

    list_display = [
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
    list_filter = ["action", "allowed", "target_type"]
    search_fields = ["actor_label", "target_id", "ip_address"]
    date_hierarchy = "at"
    list_select_related = ["patient__user"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
