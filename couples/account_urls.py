from django.urls import path

from couples import views

urlpatterns = [
    path(
        "invitation/<str:uidb36>/<str:token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
]
