from django.urls import path

from insurance import views

app_name = "insurance"

urlpatterns = [
    # Portal: my coverage
    path("portal/coverage/", views.my_coverage, name="my_coverage"),
]
