import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from insurance.models import Coverage, Payer
from insurance.permissions import insurance_staff_group
from tests.factories import PASSWORD, PartnerFactory, UserFactory

PHONE = {"width": 390, "height": 844}


def test_staff_verify_a_pending_coverage_and_the_partner_sees_it_verified(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", user__last_name="Miller")
    payer = Payer.objects.create(name="Blue Cross PPO")
    Coverage.objects.create(
        partner=jordan,
        payer=payer,
        member_id="XJ550011",
        subscriber_name="Jordan Miller",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
        status=Coverage.Status.PENDING,
    )
    Coverage.objects.create(
        partner=PartnerFactory(),
        payer=payer,
        member_id="ZZ000001",
        subscriber_name="Someone Else",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
    )
    verifier = UserFactory(is_staff=True, first_name="Pat")
    verifier.groups.add(insurance_staff_group())
    secret = activate_totp(verifier)

    # Insurance staff filter the pending coverages and verify Jordan's.
    login_as(verifier, totp_secret=secret)
    page.goto(site + "/admin/insurance/coverage/")
    page.locator("#changelist-filter a", has_text="Verification pending").click()
    expect(page.get_by_text("XJ550011")).to_have_count(0)  # the member id is not a column
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jordan Miller")
    axe_check()
    rows.first.locator("th a").click()
    page.get_by_role("link", name="Mark verified").click()
    page.get_by_label("How it was verified").select_option("phone")
    page.get_by_label("Payer's reference number").fill("CALL-7781")
    page.get_by_role("button", name="Mark verified").click()
    expect(page.get_by_text(re.compile("is verified"))).to_be_visible()

    # Jordan sees it on the portal, on a phone.
    page.context.clear_cookies()
    page.set_viewport_size(PHONE)
    page.goto(site + "/accounts/login/")
    page.locator("[name=login]").fill(jordan.user.email)
    page.locator("[name=password]").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.goto(site + "/portal/coverage/")
    expect(page.get_by_text(re.compile(r"Verified with Blue Cross PPO on"))).to_be_visible()
    axe_check()
