from django.urls import path  # noqa: F401

app_name = "measures"

urlpatterns = [
    # Patient portal (partners)
    # Clinic pages (clinicians whose role covers the partner)
]
