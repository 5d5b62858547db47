"""A shared goal from one partner's proposal to both agreed, on phones, counting taps.

Issue 20's target: proposed → the other partner notified → both agreed in at most 8 taps in
all, the tap on the notification included. Typing is not a tap; choosing a radio button, a
link or a button is. Signing in is not part of the journey: each partner is already signed
in on their own phone.
"""

import re

from django.utils import timezone
from playwright.sync_api import expect

from couples import notifications
from couples import services as couple_services
from couples.models import CareRole, Notification
from goals.models import Goal
from tests.factories import ClinicianFactory, PartnerFactory

PHONE = {"width": 390, "height": 844}
GOAL = "A walk together after dinner"
MOST_TAPS = 8


class Taps:
    """Counts each tap of the journey and says which ones they were."""

    def __init__(self):
        self.taps: list[str] = []

    def tap(self, locator, what: str) -> None:
        locator.click()
        self.taps.append(what)


def _send_queued(now) -> list[Notification]:
    """What the minute tick does: send every queued row that is due."""
    queued = list(Notification.objects.filter(status=Notification.Status.QUEUED))
    for row in queued:
        notifications.notification_send(notification_id=row.pk, now=now)
    return queued


def test_a_shared_goal_goes_from_proposed_to_agreed_in_at_most_8_taps(
    page, site, login_as, axe_check
):
    jordan = PartnerFactory(user__first_name="Jordan", preferred_name="")
    alex = PartnerFactory(couple=jordan.couple, user__first_name="Alex", preferred_name="")
    maya = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    counter = Taps()
    page.set_viewport_size(PHONE)

    # Jordan proposes it: Goals, New goal, how it is measured, Save.
    login_as(jordan.user)
    tabs = page.get_by_role("navigation", name="Sections")
    counter.tap(tabs.get_by_role("link", name="Goals"), "Goals tab")
    counter.tap(page.get_by_role("link", name="New goal"), "New goal")
    expect(
        page.get_by_role("radio", name=re.compile("^Ours"))
    ).to_be_checked()  # shared is the default
    page.get_by_label("Title").fill(GOAL)
    counter.tap(page.get_by_role("radio", name="One-off milestone"), "how it is measured")
    axe_check()
    counter.tap(page.get_by_role("button", name="Save goal"), "Save goal")
    expect(page.get_by_text(f"You proposed “{GOAL}”")).to_be_visible()
    goal = Goal.objects.get(title=GOAL)
    assert goal.status == Goal.Status.PROPOSED

    # The outbox tells Alex, in the app and by email (the email names no goal).
    sent = _send_queued(timezone.now())
    assert [(row.kind, row.recipient_id) for row in sent] == [("goal_proposed", alex.user_id)]

    # Alex, on their phone (here the same browser, once Jordan's cookies are gone): the
    # notification, then Accept.
    page.context.clear_cookies()
    login_as(alex.user)
    alex_page = page
    counter.tap(alex_page.get_by_role("link", name="1 unread notification"), "notifications")
    counter.tap(
        alex_page.get_by_role("button", name=re.compile(f"^Unread: Jordan proposed “{GOAL}”")),
        "the notification",
    )
    expect(alex_page).to_have_url(re.compile(rf"/portal/goals/{goal.pk}/#agreement-heading$"))
    axe_check()
    counter.tap(alex_page.get_by_role("button", name="Accept this goal"), "Accept")
    expect(alex_page.get_by_text(re.compile("active", re.I)).first).to_be_visible()

    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert len(counter.taps) <= MOST_TAPS, counter.taps
    assert len(counter.taps) == 7, counter.taps  # a change to the flow shows here
    # Both and the couples therapist hear that it is agreed.
    told = {row.recipient_id for row in Notification.objects.filter(kind="goal_agreed")}
    assert told == {jordan.user_id, alex.user_id, maya.user_id}
