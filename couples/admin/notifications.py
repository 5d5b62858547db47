"""The notification outbox, read-only, for superusers."""

from django.contrib import admin

from couples.admin.shared import PatientListAuditMixin
from couples.models import Notification


@admin.register(Notification)
class NotificationAdmin(PatientListAuditMixin, admin.ModelAdmin):
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
