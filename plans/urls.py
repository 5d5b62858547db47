from django.urls import path

from plans import views

app_name = "plans"

PLAN_STEPS = [
    ("", views.plan_page, ""),
    ("start/", views.plan_start, "_start"),
    ("sign/", views.plan_sign, "_sign"),
    ("review/", views.plan_review, "_review"),
    ("add/<slug:kind>/", views.plan_add, "_add"),
]
PLAN_SCOPES = [
    ("clinic/couples/<int:couple_pk>/plans/couple/", "couple_plan"),
    ("clinic/couples/<int:couple_pk>/plans/partner/<int:partner_pk>/", "partner_plan"),
]

urlpatterns = [
    path(
        "clinic/couples/<int:couple_pk>/partners/<int:partner_pk>/assessment/",
        views.assessment_page,
        name="assessment",
    ),
    path(
        "clinic/couples/<int:couple_pk>/partners/<int:partner_pk>/assessment/sign/",
        views.assessment_sign,
        name="assessment_sign",
    ),
    # The same pages and actions for a partner's plan and for the couple plan.
    *(
        path(prefix + suffix, view, name=name + name_suffix)
        for prefix, name in PLAN_SCOPES
        for suffix, view, name_suffix in PLAN_STEPS
    ),
]
