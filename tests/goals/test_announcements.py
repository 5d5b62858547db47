"""A goal's two-party steps announced through the outbox: who hears, what the email says, and
what stops a message that is no longer true."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from couples import services as couple_services
from couples.models import Couple, Notification, NotificationPreference
from couples.notifications import notification_send
from goals import announcements, services
from goals.announcements import GOAL_AGREED, GOAL_CHANGE_REQUESTED, GOAL_PROPOSED
from goals.models import CHANGE_ALREADY_ASKED, Goal, GoalChangeRequest
from tests.clock import Clock
from tests.factories import GoalFactory

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = datetime.date(2026, 3, 10)
WEDNESDAY = TUESDAY + datetime.timedelta(days=1)
# A title and a category that say something clinical: neither may leave the portal by email.
SECRET_TITLE = "No alcohol at the weekend"
SECRET_WORDS = ("alcohol", "weekend", "sobriety")
CHANGE_NOTE = "Only on Saturdays, please"


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Tuesday noon in New York, standing still where a test sets it."""
    return Clock(time_machine, at(TUESDAY, 12))


def propose(couple, by) -> Goal:
    return services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.SOBRIETY,
        title=SECRET_TITLE,
        measure=Goal.Measure.YES_NO,
        target=5,
        start_on=at(TUESDAY, 12).date(),
        by=by,
    )


def rows(kind, **filters):
    return Notification.objects.filter(kind=kind, **filters)


def recipients(kind) -> set[int]:
    return set(rows(kind).values_list("recipient_id", flat=True))


def send(clock, moment):
    """What the workers would do at `moment`: send every queued row."""
    clock.moment = moment
    queued = Notification.objects.filter(status=Notification.Status.QUEUED)
    for pk in queued.values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


def email_to(person):
    [email] = [email for email in mail.outbox if email.to == [person.user.email]]
    return email


def everything_in(email) -> str:
    html = "".join(content for content, _ in email.alternatives)
    return f"{email.subject}\n{email.body}\n{html}".lower()


def assert_discreet(email, *, names=()):
    text = everything_in(email)
    for secret in (*SECRET_WORDS, *(name.lower() for name in names)):
        assert secret not in text, f"{secret!r} in {email.subject!r}"


def prefer(partner, **fields):
    NotificationPreference.objects.update_or_create(user=partner.user, defaults=fields)


def portal_link(goal, anchor=""):
    return f"/portal/goals/{goal.pk}/{anchor}"


def clinic_link(goal):
    return f"/clinic/goals/{goal.pk}/"


# A shared goal proposed


def test_a_proposal_is_announced_to_the_other_partner_only(
    couple, partner_a, partner_b, couples_therapist, alexs_therapist
):
    goal = propose(couple, partner_a.user)

    [row] = Notification.objects.all()
    assert (row.kind, row.recipient_id, row.object_ref) == (
        GOAL_PROPOSED,
        partner_b.user_id,
        f"goals.goal:{goal.pk}",
    )
    assert row.slot == row.due_at == goal.created_at == at(TUESDAY, 12)


def test_the_proposal_email_names_neither_goal_nor_partner_and_opens_where_agree_is(
    client, clock, couple, partner_a, partner_b
):
    goal = propose(couple, partner_a.user)

    send(clock, at(TUESDAY, 12))

    email = email_to(partner_b)
    assert email.subject == "Your partner proposed a shared goal"
    assert "Hi Alex" in email.body
    assert f"{settings.SITE_URL}{portal_link(goal, '#agreement-heading')}" in email.body
    assert_discreet(email, names=["Jordan"])
    row = rows(GOAL_PROPOSED).get()
    assert row.status == Notification.Status.SENT and row.emailed and row.in_app
    # The in-app notice, behind the sign-in, says which goal and who proposed it.
    assert row.subject == f"Jordan proposed “{SECRET_TITLE}”: agree or ask for a change"
    client.force_login(partner_b.user)
    page = client.get(row.link)
    assert f'action="/portal/goals/{goal.pk}/accept/"' in page.text


def test_a_goal_the_care_team_proposes_is_announced_to_both_partners(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, couples_therapist.user)
    assert recipients(GOAL_PROPOSED) == {partner_a.user_id, partner_b.user_id}
    services.goal_accept(goal=goal, partner=partner_a)

    send(clock, at(TUESDAY, 12))

    assert email_to(partner_b).subject == "Your care team proposed a shared goal"
    jordans = rows(GOAL_PROPOSED, recipient=partner_a.user).get()
    assert (jordans.status, jordans.status_note) == (
        Notification.Status.WITHDRAWN,
        "Agreed already",
    )


def test_a_proposal_agreed_before_its_notice_goes_out_is_withdrawn(
    clock, couple, partner_a, partner_b
):
    prefer(partner_b, quiet_hours_start=datetime.time(21), quiet_hours_end=datetime.time(7))
    clock.moment = at(TUESDAY, 22)
    goal = propose(couple, partner_a.user)
    send(clock, at(TUESDAY, 22))
    clock.moment = at(WEDNESDAY, 6, 30)
    services.goal_accept(goal=goal, partner=partner_b)

    send(clock, at(WEDNESDAY, 7))

    proposal = rows(GOAL_PROPOSED).get()
    assert proposal.status == Notification.Status.WITHDRAWN
    assert proposal.status_note == "No longer waiting for agreement"
    assert [email.subject for email in mail.outbox] == ["You both agreed on a shared goal"] * 2


