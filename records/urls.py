from django.urls import path

from records import views, views_export

app_name = "records"

urlpatterns = [
    path("clinic/notes/<int:pk>/release/", views.note_release, name="note_release"),
    path(
        "clinic/plans/<int:plan_pk>/versions/<int:number>/release/",
        views.plan_release,
        name="plan_release",
    ),
    # A partner's copy of their own record.
    path("portal/record/", views_export.export_page, name="export_page"),
    path("portal/record/prepare/", views_export.export_request, name="export_request"),
    path(
        "portal/record/<int:pk>/json/",
        views_export.export_download_json,
        name="export_json",
    ),
    path(
        "portal/record/<int:pk>/summary/",
        views_export.export_download_summary,
        name="export_summary",
    ),
]
