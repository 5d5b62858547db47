from django.urls import path  # noqa: F401

from measures.views import clinic, portal

app_name = "measures"

urlpatterns = [
    # Patient portal (partners)
    path("portal/measures/", portal.measure_list, name="portal_list"),
    path("portal/measures/done/<int:pk>/", portal.measure_done, name="portal_done"),
    path("portal/measures/done/<int:pk>/safety/", portal.measure_safety, name="portal_safety"),
    path("portal/measures/<slug:code>/", portal.measure_fill, name="portal_fill"),
    # Clinic pages (clinicians whose role covers the partner)
    path(
        "clinic/couples/<int:couple_pk>/measures/partner/<int:partner_pk>/schedule/",
        clinic.schedule_set,
        name="clinic_schedule_set",
    ),
    path(
        "clinic/couples/<int:couple_pk>/measures/partner/<int:partner_pk>/<str:code>/enter/",
        clinic.response_enter,
        name="clinic_response_enter",
    ),
    path("clinic/measures/<int:pk>/", clinic.response_detail, name="clinic_response_detail"),
]