def test_a_withdrawn_proposal_is_not_announced(clock, couple, partner_a, partner_b):
    prefer(partner_b, quiet_hours_start=datetime.time(21), quiet_hours_end=datetime.time(7))
    clock.moment = at(TUESDAY, 22)
    goal = propose(couple, partner_a.user)
    services.goal_withdraw(goal=goal, by=partner_a.user)

    send(clock, at(WEDNESDAY, 7))

    row = rows(GOAL_PROPOSED).get()
    assert (row.status, row.status_note) == (
        Notification.Status.WITHDRAWN,
        "The proposal was withdrawn",
    )
    assert mail.outbox == []


# A shared goal agreed by both


def test_agreement_is_announced_to_both_partners_and_the_couples_therapist_only(
    couple, partner_a, partner_b, couples_therapist, alexs_therapist, jordans_counselor
):
    goal = propose(couple, partner_a.user)
    goal = services.goal_accept(goal=goal, partner=partner_b)

    assert goal.status == Goal.Status.ACTIVE
    assert recipients(GOAL_AGREED) == {
        partner_a.user_id,
        partner_b.user_id,
        couples_therapist.user_id,
    }
    assert goal.transitions.get(to_status=Goal.Status.ACTIVE).at == goal.updated_at
    assert set(rows(GOAL_AGREED).values_list("slot", "due_at")) == {
        (goal.updated_at, goal.updated_at)
    }


def test_agreement_emails_link_partners_to_the_portal_and_the_therapist_to_the_clinic(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    services.goal_accept(goal=goal, partner=partner_b)

    send(clock, at(TUESDAY, 12))

    for partner, other in ((partner_a, "Alex"), (partner_b, "Jordan")):
        email = email_to(partner)
        assert email.subject == "You both agreed on a shared goal"
        assert f"{settings.SITE_URL}{portal_link(goal)}\n" in email.body
        assert_discreet(email, names=[other])
    maya = email_to(couples_therapist)
    assert maya.subject == "A couple agreed on a shared goal"
    assert f"{settings.SITE_URL}{clinic_link(goal)}" in maya.body
    assert_discreet(maya, names=["Jordan", "Alex"])
    in_app = rows(GOAL_AGREED, recipient=couples_therapist.user).get()
    assert in_app.subject == f"Jordan and Alex agreed on “{SECRET_TITLE}”: it is active now"
    assert in_app.link == clinic_link(goal)
    assert rows(GOAL_AGREED, recipient=partner_a.user).get().subject == (
        f"You both agreed: “{SECRET_TITLE}” is active now"
    )


def test_someone_no_longer_on_the_care_team_is_not_told(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    services.goal_accept(goal=goal, partner=partner_b)
    [role] = couples_therapist.care_assignments.all()
    couple_services.care_assignment_end(assignment=role, by=None)

    send(clock, at(TUESDAY, 12))

    mayas = rows(GOAL_AGREED, recipient=couples_therapist.user).get()
    assert mayas.status == Notification.Status.WITHDRAWN
    assert mayas.status_note == "No longer with this couple or on its care team"
    assert len(mail.outbox) == 2  # the partners'


def test_a_discharged_couple_is_not_told(clock, couple, partner_a, partner_b):
    propose(couple, partner_a.user)
    Couple.objects.filter(pk=couple.pk).update(status=Couple.Status.DISCHARGED)

    send(clock, at(TUESDAY, 12))

    assert rows(GOAL_PROPOSED).get().status_note == "The couple was discharged"
    assert mail.outbox == []


# A change asked for


def test_a_change_to_a_shared_goal_is_announced_to_the_other_partner_and_couples_therapist(
    couple, partner_a, partner_b, couples_therapist, alexs_therapist
):
    goal = propose(couple, partner_a.user)

    change = services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)

    assert recipients(GOAL_CHANGE_REQUESTED) == {partner_a.user_id, couples_therapist.user_id}
    assert set(rows(GOAL_CHANGE_REQUESTED).values_list("object_ref", "slot", "due_at")) == {
        (f"goals.goalchangerequest:{change.pk}", change.created_at, change.created_at)
    }


def test_change_emails_say_nothing_of_the_goal_or_the_request(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)

    send(clock, at(TUESDAY, 12))

    jordan = email_to(partner_a)
    assert jordan.subject == "Your partner asked to change a shared goal"
    assert f"{settings.SITE_URL}{portal_link(goal, '#agreement-heading')}" in jordan.body
    maya = email_to(couples_therapist)
    assert maya.subject == "A partner asked to change a goal"
    assert f"{settings.SITE_URL}{clinic_link(goal)}" in maya.body
    for email in (jordan, maya):
        assert_discreet(email, names=["Alex", "Saturdays"])
    assert set(rows(GOAL_CHANGE_REQUESTED).values_list("subject", flat=True)) == {
        f"Alex asked to change “{SECRET_TITLE}”"
    }


def test_a_change_to_an_individual_goal_is_for_the_clinicians_covering_its_partner_only(
    clock, couple, partner_a, partner_b, couples_therapist, alexs_therapist, jordans_counselor
):
    """Partners ask for changes to shared goals; a request on an individual goal (the triage
    queue reads them too) would reach Alex's clinicians, never Jordan nor Jordan's."""
    goal = GoalFactory(couple=couple, partner=partner_b, title=SECRET_TITLE)
    change = GoalChangeRequest.objects.create(goal=goal, partner=partner_b, note=CHANGE_NOTE)

    announcements.goal_change_requested_announce(change=change)
    send(clock, at(TUESDAY, 12))

    assert recipients(GOAL_CHANGE_REQUESTED) == {
        couples_therapist.user_id,
        alexs_therapist.user_id,
    }
    assert set(rows(GOAL_CHANGE_REQUESTED).values_list("status", flat=True)) == {
        Notification.Status.SENT
    }
    assert f"{settings.SITE_URL}{clinic_link(goal)}" in email_to(alexs_therapist).body


def test_an_answered_change_request_is_not_announced(
    clock, couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)
    services.goal_update(goal=goal, by=couples_therapist.user, target=3)

    send(clock, at(TUESDAY, 12))

    assert set(rows(GOAL_CHANGE_REQUESTED).values_list("status", "status_note")) == {
        (Notification.Status.WITHDRAWN, "The request was answered")
    }


def test_a_second_identical_change_request_is_refused_and_stored_once(
    couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    first = services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)

    with pytest.raises(ValidationError) as refused:
        services.goal_request_change(goal=goal, partner=partner_b, note=f" {CHANGE_NOTE}\n")

    assert refused.value.messages == [CHANGE_ALREADY_ASKED]
    assert list(GoalChangeRequest.objects.all()) == [first]
    assert rows(GOAL_CHANGE_REQUESTED).count() == 2  # Jordan and Maya, once each


def test_other_words_or_an_answered_request_may_be_asked_again(
    couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)
    services.goal_request_change(goal=goal, partner=partner_b, note="Or four days a week")
    services.goal_update(goal=goal, by=couples_therapist.user, target=3)

    services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)

    assert GoalChangeRequest.objects.count() == 3
    assert goal.change_requests.filter(resolved_at__isnull=True).count() == 1


