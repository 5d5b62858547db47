from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from audit import services as audit_services
from audit.models import AuditEvent
from couples import admin_forms, queries, services
from couples.forms import attach_service_error
from couples.models import CareAssignment, Clinician, Couple, Notification, Partner, User


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


# --- Shared pieces -------------------------------------------------------------------------


class PatientRecordAuditMixin:
    """Staff opening a patient's record in the admin is recorded; no record, no page.

    Saving a change through the admin form is recorded too, once per patient concerned.
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


# --- Clinicians --------------------------------------------------------------------------


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


# --- Couples and partners ----------------------------------------------------------------


class PartnerInline(admin.StackedInline):
    """Both partners, editable in place; they join only through intake."""

    model = Partner
    fields = ["user", "preferred_name", "sobriety_date"]
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
        "time_zone",
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
    fields = ["user", "couple", "preferred_name", "sobriety_date"]
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


# --- Care teams --------------------------------------------------------------------------


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


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox, for whoever runs the clinic's systems: what went out, what failed and why.
    Read-only; superusers only, since subjects carry patients' session times."""

    list_display = [
        "pk",
        "kind",
        "recipient",
        "status",
        "due_at",
        "attempts",
        "sent_at",
        "last_error",
    ]
    list_filter = ["status", "kind", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["recipient__email", "object_ref"]
    list_select_related = ["recipient"]
    date_hierarchy = "due_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in Notification._meta.fields]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
