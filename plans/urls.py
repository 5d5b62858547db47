from django.urls import path

from plans import views, views_items, views_portal

app_name = "plans"

PLAN_STEPS = [
    ("", views.plan_page, ""),
    ("start/", views.plan_start, "_start"),
    ("sign/", views.plan_sign, "_sign"),
    ("review/", views.plan_review, "_review"),
    ("add/<slug:kind>/", views.plan_add, "_add"),
    ("edit/<slug:kind>/<int:item_pk>/", views_items.plan_item_edit, "_edit"),
    ("remove/<slug:kind>/<int:item_pk>/", views_items.plan_item_remove, "_remove"),
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
    # The partner's own plans, in plain language (plans/views_portal.py).
    path("portal/plans/", views_portal.plan_list, name="portal_list"),
    path("portal/plans/<int:plan_pk>/", views_portal.plan_detail, name="portal_detail"),
    path(
        "portal/plans/<int:plan_pk>/acknowledge/",
        views_portal.plan_acknowledge,
        name="portal_acknowledge",
    ),
]
