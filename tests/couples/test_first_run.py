"""The first run (issue 20): from the invitation to a partner's welcome or a clinician's home,
the sign-in page that remembers the email, and every emailed link built from SITE_URL."""

import datetime
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from allauth.usersessions.models import UserSession
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse

from audit.models import AuditEvent
from couples import services
from couples.models import NotificationPreference
from couples.notifications.recipients import recipient_for
from couples.notifications.registry import Message
from couples.notifications.sending import notification_email
from couples.services.accounts import invitation_url, partner_welcome_end
from tests.auth import sign_in_with_mfa, totp_ensure
from tests.browser.helpers import totp_code
from tests.factories import PASSWORD, NotificationFactory, UserFactory

WELCOME = "/portal/welcome/"
SKIP = "/portal/welcome/skip/"
CHECKIN = "/portal/checkin/"
PORTAL = "/portal/"
NEW_PASSWORD = "a-long-passphrase-of-words-2026"
ODD_SITE = "http://localhost:8123"
WELCOME_FORM = {
    "email_enabled": "on",
    "in_app_enabled": "on",
    "checkin_prompts": "on",
    "checkin_prompt_time": "19:30",
    "quiet_hours_start": "22:00",
    "quiet_hours_end": "07:00",
    "preferred_name": "  Jo  ",
}


def _link_path(user) -> str:
    """The invitation's link as a path on the test server (whatever SITE_URL is)."""
    url = invitation_url(user=user)
    return url[url.index("/accounts/") :]


def _invite(user) -> str:
    user.set_unusable_password()
    user.save()
    services.invitation_send(user=user, invited_by=None)
    return _link_path(user)


def _accept(client, user):
    link = _invite(user)
    return client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


@pytest.fixture
def welcomed_client(client, partner_a):
    """Jordan, signed in by accepting his invitation: his welcome is open."""
    response = _accept(client, partner_a.user)
    assert response["Location"] == WELCOME
    return client


# The partner's welcome: the invitation (step 1), how we reach you (step 2), the check-in (3)


def test_a_partners_invitation_page_is_the_welcomes_first_step(client, partner_a):
    page = client.get(_invite(partner_a.user))

    assert page.status_code == 200
    assert "Step 1 of 3" in page.text
    assert "Welcome, Jordan" in page.text
    # It says what the portal is for, privacy included, and sets the password.
    for words in ["Check in each day", "Goals with your partner", "Your sessions", "private"]:
        assert words in page.text
    assert "Set password and continue" in page.text
    assert partner_a.user.email in page.text
    assert f'action="{SKIP}"' not in page.text  # nothing to skip before the password


def test_a_clinicians_invitation_page_is_the_password_alone(client, clinician):
    page = client.get(_invite(clinician.user))

    assert "Welcome, Maya" in page.text
    assert "Set password and sign in" in page.text
    assert "Step 1 of 3" not in page.text
    assert "Check in each day" not in page.text


def test_an_invited_partner_goes_from_the_password_to_step_two_signed_in(client, partner_a):
    response = _accept(client, partner_a.user)

    assert response.status_code == 302
    assert response["Location"] == WELCOME
    page = client.get(WELCOME)
    assert page.status_code == 200
    assert "Step 2 of 3" in page.text
    assert "How we reach you" in page.text
    assert "Your password is set and you are signed in." in page.text
    assert "never what it is for" in page.text  # emails stay discreet
    assert "Leave it empty to go by your first name, Jordan." in page.text
    assert 'maxlength="100"' in page.text
    assert f'action="{SKIP}"' in page.text
    assert page.text.count("Save and continue") == 1
    assert ">Back<" not in page.text  # the password is set: nothing to go back to


