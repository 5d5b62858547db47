"""The account pages the app adds to allauth's, or puts in place of one of allauth's.

Included before allauth's URLs, so the same path and name lead here."""

from django.urls import path

from couples import views

urlpatterns = [
    path(
        "invitation/<str:uidb36>/<str:token>/",
        views.invitation_accept,
        name="invitation_accept",
    ),
    path("ready/", views.first_run_done, name="first_run_done"),
    # With the email a link carried already filled in (?email=).
    path("login/", views.LoginView.as_view(), name="account_login"),
    path("password/reset/", views.PasswordResetView.as_view(), name="account_reset_password"),
    # Whether two-factor sign-in may be turned off; the first run's way on after the codes;
    # each signed-in device named in plain words.
    path("2fa/", views.SecurityView.as_view(), name="mfa_index"),
    path("2fa/recovery-codes/", views.RecoveryCodesView.as_view(), name="mfa_view_recovery_codes"),
    path("sessions/", views.SignedInDevicesView.as_view(), name="usersessions_list"),
]
