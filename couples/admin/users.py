"""The staff and patient accounts: invited, never given a password by the admin."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from common.admin_a11y import FILTER_HORIZONTAL_OFF
from couples import services
from couples.admin.shared import PatientListAuditMixin
from couples.models import User


class UserInviteForm(forms.ModelForm):
    """The admin's add form: no password field, the person sets one from the invitation."""

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "is_staff"]


@admin.register(User)
class UserAdmin(PatientListAuditMixin, DjangoUserAdmin):
    add_form = UserInviteForm
    add_fieldsets = ((None, {"fields": ["email", "first_name", "last_name", "is_staff"]}),)
    fieldsets = (
        (None, {"fields": ["email", "password"]}),
        ("Name", {"fields": ["first_name", "last_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["date_joined", "invited_at", "last_login"]}),
    )
    readonly_fields = ["date_joined", "invited_at", "last_login"]
    filter_horizontal = FILTER_HORIZONTAL_OFF
    list_display = ["email", "first_name", "last_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["email"]
    actions = ["send_invitation", "reset_second_factor", "deactivate"]

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

    @admin.action(description="Reset two-factor sign-in and send a new invitation")
    def reset_second_factor(self, request, queryset):
        users = [user for user in queryset if user.pk != request.user.pk]
        if len(users) < queryset.count():
            self.message_user(
                request,
                "You cannot reset your own two-factor sign-in: ask another staff member.",
                messages.WARNING,
            )
        for user in users:
            services.second_factor_reset(user=user, by=request.user, request=request)
        if users:
            self.message_user(
                request,
                f"Reset two-factor sign-in for {len(users)} account(s): each was signed out "
                "everywhere and sent a new invitation to choose a password and set up an "
                "authenticator app.",
                messages.SUCCESS,
            )

    @admin.action(description="Deactivate and sign out everywhere")
    def deactivate(self, request, queryset):
        for user in queryset:
            services.user_deactivate(user=user, by=request.user, request=request)
        self.message_user(request, f"Deactivated {queryset.count()} account(s).", messages.SUCCESS)


# Staff give people groups of permissions; the group's permissions are the labelled multiple
# select, not Django's two-box widget (see common.admin_a11y).
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    filter_horizontal = FILTER_HORIZONTAL_OFF
