from django.urls import path

from couples import views

app_name = "couples"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/sharing/", views.consent, name="consent"),
    path("portal/sharing/revoke/", views.consent_revoke, name="consent_revoke"),
    path("portal/record-access/", views.record_access, name="record_access"),
    path("clinic/", views.clinic_home, name="clinic_home"),
    path("clinic/couples/<int:pk>/", views.couple_detail, name="couple_detail"),
    path("welcome/", views.no_role, name="no_role"),
]
