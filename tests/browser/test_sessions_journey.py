import datetime
import re
from zoneinfo import ZoneInfo

from django.utils import timezone
from playwright.sync_api import expect

from couples import services as couple_services
from couples.models import CareRole
from sessions.models import TherapySession
from tests.factories import PASSWORD, ClinicianFactory, PartnerFactory

PHONE = {"width": 390, "height": 844}


def test_clinician_schedules_partner_joins_and_attendance_updates_iop_hours(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    maya = ClinicianFactory(user__first_name="Maya", user__last_name="Chen")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    secret = activate_totp(maya.user)
    # Started five minutes ago (couple's wall clock): Join is open and attendance can be marked.
    start = (timezone.now() - datetime.timedelta(minutes=5)).astimezone(
        ZoneInfo(jordan.couple.time_zone)
    )

    # The clinician schedules a couples session.
    login_as(maya.user, totp_secret=secret)
    page.goto(f"{site}/clinic/sessions/new/?couple={jordan.couple_id}")
    page.get_by_label("Kind").select_option("couples_therapy")
    page.get_by_label("Couple").select_option(str(jordan.couple_id))
    page.get_by_label("Date").fill(start.strftime("%Y-%m-%d"))
    page.get_by_label("Start time").fill(start.strftime("%H:%M"))
    page.get_by_label("Length in minutes").fill("60")
    axe_check()
    page.get_by_role("button", name="Schedule").click()
    session = TherapySession.objects.get()
    expect(page).to_have_url(re.compile(rf"/clinic/sessions/{session.pk}/$"))

    # The partner sees it on their phone, with Join enabled during the session.
    partner_page = page.context.browser.new_context(
        viewport=PHONE, base_url=site, reduced_motion="reduce"
    ).new_page()
    partner_page.goto(site + "/accounts/login/")
    partner_page.locator("[name=login]").fill(jordan.user.email)
    partner_page.locator("[name=password]").fill(PASSWORD)
    partner_page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    partner_page.goto(site + "/portal/sessions/")
    join = partner_page.get_by_role("link", name=re.compile("^Join"))
    expect(join).to_have_attribute("href", f"/sessions/{session.pk}/join/")
    axe_check(partner_page)
    partner_page.context.close()

    # The clinician marks attendance; the couple page's IOP hours count it.
    for name in ["Jordan", "Alex"]:
        page.get_by_role("group", name=name).get_by_label("Present").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Completed").first).to_be_visible()
    page.goto(f"{site}/clinic/couples/{jordan.couple_id}/")
    expect(page.get_by_text(re.compile(r"Jordan:\s*1(\.0)? of 9 hours this week"))).to_be_visible()
    axe_check()
