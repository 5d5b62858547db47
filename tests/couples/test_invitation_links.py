"""An invitation's link after it has served: the sign-in starts with the person's email, and
only a link the app made for them can tell it (issue 20)."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.couples.test_first_run import NEW_PASSWORD, _invite


def test_the_sign_in_page_fills_in_the_email_a_link_carries(client, db):
    page = client.get(reverse("account_login"), {"email": "sam@example.test"})

    assert re.search(r'name="login"[^>]*value="sam@example.test"', page.text)


@pytest.mark.parametrize("value", ["not an email", '"><script>x</script>@x', "a@b" + "c" * 260])
def test_anything_but_an_email_in_the_link_fills_in_nothing(client, db, value):
    page = client.get(reverse("account_login"), {"email": value})

    assert page.status_code == 200
    assert not re.search(r'name="login"[^>]*value=', page.text)
    assert "<script>x" not in page.text


def test_a_failed_sign_in_keeps_the_email(client, partner_a):
    response = client.post(
        reverse("account_login"), {"login": partner_a.user.email, "password": "not it at all"}
    )

    assert response.status_code == 200
    assert re.search(rf'name="login"[^>]*value="{re.escape(partner_a.user.email)}"', response.text)


def test_the_reset_page_fills_in_the_email_a_link_carries(client, db):
    page = client.get(reverse("account_reset_password"), {"email": "sam@example.test"})

    assert re.search(r'name="email"[^>]*value="sam@example.test"', page.text)


def test_a_spent_invitation_link_leads_to_sign_in_with_the_email(client, partner_a):
    link = _invite(partner_a.user)
    client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    page = Client().get(link)

    assert page.status_code == 404
    assert "already chosen your password" in page.text
    login = f"{reverse('account_login')}?email={partner_a.user.email.replace('@', '%40')}"
    assert f'href="{login}"' in page.text
    assert Client().get(login).text.count(f'value="{partner_a.user.email}"') == 1


def test_an_expired_invitation_link_also_fills_in_the_email(client, partner_a, settings):
    link = _invite(partner_a.user)
    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)

    with time_machine.travel(later, tick=False):
        page = client.get(link)

    assert page.status_code == 404
    assert "expire after a few days" in page.text
    assert f"?email={partner_a.user.email.replace('@', '%40')}" in page.text


def test_a_made_up_link_learns_nobodys_email(client, partner_a):
    link = _invite(partner_a.user)
    forged = re.sub(r"check=\w+", "check=0123456789abcdef0123", link)
    forged = re.sub(r"/[\w-]+/\?", "/1a2b3c-0123456789abcdef/?", forged)

    for url in [forged, forged.split("?")[0]]:
        page = client.get(url)
        assert page.status_code == 404
        assert partner_a.user.email not in page.text
        assert "?email=" not in page.text
