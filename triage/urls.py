from django.urls import path

from triage import views

app_name = "triage"

urlpatterns = [
    path("portal/contact-me/", views.contact_request, name="contact_request"),
    path("clinic/triage/<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
