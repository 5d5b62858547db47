from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("clinic/notes/<int:pk>/release/", views.note_release, name="note_release"),
    path(
        "clinic/plans/<int:plan_pk>/versions/<int:number>/release/",
        views.plan_release,
        name="plan_release",
    ),
]