def test_step_two_saves_the_reminders_and_the_name_in_one_post(welcomed_client, partner_a):
    response = welcomed_client.post(WELCOME, {**WELCOME_FORM, "email_enabled": ""})

    assert response.status_code == 302
    assert response["Location"] == CHECKIN
    preference = NotificationPreference.objects.get(user=partner_a.user)
    assert (preference.email_enabled, preference.in_app_enabled) == (False, True)
    assert preference.checkin_prompt_time == datetime.time(19, 30)
    assert (preference.quiet_hours_start, preference.quiet_hours_end) == (
        datetime.time(22),
        datetime.time(7),
    )
    partner_a.refresh_from_db()
    assert partner_a.preferred_name == "Jo"
    assert partner_a.welcomed_at is not None
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, actor=partner_a.user, target_type__icontains="preference"
    ).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, patient=partner_a)
    assert event.detail == {"changed": ["preferred_name", "welcomed_at"], "welcome": "finished"}
    # Step 3 is the first check-in, introduced on its page.
    checkin = welcomed_client.get(CHECKIN)
    assert checkin.status_code == 200
    assert "Step 3 of 3: your first check-in. It takes about a minute." in checkin.text
    assert "Saved, Jo." in checkin.text


def test_step_two_with_the_reminders_as_they_come_and_no_name(welcomed_client, partner_a):
    form = welcomed_client.get(WELCOME).context["form"]
    untouched = {
        name: ("on" if value is True else value.strftime("%H:%M") if value else "")
        for name, value in form.initial.items()
        if value is not False
    }

    response = welcomed_client.post(WELCOME, untouched)

    assert response["Location"] == CHECKIN
    partner_a.refresh_from_db()
    assert (partner_a.preferred_name, partner_a.welcomed_at is not None) == ("", True)


def test_a_quiet_hours_start_without_an_end_changes_nothing_and_keeps_the_name(
    welcomed_client, partner_a
):
    response = welcomed_client.post(WELCOME, {**WELCOME_FORM, "quiet_hours_end": ""})

    assert response.status_code == 200
    assert "Give quiet hours a start and an end, or neither." in response.text
    _assert_kept(response, {**WELCOME_FORM, "quiet_hours_end": ""})  # both parts kept
    assert not NotificationPreference.objects.filter(user=partner_a.user).exists()
    partner_a.refresh_from_db()
    assert (partner_a.preferred_name, partner_a.welcomed_at) == ("", None)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, patient=partner_a)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email_enabled": "", "in_app_enabled": ""}, "Keep at least one way to reach you"),
        ({"checkin_prompt_time": "23:00"}, "is inside your quiet hours"),
        ({"quiet_hours_start": "07:00"}, "Quiet hours need an end that differs"),
        ({"checkin_prompt_time": "25:99"}, "Enter a valid time."),
        ({"preferred_name": "J" * 101}, "at most 100 characters"),
    ],
)
def test_step_two_keeps_bad_input_in_both_parts_says_why_and_saves_nothing(
    welcomed_client, partner_a, change, message
):
    response = welcomed_client.post(WELCOME, {**WELCOME_FORM, **change})

    assert response.status_code == 200
    assert message in response.text
    _assert_kept(response, {**WELCOME_FORM, **change})
    assert not NotificationPreference.objects.filter(user=partner_a.user).exists()
    partner_a.refresh_from_db()
    assert (partner_a.preferred_name, partner_a.welcomed_at) == ("", None)


def _assert_kept(response, typed: dict) -> None:
    for name in ["checkin_prompt_time", "quiet_hours_start", "quiet_hours_end", "preferred_name"]:
        if typed[name]:
            assert re.search(rf'name="{name}"[^>]*value="{typed[name]}"', response.text), name


def test_a_refused_name_undoes_the_saved_reminders(welcomed_client, partner_a, monkeypatch):
    # Should the service ever refuse a name the form took, the reminders are rolled back.
    def refuse(**kwargs):
        raise ValidationError({"preferred_name": "Not that name."})

    monkeypatch.setattr(services, "partner_welcome_end", refuse)

    response = welcomed_client.post(WELCOME, WELCOME_FORM)

    assert response.status_code == 200
    assert "Not that name." in response.text
    assert not NotificationPreference.objects.filter(user=partner_a.user).exists()
    assert not AuditEvent.objects.filter(target_type__icontains="preference").exists()


def test_the_service_refuses_a_long_name_too(partner_a):
    with pytest.raises(ValidationError) as refusal:
        partner_welcome_end(partner=partner_a, preferred_name="J" * 101)

    assert "preferred_name" in refusal.value.message_dict
    partner_a.refresh_from_db()
    assert partner_a.welcomed_at is None


