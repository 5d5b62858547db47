from django.urls import path

from couples import views

app_name = "couples"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("clinic/", views.clinic_home, name="clinic_home"),
    path("welcome/", views.no_role, name="no_role"),
]
