"""The notification outbox, read-only for superusers but for sending again what failed, and the
notice on the admin index when messages are not getting through."""

import functools
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone

from couples import services
from couples.admin.shared import PatientListAuditMixin
from couples.models import Notification
from couples.notifications import health


@admin.register(Notification)
class NotificationAdmin(PatientListAuditMixin, admin.ModelAdmin):
    """The outbox, for whoever runs the clinic's systems: what went out, what failed and why.
    Read-only but for the "Send again" action; superusers only, since subjects carry patients'
    session times."""

    list_display = [
        "pk",
        "kind",
        "recipient",
        "status",
        "due_at",
        "attempts",
        "sent_at",
        "last_error",
        "status_note",
    ]
    list_filter = ["status", "kind", ("due_at", admin.DateFieldListFilter)]
    search_fields = ["recipient__email", "object_ref"]
    list_select_related = ["recipient"]
    date_hierarchy = "due_at"
    show_full_result_count = False
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["send_again"]

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

    def has_send_again_permission(self, request):
        # The rows cannot be edited (has_change_permission is False, so there is no form to
        # save), yet sending again is a change: it is open to those who may see the outbox and
        # hold the permission to change notifications.
        return self.has_view_permission(request) and request.user.has_perm(
            "couples.change_notification"
        )

    @admin.action(
        description="Send again (failed and expired messages)", permissions=["send_again"]
    )
    def send_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        queued = services.notifications_send_again(
            notification_ids=ids, by=request.user, request=request
        )
        skipped = len(ids) - queued
        text = (
            f"Queued {queued} message(s) to be sent again; skipped {skipped} that had not failed "
            "or expired. Each is checked again before it is sent: one that no longer applies "
            "is withdrawn instead."
        )
        self.message_user(request, text, messages.SUCCESS if queued else messages.WARNING)


def outbox_notice(request) -> dict | None:
    """What the admin index tells staff about the outbox, or None when all is well or the
    person may not open the outbox (the notice links there, and only they can act on it)."""
    if not admin.site.get_model_admin(Notification).has_view_permission(request):
        return None
    trouble = health.outbox_trouble(timezone.now())
    if not trouble:
        return None
    changelist = reverse("admin:couples_notification_changelist")
    statuses = ",".join(status.value for status in services.SEND_AGAIN_STATUSES)
    return {
        "undelivered": trouble.undelivered,
        "undelivered_url": f"{changelist}?{urlencode({'status__in': statuses})}",
        "waiting_for": health.wait_phrase(trouble.oldest_due_seconds) if trouble.stalled else "",
        "waiting_url": f"{changelist}?{urlencode({'status__exact': Notification.Status.QUEUED})}",
    }


def index_with_outbox_notice(index):
    """The admin site's index view, with the outbox notice in its context. Only the index
    reads the outbox: the other admin pages do not pay for it."""

    @functools.wraps(index)
    def view(request, extra_context=None):
        return index(request, {"outbox_notice": outbox_notice(request), **(extra_context or {})})

    return view