def test_skipping_ends_the_welcome_and_changes_nothing_else(welcomed_client, partner_a):
    response = welcomed_client.post(SKIP)

    assert response["Location"] == PORTAL
    partner_a.refresh_from_db()
    assert partner_a.welcomed_at is not None
    assert partner_a.preferred_name == ""
    assert not NotificationPreference.objects.filter(user=partner_a.user).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, patient=partner_a)
    assert event.detail == {"changed": ["welcomed_at"], "welcome": "skipped"}
    assert welcomed_client.get(SKIP).status_code == 405


def test_the_welcome_is_shown_once(welcomed_client, partner_a):
    welcomed_client.post(SKIP)

    assert welcomed_client.get(WELCOME)["Location"] == PORTAL
    assert welcomed_client.post(WELCOME, WELCOME_FORM)["Location"] == PORTAL
    partner_a.refresh_from_db()
    assert partner_a.preferred_name == ""
    assert not NotificationPreference.objects.filter(user=partner_a.user).exists()
    # A second invitation (after a staff reset) is the password alone, and leads home.
    again = Client()
    page = again.get(_invite(partner_a.user))
    assert "Step 1 of 3" not in page.text
    assert "Set password and sign in" in page.text
    assert _accept(again, partner_a.user)["Location"] == PORTAL
    assert again.get(WELCOME)["Location"] == PORTAL


@pytest.mark.parametrize("url", ["/portal/welcome/reminders/", "/portal/welcome/name/"])
def test_the_old_welcome_pages_are_gone(welcomed_client, url):
    assert welcomed_client.get(url).status_code == 404


def test_the_welcome_is_only_for_partners(client, clinician, staff):
    assert client.get(WELCOME)["Location"].startswith(reverse("account_login"))
    assert client.post(SKIP)["Location"].startswith(reverse("account_login"))
    for person, home in [(clinician.user, "/clinic/"), (staff, "/admin/")]:
        client.force_login(person)
        assert client.get(WELCOME)["Location"] == home
        assert client.post(WELCOME, WELCOME_FORM)["Location"] == home
        assert client.post(SKIP)["Location"] == home


# A clinician's first run: password, authenticator, recovery codes, home


# allauth records the new authenticator as this session's second factor once its transaction
# commits, before the answer: a real commit, as in production.
@pytest.mark.django_db(transaction=True)
def test_a_clinicians_first_run_ends_on_the_caseload_with_one_message(client, clinician):
    response = _accept(client, clinician.user)
    assert response["Location"] == reverse("mfa_activate_totp")
    page = client.get(response["Location"])
    assert "Set up two-factor sign-in" in page.text
    secret = client.session[SECRET_SESSION_KEY]

    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)[0]})

    assert response["Location"] == reverse("mfa_view_recovery_codes")
    codes = client.get(response["Location"])
    assert "Two-factor sign-in is on." in codes.text
    assert "recovery codes: save them now" not in codes.text  # one message is enough
    assert "I have saved my codes: continue" in codes.text
    response = client.post(reverse("first_run_done"))
    assert response["Location"] == "/clinic/"
    home = client.get("/clinic/")
    assert home.status_code == 200
    assert "You&#x27;re all set, Maya." in home.text
    # Seen again later from the Security page, the codes page leads back there instead.
    assert "I have saved my codes" not in client.get(reverse("mfa_view_recovery_codes")).text
    assert (
        "You&#x27;re all set"
        not in client.get(client.post(reverse("first_run_done"))["Location"]).text
    )


# Every link in every email starts with SITE_URL


LINK = re.compile(r"https?://[^\s\"'<>]+")


def _links(message) -> list[str]:
    bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    return [link for body in bodies for link in LINK.findall(body)]


@override_settings(SITE_URL=ODD_SITE)
def test_every_link_in_every_email_starts_with_site_url(client, partner_a):
    # An invitation, a password reset, a reset asked for an unknown address, a confirmation
    # of an unverified address, and a message from the outbox: each, through the app.
    services.invitation_email_send(user=_unusable(UserFactory()))
    client.post(reverse("account_reset_password"), {"email": partner_a.user.email})
    client.post(reverse("account_reset_password"), {"email": "nobody@example.test"})
    unverified = UserFactory(verified_email=False)
    EmailAddress.objects.create(user=unverified, email=unverified.email, verified=False)
    client.post(reverse("account_login"), {"login": unverified.email, "password": PASSWORD})
    message = Message(subject="A session soon", lines=["A session at 6 PM."], link="/portal/")
    message.more_links.append(("Check in", "/portal/checkin/"))
    row = NotificationFactory(recipient=partner_a.user)
    mail.outbox.append(
        notification_email(
            notification=row, recipient=recipient_for(partner_a.user), message=message
        )
    )

    assert len(mail.outbox) == 5
    for sent in mail.outbox:
        links = _links(sent)
        assert links, f"no link in {sent.subject!r}"
        for link in links:
            assert link == ODD_SITE or link.startswith(ODD_SITE + "/"), f"{sent.subject!r}: {link}"
        assert "testserver" not in sent.body
        assert "Hello from" not in sent.body  # allauth's greeting named the request's host


