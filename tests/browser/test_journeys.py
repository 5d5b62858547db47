import re

from django.conf import settings
from playwright.sync_api import expect

from audit.models import AuditEvent
from couples import services
from tests.browser.helpers import LOGIN_PATH, TOTP_PATH, submit
from tests.factories import PASSWORD, ClinicianFactory, PartnerFactory, StaffUserFactory

WRONG_CREDENTIALS = "The email address and/or password you specified are not correct."
LOCKED = "Too many failed login attempts"


def test_login_page_has_no_accessibility_violations(page, site, axe_check):
    page.goto(site + LOGIN_PATH)

    expect(page.locator("[name=login]")).to_be_visible()
    axe_check()


def test_partner_logs_in_and_lands_on_the_portal(page, site, login_as, axe_check):
    partner = PartnerFactory(user__first_name="Jordan")

    login_as(partner.user)

    expect(page).to_have_url(site + "/portal/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Jordan")
    axe_check()


def test_clinician_enrolls_totp_then_signs_in_again_with_a_code(
    page, site, login_as, enter_totp_code, axe_check
):
    user = ClinicianFactory(user__first_name="Maya").user
    user.set_unusable_password()
    user.save()

    # The password alone never lets anyone set up a second factor: only the invitation does.
    services.invitation_send(user=user, invited_by=None)
    page.goto(services.invitation_url(user=user).replace(settings.SITE_URL, site))
    page.locator("[name=new_password1]").fill(PASSWORD)
    page.locator("[name=new_password2]").fill(PASSWORD)
    submit(page, "new_password1")
    # Choosing the password signs her in and leads straight to the authenticator set-up.
    expect(page).to_have_url(site + "/accounts/2fa/totp/activate/")
    secret = page.get_by_label("Authenticator secret").input_value()
    enrolled_with = enter_totp_code(secret)

    # allauth may show the new recovery codes first; the clinic is open either way.
    assert "/accounts/2fa/totp/activate/" not in page.url, "the code was refused"
    page.goto(site + "/clinic/")
    expect(page).to_have_url(site + "/clinic/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload")

    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()
    if "/accounts/logout/" in page.url:  # a confirmation page, when there is one
        with page.expect_navigation():
            page.get_by_role("button", name=re.compile("sign out", re.I)).click()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # A code from a later window, as the phone would show by then. (allauth does not mark
    # the enrolment code as used, so reusing it would not prove the code step works.)
    login_as(user, totp_secret=secret, not_counter=enrolled_with)

    expect(page).to_have_url(site + "/clinic/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Caseload")
    axe_check()


def test_a_password_alone_cannot_set_up_two_factor_for_a_clinician(page, site, login_as):
    user = ClinicianFactory(user__first_name="Maya").user

    login_as(user)
    page.goto(site + "/clinic/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in needed")
    page.goto(site + "/accounts/2fa/totp/activate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-factor sign-in needed")


def test_staff_reaches_admin_only_after_totp(
    page, site, login_as, enter_totp_code, activate_totp, axe_check
):
    staff = StaffUserFactory()
    secret = activate_totp(staff)

    # The password alone leads to the code step, and the admin stays shut meanwhile.
    login_as(staff)
    expect(page).to_have_url(site + TOTP_PATH)
    page.goto(site + "/admin/")
    expect(page).to_have_url(site + TOTP_PATH)
    expect(page.get_by_role("heading", name="Site administration")).to_have_count(0)

    enter_totp_code(secret)

    expect(page).to_have_url(site + "/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    axe_check()


def test_wrong_passwords_are_refused_then_rate_limited(page, site, sign_in):
    user = PartnerFactory().user
    page.goto(site + LOGIN_PATH)

    for attempt in range(5):
        sign_in(user.email, f"not the password, try {attempt}")

        expect(page).to_have_url(site + LOGIN_PATH)
        expect(page.get_by_text(WRONG_CREDENTIALS)).to_be_visible()

    sign_in(user.email, PASSWORD)

    expect(page).to_have_url(site + LOGIN_PATH)
    expect(page.get_by_text(LOCKED)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).count() == 5
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_LOCKED).count() == 1


def test_a_text_box_near_its_limit_says_how_much_is_left(page, site, login_as):
    partner = PartnerFactory(user__first_name="Jordan")
    login_as(partner.user)
    page.goto(site + "/portal/goals/new/")
    details = page.locator("textarea[name=description]")

    details.fill("x" * 100)
    expect(page.locator(".length-counter")).to_have_text("")
    details.fill("x" * 1_700)

    expect(page.locator(".length-counter")).to_have_text("300 characters left")
    assert details.get_attribute("maxlength") == "2000"


def test_a_partner_on_a_phone_moves_between_tabs_that_cover_nothing(
    page, site, login_as, axe_check
):
    partner = PartnerFactory(user__first_name="Jordan")
    page.set_viewport_size({"width": 390, "height": 844})
    login_as(partner.user)

    tabs = page.get_by_role("navigation", name="Sections")
    expect(tabs).to_be_visible()
    expect(tabs.get_by_role("link", name="Today")).to_have_attribute("aria-current", "page")
    for name in ("Today", "Goals", "Sessions", "More"):
        box = tabs.get_by_role("link", name=name).bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, name
    # The top bar keeps the brand, notifications and help on one row; no menu button.
    expect(page.get_by_role("link", name="Need help now")).to_be_in_viewport()
    expect(page.locator(".navbar-toggler")).to_have_count(0)

    tabs.get_by_role("link", name="More").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("More")
    expect(tabs.get_by_role("link", name="More")).to_have_attribute("aria-current", "page")
    axe_check()
    # Scrolled to the end, the page's last words sit above the tab bar, not under it.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    footer = page.locator("footer").bounding_box()
    bar = tabs.bounding_box()
    assert footer["y"] + footer["height"] <= bar["y"] + 1

    # From md up the same places are in the top bar and the tab bar is gone.
    page.set_viewport_size({"width": 1280, "height": 900})
    expect(tabs).to_be_hidden()
    top = page.get_by_role("navigation", name="Main")
    for name in ("Today", "Goals", "Sessions", "Check-in", "More"):
        expect(top.get_by_role("link", name=name, exact=True)).to_be_visible()
    top.get_by_role("link", name="Goals", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Goals")
    axe_check()
