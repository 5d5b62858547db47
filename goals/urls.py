from django.urls import path

from goals.views import checkin, clinic, portal

app_name = "goals"

urlpatterns = [
    # Patient portal (partners)
    path("portal/checkin/", checkin.checkin, name="checkin"),
    path("portal/checkin/saved/", checkin.checkin_saved, name="checkin_saved"),
    path("portal/help/", checkin.help_now, name="help"),
    path("portal/goals/", portal.goal_list, name="portal_goal_list"),
    path("portal/goals/new/", portal.goal_new, name="portal_goal_new"),
    path("portal/goals/<int:pk>/", portal.goal_detail, name="portal_goal_detail"),
    path("portal/goals/<int:pk>/log/", portal.progress_log, name="progress_log"),
    path("portal/goals/<int:pk>/accept/", portal.goal_accept, name="accept"),
    path("portal/goals/<int:pk>/withdraw/", portal.goal_withdraw, name="withdraw"),
    path(
        "portal/goals/<int:pk>/request-change/", portal.goal_request_change, name="request_change"
    ),
    # Clinic pages (clinicians on the couple's care team)
    path("clinic/couples/<int:couple_pk>/goals/new/", clinic.goal_new, name="clinic_goal_new"),
    path("clinic/goals/<int:pk>/", clinic.goal_detail, name="clinic_goal_detail"),
    path("clinic/goals/<int:pk>/edit/", clinic.goal_edit, name="clinic_goal_edit"),
    path("clinic/goals/<int:pk>/status/", clinic.goal_transition, name="clinic_goal_transition"),
]
