from django.urls import path

from couples import views, views_notifications, views_welcome

app_name = "couples"

urlpatterns = [
    path("portal/sharing/", views.consent, name="consent"),
    path("portal/sharing/revoke/", views.consent_revoke, name="consent_revoke"),
    path("portal/record-access/", views.record_access, name="record_access"),
    path("welcome/", views.no_role, name="no_role"),
    # A partner's first run: the invitation (step 1), this page (step 2, shown once), then
    # their first check-in (step 3).
    path("portal/welcome/", views_welcome.welcome, name="welcome"),
    path("portal/welcome/skip/", views_welcome.welcome_skip, name="welcome_skip"),
    # Everyone's own notifications (partners, clinicians, staff)
    path("notifications/", views_notifications.notification_list, name="notification_list"),
    path(
        "notifications/<int:pk>/open/",
        views_notifications.notification_open,
        name="notification_open",
    ),
    path(
        "notifications/read/",
        views_notifications.notification_read_all,
        name="notification_read_all",
    ),
    path(
        "notifications/preferences/",
        views_notifications.notification_preferences,
        name="notification_preferences",
    ),
]
