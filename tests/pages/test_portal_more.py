"""The partner's More page (everything that is not for today) and the navigation: a tab bar
for partners on phones (Today, Goals, Sessions, More), the same destinations and the check-in
in the top bar on wider screens, and the clinicians' top bar as it was.
"""

import pytest

from couples import services as couple_services
from couples.models import CareRole
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory

HOME = "/portal/"
MORE = "/portal/more/"
GOALS = "/portal/goals/"
SHARING = "/portal/sharing/"


@pytest.fixture
def jordan(client, partner_a, partner_b):
    client.force_login(partner_a.user)
    return client


def tab_bar(response):
    return response.text.split('<nav class="tab-bar')[1].split("</nav>")[0]


def test_more_lists_the_program_team_sharing_coverage_records_and_security(
    jordan, couple, partner_a, couples_therapist
):
    response = jordan.get(MORE)

    assert response.status_code == 200
    text = response.text
    for heading in (
        "Our program",
        "My care team",
        "Sharing with my partner",
        "My coverage",
        "My records and settings",
        "Security",
    ):
        assert f">{heading}</h2>" in text, heading
    assert "Maya" in text and "Couples therapist" in text
    assert (
        "You are not sharing your individual goals, check-ins or questionnaire scores with Alex"
        in text
    )
    assert "Coverage: None on file" in text
    for url in (
        "/portal/measures/",
        "/calendar/",
        "/portal/record-access/",
        "/notifications/preferences/",
        SHARING,
        "/portal/coverage/",
        "/accounts/2fa/",
        "/accounts/password/change/",
        "/accounts/sessions/",
    ):
        assert f'href="{url}"' in text, url
    assert 'action="/accounts/logout/"' in text and ">Sign out</button>" in text
    assert text.count("<h1") == 1 and "style=" not in text and "<script>" not in text


def test_more_shows_my_own_clinicians_not_my_partners(jordan, couple, partner_b):
    theirs = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Priya",
    )
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=theirs,
        partner=partner_b,
        by=None,
    )

    assert "Priya" not in jordan.get(MORE).text


def test_more_reads_a_fixed_number_of_queries(
    jordan, couples_therapist, django_assert_max_num_queries
):
    jordan.get(MORE)  # the first request stamps the session

    # session, user with roles, partner with couple and user, the couple's partners, my
    # latest consent, my current coverage, my care team
    with django_assert_max_num_queries(7):
        assert jordan.get(MORE).status_code == 200


def test_another_couples_partner_sees_only_their_own(client, partner_a, couples_therapist):
    client.force_login(PartnerFactory(user__first_name="Riley").user)

    response = client.get(MORE)

    assert response.status_code == 200
    assert "Jordan" not in response.text and "Maya" not in response.text


def test_clinicians_cannot_open_the_portals_more_page(client, couples_therapist):
    sign_in_with_mfa(client, couples_therapist.user)

    assert client.get(MORE).status_code == 403


# Navigation


def test_partners_get_a_tab_bar_with_the_current_tab_marked(jordan):
    tabs = tab_bar(jordan.get(GOALS))

    assert [label for label in ("Today", "Goals", "Sessions", "More") if label in tabs] == [
        "Today",
        "Goals",
        "Sessions",
        "More",
    ]
    assert f'href="{GOALS}" aria-current="page"' in tabs
    assert 'aria-current="page"' not in tabs.split(f'href="{GOALS}"')[0]
    assert tabs.count("<svg") == 4 and 'class="tab-label"' in tabs


def test_pages_listed_on_more_keep_the_more_tab_current(jordan):
    tabs = tab_bar(jordan.get(SHARING))

    assert f'href="{MORE}" aria-current="true"' in tabs


def test_the_top_bar_for_partners_has_the_same_places_and_the_checkin(jordan):
    top = jordan.get(HOME).text.split('aria-label="Main"')[1].split("</nav>")[0]

    for url in (HOME, GOALS, "/portal/sessions/", "/portal/checkin/", MORE):
        assert f'href="{url}"' in top, url
    assert "Need help now" in top and 'href="/notifications/"' in top
    assert "navbar-toggler" not in top  # the tab bar replaces the menu button on a phone


def test_clinicians_keep_their_top_bar_and_get_no_tab_bar(client, couples_therapist):
    sign_in_with_mfa(client, couples_therapist.user)

    response = client.get("/clinic/")

    assert 'class="tab-bar' not in response.text
    assert "navbar-toggler" in response.text and ">Sign out</button>" in response.text
    assert 'href="/clinic/" aria-current="page"' in response.text
    assert 'href="/accounts/2fa/"' in response.text
    assert "has-tab-bar" not in response.text