def test_the_database_refuses_the_same_open_request_twice(couple, partner_a):
    goal = GoalFactory(couple=couple, status=Goal.Status.PROPOSED)
    GoalChangeRequest.objects.create(goal=goal, partner=partner_a, note=CHANGE_NOTE)

    with pytest.raises(IntegrityError), transaction.atomic():
        GoalChangeRequest.objects.create(goal=goal, partner=partner_a, note=CHANGE_NOTE)


# What every announcement shares


def test_quiet_hours_hold_an_announcement_until_they_end(clock, couple, partner_a, partner_b):
    prefer(partner_b, quiet_hours_start=datetime.time(21), quiet_hours_end=datetime.time(7))
    clock.moment = at(TUESDAY, 22)
    propose(couple, partner_a.user)

    send(clock, at(TUESDAY, 22))

    held = rows(GOAL_PROPOSED).get()
    assert (held.status, held.status_note) == (Notification.Status.QUEUED, "Held for quiet hours")
    assert held.next_attempt_at == at(WEDNESDAY, 7)
    assert mail.outbox == []

    send(clock, at(WEDNESDAY, 7))

    assert rows(GOAL_PROPOSED).get().status == Notification.Status.SENT
    assert [email.subject for email in mail.outbox] == ["Your partner proposed a shared goal"]


def test_a_partner_who_turned_email_off_hears_in_the_app_only(clock, couple, partner_a, partner_b):
    prefer(partner_b, email_enabled=False)
    propose(couple, partner_a.user)

    send(clock, at(TUESDAY, 12))

    row = rows(GOAL_PROPOSED).get()
    assert (row.status, row.emailed, row.in_app) == (Notification.Status.SENT, False, True)
    assert mail.outbox == []


def test_a_step_announced_again_adds_no_second_message(
    couple, partner_a, partner_b, couples_therapist
):
    goal = propose(couple, partner_a.user)
    change = services.goal_request_change(goal=goal, partner=partner_b, note=CHANGE_NOTE)
    services.goal_accept(goal=goal, partner=partner_a)  # the request asked both again
    goal = services.goal_accept(goal=goal, partner=partner_b)
    before = Notification.objects.count()

    announcements.goal_proposed_announce(goal=goal)
    announcements.goal_change_requested_announce(change=change)
    announcements.goal_agreed_announce(goal=goal, at=goal.updated_at)

    assert before == 6  # Alex proposed; Jordan and Maya asked; all three agreed
    assert Notification.objects.count() == before
