from django.urls import path

from pages import views

app_name = "pages"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("clinic/", views.clinic_home, name="clinic_home"),
    path("clinic/couples/<int:pk>/", views.couple_detail, name="couple_detail"),
]
