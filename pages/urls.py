from django.urls import path

from pages import couple, portal, views

app_name = "pages"

urlpatterns = [
    path("portal/", portal.portal_home, name="portal_home"),
    path("portal/more/", portal.portal_more, name="portal_more"),
    path("clinic/", views.clinic_home, name="clinic_home"),
    path("clinic/couples/<int:pk>/", couple.couple_detail, name="couple_detail"),
    path("clinic/couples/<int:pk>/goals/", couple.couple_goals, name="couple_goals"),
    path("clinic/couples/<int:pk>/checkins/", couple.couple_checkins, name="couple_checkins"),
    path("clinic/couples/<int:pk>/sessions/", couple.couple_sessions, name="couple_sessions"),
    path("clinic/couples/<int:pk>/measures/", couple.couple_measures, name="couple_measures"),
    path("clinic/couples/<int:pk>/plan/", couple.couple_plan, name="couple_plan"),
    path("clinic/couples/<int:pk>/notes/", couple.couple_notes, name="couple_notes"),
    path("clinic/couples/<int:pk>/insurance/", couple.couple_insurance, name="couple_insurance"),
]
