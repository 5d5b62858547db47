import datetime
import time

from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from asgiref.sync import async_to_sync
from django.contrib.auth import BACKEND_SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from couples.backends import ClinicAuthenticationBackend
from couples.models import User
from couples.roles import Role, requires_mfa, roles_for_user
from couples.services.second_factor import has_authenticator
from tests.auth import mfa_record, sign_in_with_mfa
from tests.factories import PASSWORD, ClinicianFactory, NotificationFactory, PartnerFactory

BACKEND = "couples.backends.ClinicAuthenticationBackend"
ALLAUTH_BACKEND = "allauth.account.auth_backends.AuthenticationBackend"
WEEK = "/clinic/sessions/week/"


def test_the_user_comes_with_roles_and_authenticator_in_one_query(
    clinician, django_assert_num_queries
):
    TOTP.activate(clinician.user, generate_totp_secret())

    with django_assert_num_queries(1):
        user = ClinicAuthenticationBackend().get_user(clinician.user.pk)
        assert type(user) is User
        assert roles_for_user(user) == {Role.CLINICIAN}
        assert requires_mfa(user)
        assert has_authenticator(user)


def test_a_partner_comes_with_their_role_and_no_authenticator(partner_a):
    user = ClinicAuthenticationBackend().get_user(partner_a.user.pk)

    assert roles_for_user(user) == {Role.PARTNER}
    assert not has_authenticator(user)


def test_the_async_path_loads_the_same_user(partner_a):
    user = async_to_sync(ClinicAuthenticationBackend().aget_user)(partner_a.user.pk)

    assert user == partner_a.user
    assert roles_for_user(user) == {Role.PARTNER}


def test_an_inactive_or_unknown_user_is_not_signed_in(partner_a):
    partner_a.user.is_active = False
    partner_a.user.save()
    backend = ClinicAuthenticationBackend()

    assert backend.get_user(partner_a.user.pk) is None
    assert async_to_sync(backend.aget_user)(partner_a.user.pk) is None
    assert backend.get_user(partner_a.user.pk + 1000) is None


def test_users_loaded_elsewhere_still_get_their_roles(clinician, django_assert_num_queries):
    user = User.objects.get(pk=clinician.user.pk)

    with django_assert_num_queries(2):  # the roles, the authenticator
        assert requires_mfa(user)
        assert not has_authenticator(user)


def test_signing_in_with_password_and_totp_uses_the_clinic_backend(client, clinician):
    secret = generate_totp_secret()
    TOTP.activate(clinician.user, secret)
    client.post("/accounts/login/", {"login": clinician.user.email, "password": PASSWORD})
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response["Location"] == "/clinic/"
    assert client.session[BACKEND_SESSION_KEY] == BACKEND
    response = client.get("/clinic/")
    assert response.status_code == 200
    assert isinstance(response.wsgi_request.user, User)
    client.post("/accounts/logout/")
    assert client.get("/clinic/")["Location"].startswith("/accounts/login/")


def test_a_user_who_becomes_a_partner_sees_the_portal_on_the_next_request(
    client, plain_user, couple
):
    client.force_login(plain_user)
    assert client.get("/portal/").status_code == 403

    PartnerFactory(user=plain_user, couple=couple)

    assert client.get("/portal/").status_code == 200


def test_a_user_made_a_clinician_must_set_up_totp_on_the_next_request(client, plain_user):
    client.force_login(plain_user)
    assert client.get("/clinic/").status_code == 403

    ClinicianFactory(user=plain_user)
    response = client.get("/clinic/")

    # No authenticator and no invitation to set one up: refused until staff reset it.
    assert response.status_code == 403
    assert "Two-factor sign-in needed" in response.text
    plain_user.second_factor_setup_until = timezone.now() + datetime.timedelta(hours=1)
    plain_user.save()
    assert client.get("/clinic/")["Location"] == reverse("mfa_activate_totp")


def test_a_signed_in_clinic_page_takes_two_queries_fewer_than_with_allauths_backend(
    client, clinician, settings
):
    settings.AUTHENTICATION_BACKENDS = [BACKEND, ALLAUTH_BACKEND]
    TOTP.activate(clinician.user, generate_totp_secret())
    counts = {}
    for backend in (ALLAUTH_BACKEND, BACKEND):
        client.force_login(clinician.user, backend=backend)
        mfa_record(client, clinician.user)
        client.get(WEEK)  # the first request stamps the session
        with CaptureQueriesContext(connection) as captured:
            assert client.get(WEEK).status_code == 200
        counts[backend] = len(captured)

    # The roles and the unread count come with the user. (A session that gave its code asks
    # nothing about authenticators; one that did not reads it with the user too.)
    assert counts[BACKEND] == counts[ALLAUTH_BACKEND] - 2


def test_the_unread_badge_counts_with_the_user_and_follows_the_next_request(client, clinician):
    sign_in_with_mfa(client, clinician.user)
    unread = NotificationFactory(recipient=clinician.user)
    NotificationFactory(recipient=clinician.user, in_app=False)  # went by email only
    client.get(WEEK)

    with CaptureQueriesContext(connection) as captured:
        response = client.get(WEEK)
    assert response.context["notification_badge"].label == "1 unread notification"
    # Counted in the query that loads the user, not in one of its own.
    assert not any(q["sql"].startswith("SELECT COUNT(*)") for q in captured)

    unread.read_at = timezone.now()
    unread.save()
    assert client.get(WEEK).context["notification_badge"].label == "Notifications, none unread"


def test_permissions_from_the_user_and_their_groups_are_read_in_one_query(
    plain_user, django_assert_num_queries
):
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="Verifiers")
    group.permissions.add(Permission.objects.get(codename="view_coverage"))
    plain_user.groups.add(group)
    plain_user.user_permissions.add(Permission.objects.get(codename="change_payer"))
    loaded = ClinicAuthenticationBackend().get_user(plain_user.pk)

    with django_assert_num_queries(1):
        assert loaded.has_perm("insurance.view_coverage")
        assert loaded.has_perm("insurance.change_payer")
        assert not loaded.has_perm("insurance.change_coverage")
        assert loaded.has_module_perms("insurance")

    plain_user.is_active = False
    assert ClinicAuthenticationBackend().get_all_permissions(plain_user) == set()


def test_a_superuser_has_every_permission(plain_user):
    from django.contrib.auth.models import Permission

    plain_user.is_superuser = True
    permissions = ClinicAuthenticationBackend().get_all_permissions(plain_user)

    assert len(permissions) == Permission.objects.count()
