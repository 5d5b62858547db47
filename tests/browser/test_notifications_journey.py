import datetime
import re

from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from couples import notifications
from couples import services as couple_services
from couples.models import CareRole, Notification
from sessions import notifications as session_notifications
from sessions import services as session_services
from sessions.models import Attendance, SessionKind
from tests.factories import ClinicianFactory, PartnerFactory

PHONE = {"width": 390, "height": 844}


def test_partner_follows_an_in_app_reminder_confirms_and_the_clinician_sees_it(
    page, site, login_as, activate_totp, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    maya = ClinicianFactory(user__first_name="Maya", user__last_name="Chen")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    # More than a day ahead: a session booked inside the day gets its booking notice instead
    # of the 24-hour reminder (sessions/announcements.py).
    session = session_services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=jordan.couple,
        starts_at=timezone.now() + datetime.timedelta(hours=25),
        duration_minutes=60,
        by=maya.user,
    )
    # The 24-hour reminder, written and sent the way the minute tick does it.
    now = timezone.now()
    notifications.notifications_create(
        [
            notifications.Draft(
                kind=session_notifications.REMINDER_24H,
                recipient_id=jordan.user_id,
                object_ref=notifications.object_ref(session),
                slot=session.starts_at,
                due_at=now,
            )
        ]
    )
    # Scheduling queued the booking's own announcements too: this journey follows the reminder.
    reminder = Notification.objects.get(kind=session_notifications.REMINDER_24H)
    notifications.notification_send(notification_id=reminder.pk, now=now)
    reminder.refresh_from_db()
    assert (reminder.status, reminder.in_app, reminder.status_note) == (
        Notification.Status.SENT,
        True,
        "",
    )
    assert len(mail.outbox) == 1
    secret = activate_totp(maya.user)

    # Jordan, on a phone, sees one unread notification in the top bar and opens the list.
    page.set_viewport_size(PHONE)
    login_as(jordan.user)
    badge = page.get_by_role("link", name="1 unread notification")
    expect(badge).to_be_visible()
    badge.click()
    expect(page).to_have_url(site + "/notifications/")
    item = page.get_by_role("button", name=re.compile(r"^Unread: Session reminder"))
    expect(item).to_be_visible()
    axe_check()

    # Following the reminder lands on the answer page with "I will be there" chosen.
    item.click()
    expect(page).to_have_url(
        re.compile(rf"/portal/sessions/{session.pk}/respond/\?answer=confirmed$")
    )
    expect(page.get_by_label("Yes, I will be there")).to_be_checked()
    axe_check()
    page.get_by_role("button", name="Send my answer").click()
    expect(page).to_have_url(site + "/portal/sessions/")
    expect(page.get_by_text("your clinician can see you will be there")).to_be_visible()
    expect(page.get_by_text(re.compile(r"My answer:\s*Confirmed"))).to_be_visible()
    expect(page.get_by_role("link", name="Notifications, none unread")).to_be_visible()
    axe_check()
    assert Attendance.objects.get(session=session, partner=jordan).response == "confirmed"

    # Maya sees the answer on the session's page.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    login_as(maya.user, totp_secret=secret)
    page.goto(f"{site}/clinic/sessions/{session.pk}/")
    answers = page.get_by_role("region", name="Answers to reminders")
    expect(answers.get_by_role("listitem").filter(has_text="Jordan")).to_contain_text("Confirmed")
    expect(answers.get_by_role("listitem").filter(has_text="Alex")).to_contain_text("No answer")
    axe_check()
