import pytest
from django.urls import reverse

from audit.models import AuditEvent
from couples import services
from couples.models import User
from tests.factories import UserFactory


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")


@pytest.mark.parametrize(
    ("person", "home"),
    [
        ("partner_a", "/portal/"),
        ("clinician", "/clinic/"),
        ("staff", "/admin/"),
        ("plain_user", "/welcome/"),
    ],
)
def test_each_role_is_sent_to_its_home(client, request, person, home):
    someone = request.getfixturevalue(person)
    client.force_login(getattr(someone, "user", someone))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == home


def test_portal_shows_the_partner_their_program(client, partner_a, partner_b):
    client.force_login(partner_a.user)

    response = client.get("/portal/")

    assert response.status_code == 200
    assert f"Hello, {partner_a.display_name}" in response.text
    assert partner_b.display_name in response.text


def test_portal_home_uses_a_fixed_number_of_queries(
    client, partner_a, partner_b, django_assert_num_queries
):
    client.force_login(partner_a.user)
    client.get("/portal/")  # the first request stamps the session

    # session, user with roles, partner with user and couple, the couple's partners with
    # users; the goals part (tests/goals/test_views_portal.py pins it with goals and entries):
    # my partner's consent, the goals, today's check-in read with the days of reported use;
    # the sessions part (tests/sessions/test_views_portal.py pins it with sessions): my next
    # session, my minutes this week; the measures part: my measure schedules (what is due
    # reads no more when nothing is scheduled); the plans part: my plans waiting for my
    # acknowledgement (tests/plans/test_portal.py). The care team, sharing and coverage are
    # on the More page (tests/pages/test_portal_more.py); the top bar's unread count comes
    # with the user.
    with django_assert_num_queries(11):
        assert client.get("/portal/").status_code == 200


def test_a_clinician_cannot_open_the_portal(client, clinician):
    client.force_login(clinician.user)

    assert client.get("/portal/").status_code == 403


def test_a_partner_cannot_open_clinic_pages(client, partner_a):
    client.force_login(partner_a.user)

    assert client.get("/clinic/").status_code == 403


def test_a_partner_cannot_open_the_admin(client, partner_a):
    client.force_login(partner_a.user)

    response = client.get("/admin/", follow=True)

    assert response.status_code == 403


def test_anonymous_admin_visitors_sign_in_through_allauth(client, db):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    response = client.get(response["Location"])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_signed_in_pages_are_never_cached(client, partner_a):
    client.force_login(partner_a.user)

    response = client.get("/portal/")

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_pages_carry_a_strict_content_security_policy(client, db):
    policy = client.get(reverse("account_login"))["Content-Security-Policy"]

    assert "script-src 'self'" in policy
    assert "object-src 'none'" in policy
    assert "base-uri 'none'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


def test_nobody_can_sign_up(client, db):
    password = "a very long unusual passphrase"
    data = {"email": "walk-in@example.test", "password1": password, "password2": password}

    response = client.post(reverse("account_signup"), data)

    assert "invitation" in response.text
    assert not User.objects.exists()


def test_not_found_pages_show_nothing_internal(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Traceback" not in response.text
    assert "Page not found" in response.text


def test_healthz_reports_database_and_broker(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "outbox": "ok",
        "oldest_due_seconds": None,
    }


def test_healthz_answers_503_when_the_broker_is_down(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"] == "unavailable"


def test_invitation_link_sets_a_password_once(client, staff):
    user = services.user_invite(
        email="n@example.test", first_name="N", last_name="O", invited_by=staff
    )
    url = services.invitation_url(user=user).removeprefix("http://localhost:8000")

    assert client.get(url).status_code == 200
    response = client.post(
        url, {"new_password1": "river stone lantern", "new_password2": "river stone lantern"}
    )

    # Following the link and choosing a password signs the person in, on to their home.
    assert response.status_code == 302
    assert response["Location"] == reverse("couples:no_role")
    assert client.session["_auth_user_id"] == str(user.pk)
    user.refresh_from_db()
    assert user.check_password("river stone lantern")
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_ACCEPTED).exists()


def test_invitation_refuses_a_short_or_common_password_and_keeps_the_link(client, staff):
    user = services.user_invite(
        email="m@example.test", first_name="M", last_name="O", invited_by=staff
    )
    url = services.invitation_url(user=user).removeprefix("http://localhost:8000")

    for weak in ["short", "password1234"]:
        response = client.post(url, {"new_password1": weak, "new_password2": weak})
        assert response.status_code == 200
        assert "is-invalid" in response.text

    user.refresh_from_db()
    assert not user.has_usable_password()
    assert client.get(url).status_code == 200


def test_a_forged_invitation_link_is_refused(client, db):
    user = UserFactory()

    response = client.get(reverse("invitation_accept", kwargs={"uidb36": "zz", "token": "abc-def"}))
    assert response.status_code == 404
    response = client.get(
        reverse(
            "invitation_accept", kwargs={"uidb36": "1" if user.pk != 1 else "2", "token": "x-y"}
        )
    )
    assert response.status_code == 404


def test_people_cannot_change_their_login_email_themselves(client, partner_a):
    client.force_login(partner_a.user)

    response = client.post("/accounts/email/", {"action_add": "", "email": "other@example.test"})

    assert response.status_code == 404
    assert partner_a.user.emailaddress_set.count() == 1
