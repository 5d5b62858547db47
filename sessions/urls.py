from django.urls import path

from sessions.views import clinic, portal

app_name = "sessions"

urlpatterns = [
    # Clinic: calendar, agenda, scheduling, attendance
    path("clinic/sessions/week/", clinic.clinic_week, name="clinic_week"),
    path("clinic/sessions/day/", clinic.clinic_agenda, name="clinic_agenda"),
    path("clinic/sessions/new/", clinic.session_new, name="new"),
    path("clinic/sessions/series/new/", clinic.series_new, name="series_new"),
    path("clinic/sessions/<int:pk>/", clinic.session_detail, name="detail"),
    path("clinic/sessions/<int:pk>/attendance/", clinic.attendance, name="attendance"),
    path("clinic/sessions/<int:pk>/cancel/", clinic.session_cancel, name="cancel"),
    path("clinic/sessions/<int:pk>/reschedule/", clinic.session_reschedule, name="reschedule"),
    # Portal: my sessions
    path("portal/sessions/", portal.portal_sessions, name="portal_list"),
    path("portal/sessions/<int:pk>/respond/", portal.portal_respond, name="portal_respond"),
    # Both: joining, and the private calendar feed
    path("sessions/<int:pk>/join/", portal.join, name="join"),
    path("calendar/", portal.calendar_settings, name="calendar"),
    path("calendar/<str:token>.ics", portal.calendar_feed, name="feed"),
]