def _unusable(user):
    user.set_unusable_password()
    user.save()
    return user


# allauth's pages speak as the app does: sentence case, plain words

TITLE_CASE = re.compile(r"\b[A-Za-z][\w-]* (?:[A-Z][a-z]+)")
ALLAUTH_WORDS = [
    "Sign In",
    "Sign Out",
    "Two-Factor",
    "Authenticator App",
    "Recovery Codes",
    "Change Password",
    "Password Reset",
    "Confirm Access",
    "Sessions",
    "Bad Token",
]


def _words(html: str) -> str:
    main = re.search(r"<main.*</main>", html, re.S).group(0)
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _assert_plain(response, url: str) -> None:
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    heading = " ".join(re.search(r"<h1[^>]*>(.*?)</h1>", response.text, re.S).group(1).split())
    assert not TITLE_CASE.search(heading.replace(" I ", " i ")), f"{url}: {heading!r}"
    words = _words(response.text)
    for allauth_word in ALLAUTH_WORDS:
        assert allauth_word not in words, f"{url} says {allauth_word!r}"


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/password/reset/done/",
        "/accounts/password/reset/key/done/",
        "/accounts/signup/",
        "/accounts/inactive/",
        "/accounts/confirm-email/",
        "/accounts/confirm-email/no-such-key/",
    ],
)
def test_the_pages_before_signing_in_speak_plainly(client, db, url):
    _assert_plain(client.get(url, follow=True), url)


def test_a_spent_password_link_speaks_plainly(client, partner_a):
    response = client.get("/accounts/password/reset/key/1-set-password/", follow=True)

    _assert_plain(response, "reset key")
    assert "This link no longer works" in response.text


def test_a_partners_account_pages_speak_plainly(client, partner_a):
    client.post(reverse("account_login"), {"login": partner_a.user.email, "password": PASSWORD})
    _assert_plain(client.get("/accounts/reauthenticate/"), "reauthenticate")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    for url in [
        "/accounts/logout/",
        "/accounts/password/change/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate/",
        "/accounts/sessions/",
    ]:
        _assert_plain(client.get(url), url)


@pytest.mark.django_db(transaction=True)
def test_a_clinicians_two_factor_pages_speak_plainly(client, clinician):
    totp_ensure(clinician.user)
    response = client.post(
        reverse("account_login"), {"login": clinician.user.email, "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    _assert_plain(client.get("/accounts/2fa/authenticate/"), "code step")
    client.logout()
    sign_in_with_mfa(client, clinician.user)
    RecoveryCodes.activate(clinician.user)
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    for url in [
        "/accounts/2fa/",
        "/accounts/2fa/totp/deactivate/",
        "/accounts/2fa/recovery-codes/",
        "/accounts/2fa/recovery-codes/generate/",
        "/accounts/2fa/reauthenticate/",
    ]:
        _assert_plain(client.get(url), url)
    # A clinician may not go without an authenticator: the pages say why, and offer no way.
    for url in ["/accounts/2fa/", "/accounts/2fa/totp/deactivate/"]:
        html = client.get(url).text
        assert "stays on. For a new phone, ask clinic staff" in _words(html)
        assert not re.search(r">\s*Turn off\s*<", html), url


def test_the_invitations_sign_in_is_listed_among_the_signed_in_devices(client, partner_a):
    # It is also the session a deactivation or a two-factor reset ends (UserSession).
    _accept(client, partner_a.user)

    session = UserSession.objects.get(user=partner_a.user)
    assert session.session_key == client.session.session_key
    assert "This device" in client.get(reverse("usersessions_list")).text
