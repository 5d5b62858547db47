"""Signed-in devices are named in plain words ("Chrome on Android"), never by the raw
user-agent string, and never called "sessions" (issue 20)."""

import re

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from couples.devices import UNKNOWN, device_name
from tests.factories import PASSWORD

ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0"


@pytest.mark.parametrize(
    "user_agent, name",
    [
        (ANDROID_CHROME, "Chrome on Android"),
        (IPHONE_SAFARI, "Safari on iPhone"),
        (WINDOWS_FIREFOX, "Firefox on Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            "Safari on Mac",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
            "Firefox on iPad",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36",
            "Chrome on ChromeOS",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
            "Opera on Linux",
        ),
        ("Mozilla/5.0 (Windows NT 10.0) SomethingNew/1.0", "A browser on Windows"),
        ("curl/8.5.0", UNKNOWN),
        ("python-requests/2.32 Version/1.0", UNKNOWN),
        ("", UNKNOWN),
        (None, UNKNOWN),
    ],
)
def test_a_user_agent_is_named_in_plain_words(user_agent, name):
    assert device_name(user_agent) == name


def _signed_in(user, user_agent: str) -> Client:
    """A browser signed in through the sign-in form, as allauth records its session."""
    browser = Client(HTTP_USER_AGENT=user_agent)
    response = browser.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_the_devices_page_names_each_device_and_marks_this_one(partner_a):
    _signed_in(partner_a.user, ANDROID_CHROME)
    phone = _signed_in(partner_a.user, IPHONE_SAFARI)

    page = phone.get(reverse("usersessions_list"))

    assert page.status_code == 200
    assert _heading(page.text) == "Signed-in devices"
    assert "Safari on iPhone" in page.text
    assert "Chrome on Android" in page.text
    assert re.search(r"Safari on iPhone</strong>\s*<span[^>]*>This device<", page.text)
    assert page.text.count("This device") == 1
    assert "Mozilla/5.0" not in page.text
    # "Sessions" are therapy sessions (the menu's link to them stays): not on this page.
    assert "session" not in _main(page.text).lower()
    assert "Sign out on the other devices" in page.text


def test_signing_out_the_other_devices_says_so_in_plain_words(partner_a):
    laptop = _signed_in(partner_a.user, WINDOWS_FIREFOX)
    phone = _signed_in(partner_a.user, IPHONE_SAFARI)

    response = phone.post(reverse("usersessions_list"), follow=True)

    assert "You are signed out on your other devices." in response.text
    assert "Firefox on Windows" not in response.text
    assert laptop.get("/portal/")["Location"].startswith(reverse("account_login"))
    assert UserSession.objects.filter(user=partner_a.user).count() == 1


def _main(html: str) -> str:
    """The page's own words, without the menu and without markup."""
    return re.sub(r"<[^>]+>", " ", re.search(r"<main.*</main>", html, re.S).group(0))


def _heading(html: str) -> str:
    return " ".join(re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).split())
