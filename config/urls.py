from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from couples import views as couples_views
from couples.admin.notifications import index_with_outbox_notice
from pages import views as pages_views

# The admin signs in through allauth, so staff get the same rate limits and MFA.
admin.site.login = secure_admin_login(admin.site.login)
# The admin index tells staff when messages are not getting through.
admin.site.index = index_with_outbox_notice(admin.site.index)
admin.site.site_header = "Couples Rehab administration"
admin.site.site_title = "Couples Rehab admin"

urlpatterns = [
    path("", couples_views.home, name="home"),
    path("healthz", pages_views.healthz, name="healthz"),
    path("accounts/", include("couples.account_urls")),
    # The login email is the patient's identity: only clinic staff change it, in the admin.
    path("accounts/email/", couples_views.page_not_found, name="account_email"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
    path("", include("couples.urls")),
    path("", include("goals.urls")),
    path("", include("sessions.urls")),
    path("", include("insurance.urls")),
    path("", include("triage.urls")),
    path("", include("measures.urls")),
    path("", include("plans.urls")),
    path("", include("notes.urls")),
    path("", include("records.urls")),
]
