"""A milestone reached is a goal achieved (issue 20): an individual one when its partner marks
it, a shared one once both partners have (each logs their own view, as each agreed to it).
Audited, announced, and shown on the portal and the clinic pages."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from couples.models import Notification
from couples.notifications import notification_send
from goals import services
from goals.announcements import GOAL_ACHIEVED, GOAL_REACHED
from goals.models import Goal, GoalTransition, ProgressEntry
from tests.auth import sign_in_with_mfa
from tests.clock import Clock
from tests.factories import GoalFactory

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = datetime.date(2026, 3, 10)
SECRET_TITLE = "Ninety days without alcohol"


def at(day: datetime.date, hour: int) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return Clock(time_machine, at(TUESDAY, 12))


@pytest.fixture
def shared(couple):
    return GoalFactory(
        couple=couple,
        title=SECRET_TITLE,
        measure=Goal.Measure.MILESTONE,
        target=None,
        start_on=TUESDAY - datetime.timedelta(days=60),
    )


@pytest.fixture
def jordans(couple, partner_a):
    return GoalFactory(
        couple=couple,
        partner=partner_a,
        title=SECRET_TITLE,
        measure=Goal.Measure.MILESTONE,
        target=None,
        start_on=TUESDAY - datetime.timedelta(days=60),
    )


def mark(goal, partner, day=TUESDAY, value=1) -> ProgressEntry:
    return services.progress_log(goal=goal, partner=partner, day=day, value=value)


def recipients(kind) -> set[int]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient_id", flat=True))


def send_all(moment):
    for pk in Notification.objects.filter(status="queued").values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


# Individual goals


def test_marking_my_milestone_reached_achieves_it(jordans, partner_a):
    entry = mark(jordans, partner_a)

    jordans.refresh_from_db()
    assert jordans.status == Goal.Status.ACHIEVED
    assert entry.goal.status == Goal.Status.ACHIEVED  # the caller can say so at once
    step = GoalTransition.objects.filter(goal=jordans).latest("pk")
    assert (step.from_status, step.to_status, step.by_id, step.note) == (
        "active",
        "achieved",
        partner_a.user_id,
        "Marked reached",
    )


def test_the_achievement_is_audited_in_the_same_transaction(jordans, partner_a):
    mark(jordans, partner_a)

    event = AuditEvent.objects.filter(target_type="goals.Goal", target_id=str(jordans.pk)).latest(
        "seq"
    )
    assert (event.action, event.actor_id, event.patient_id) == (
        AuditEvent.Action.UPDATE,
        partner_a.user_id,
        partner_a.pk,
    )
    assert event.detail == {"status": "achieved"}


def test_an_achievement_that_cannot_be_audited_leaves_the_mark_unsaved(
    jordans, partner_a, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr("goals.services.lifecycle.audit_record", broken)

    with pytest.raises(RuntimeError):
        mark(jordans, partner_a)

    jordans.refresh_from_db()
    assert jordans.status == Goal.Status.ACTIVE
    assert not ProgressEntry.objects.exists()


def test_not_yet_leaves_the_goal_active(jordans, partner_a):
    mark(jordans, partner_a, value=0)

    jordans.refresh_from_db()
    assert jordans.status == Goal.Status.ACTIVE
    assert Notification.objects.count() == 0


def test_an_achieved_milestone_takes_no_more_marks(jordans, partner_a):
    mark(jordans, partner_a)

    with pytest.raises(ValidationError, match="active goals"):
        mark(jordans, partner_a, value=0)


def test_my_achievement_is_announced_to_my_clinicians_not_to_me_nor_my_partner(
    jordans, partner_a, partner_b, couples_therapist, jordans_counselor, alexs_therapist
):
    mark(jordans, partner_a)

    assert recipients(GOAL_ACHIEVED) == {couples_therapist.user_id, jordans_counselor.user_id}


# Shared goals


def test_a_shared_milestone_waits_for_both_partners_marks(shared, partner_a, partner_b):
    mark(shared, partner_a)
    shared.refresh_from_db()
    assert shared.status == Goal.Status.ACTIVE

    entry = mark(shared, partner_b)

    shared.refresh_from_db()
    assert shared.status == entry.goal.status == Goal.Status.ACHIEVED
    step = GoalTransition.objects.filter(goal=shared).latest("pk")
    assert (step.to_status, step.by_id, step.note) == (
        "achieved",
        partner_b.user_id,
        "Both partners marked it reached",
    )


def test_the_first_mark_asks_the_other_partner_to_mark_it_too(
    clock, shared, partner_a, partner_b, couples_therapist
):
    mark(shared, partner_a)

    assert recipients(GOAL_REACHED) == {partner_b.user_id}
    send_all(at(TUESDAY, 12))
    [email] = mail.outbox
    assert email.to == [partner_b.user.email]
    assert email.subject == "Your partner marked a shared goal reached"
    text = f"{email.subject} {email.body}".lower()
    assert "alcohol" not in text and "jordan" not in text  # no goal, no name by email
    row = Notification.objects.get(kind=GOAL_REACHED)
    assert row.subject == f"Jordan marked “{SECRET_TITLE}” reached: mark it too if you agree"
    assert row.link == f"/portal/goals/{shared.pk}/#progress-heading"


def test_marking_the_same_day_again_asks_only_once(shared, partner_a, partner_b):
    mark(shared, partner_a)
    mark(shared, partner_a, value=0)
    mark(shared, partner_a)

    assert Notification.objects.filter(kind=GOAL_REACHED).count() == 1


def test_the_request_is_withdrawn_once_the_other_has_marked_it(
    clock, shared, partner_a, partner_b, couples_therapist
):
    mark(shared, partner_a)
    mark(shared, partner_b)

    send_all(at(TUESDAY, 12))

    asked = Notification.objects.get(kind=GOAL_REACHED)
    assert (asked.status, asked.status_note) == (
        Notification.Status.WITHDRAWN,
        "The goal is no longer active",
    )


def test_the_request_is_withdrawn_if_the_first_mark_is_taken_back(
    clock, shared, partner_a, partner_b
):
    mark(shared, partner_a)
    mark(shared, partner_a, value=0)

    send_all(at(TUESDAY, 12))

    asked = Notification.objects.get(kind=GOAL_REACHED)
    assert (asked.status, asked.status_note) == (
        Notification.Status.WITHDRAWN,
        "No longer marked reached",
    )


def test_a_shared_achievement_is_announced_to_the_first_partner_and_the_couples_therapist(
    clock, shared, partner_a, partner_b, couples_therapist, alexs_therapist
):
    mark(shared, partner_a)
    mark(shared, partner_b)

    assert recipients(GOAL_ACHIEVED) == {partner_a.user_id, couples_therapist.user_id}
    send_all(at(TUESDAY, 12))
    subjects = {email.to[0]: email.subject for email in mail.outbox}
    assert subjects[partner_a.user.email] == "A goal is achieved"
    assert subjects[couples_therapist.user.email] == "A goal on your caseload is achieved"
    mayas = Notification.objects.get(kind=GOAL_ACHIEVED, recipient=couples_therapist.user)
    assert mayas.subject == f"Jordan and Alex: “{SECRET_TITLE}” is achieved"
    assert mayas.link == f"/clinic/goals/{shared.pk}/"


def test_a_mark_made_long_ago_still_counts(shared, partner_a, partner_b):
    """The first partner marked it two months ago (before the portal's 30 days): the second
    partner's mark today achieves it, and the pages still say when the first was made."""
    long_ago = TUESDAY - datetime.timedelta(days=50)
    ProgressEntry.objects.create(
        goal=shared, partner=partner_a, day=long_ago, measure="milestone", value=1,
        recorded_on=long_ago,
    )  # fmt: skip

    mark(shared, partner_b)

    shared.refresh_from_db()
    assert shared.status == Goal.Status.ACHIEVED


def test_the_clinician_marking_a_goal_achieved_tells_the_partners(
    couple, partner_a, partner_b, couples_therapist
):
    goal = GoalFactory(couple=couple, title=SECRET_TITLE)

    services.goal_transition(goal=goal, to_status=Goal.Status.ACHIEVED, by=couples_therapist.user)

    assert recipients(GOAL_ACHIEVED) == {partner_a.user_id, partner_b.user_id}


def test_an_achievement_taken_back_by_no_one_stays_announced_only_while_true(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = GoalFactory(couple=couple, title=SECRET_TITLE)
    services.goal_transition(goal=goal, to_status=Goal.Status.ACHIEVED, by=couples_therapist.user)
    Goal.objects.filter(pk=goal.pk).update(status=Goal.Status.ON_HOLD)  # as if changed since

    send_all(at(TUESDAY, 12))

    statuses = set(Notification.objects.values_list("status", "status_note"))
    assert statuses == {(Notification.Status.WITHDRAWN, "The goal is no longer achieved")}


# What the pages show


def test_the_portal_goal_page_says_where_a_shared_milestone_stands(
    client, shared, partner_a, partner_b
):
    mark(shared, partner_b)
    client.force_login(partner_a.user)

    page = client.get(f"/portal/goals/{shared.pk}/").text

    assert "Alex marked it reached. If you agree, mark it too: it is then achieved." in page
    assert "Reached on Mar 10." in page and "Not reached yet." in page

    client.force_login(partner_b.user)
    page = client.get(f"/portal/goals/{shared.pk}/").text
    assert "You marked it reached. It is achieved once Jordan marks it too." in page


def test_the_portal_goal_page_shows_an_achieved_goal(client, shared, partner_a, partner_b):
    mark(shared, partner_a)
    mark(shared, partner_b)
    client.force_login(partner_a.user)

    page = client.get(f"/portal/goals/{shared.pk}/").text

    assert '<span class="pill pill-achieved">Achieved</span>' in page
    assert "Achieved. Well done." in page
    assert "Active → Achieved (Both partners marked it reached)" in page
    assert f'action="/portal/goals/{shared.pk}/log/"' not in page


def test_the_clinic_goal_page_shows_the_achievement_and_who_marked_it(
    client, shared, partner_a, partner_b, couples_therapist
):
    mark(shared, partner_a)
    mark(shared, partner_b)
    sign_in_with_mfa(client, couples_therapist.user)

    page = client.get(f"/clinic/goals/{shared.pk}/").text

    assert '<span class="badge text-bg-success">Achieved</span>' in page
    assert "Both partners marked it reached" in page
    assert "This goal is achieved: its status no longer changes." in page
    assert page.count("Reached on Mar 10") == 2
