"""The clinician's morning digest: counts of couples with open items in the triage queue and
today's sessions."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from couples import services as couple_services
from couples.models import CareRole, Notification, NotificationPreference
from couples.notifications import notification_send, notifications_create, notifications_plan
from goals.models import CheckIn
from insurance.models import Coverage, Payer
from pages import notifications as digest
from sessions.models import Attendance, TherapySession
from tests.clock import Clock
from tests.factories import ClinicianFactory, CoupleFactory, GoalFactory, PartnerFactory
from triage.sweeps import sweep

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int, minute: int = 0, *, zone=NEW_YORK) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The code reads the clock (notification_send's `now` does not reach the kinds' checks):
    it stands still where a test sets it."""
    return Clock(time_machine, at(TUESDAY, 6))


def session_at(clinician, couple, starts_at, status=TherapySession.Status.SCHEDULED):
    """A session of the couple, both partners expected."""
    session = TherapySession.objects.create(
        kind="couples_therapy",
        clinician=clinician,
        couple=couple,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        time_zone="America/New_York",
        status=status,
        created_by=clinician.user,
    )
    for partner in couple.partners.all():
        Attendance.objects.create(session=session, partner=partner)
    return session


def checked_in_today(partner):
    CheckIn.objects.create(
        partner=partner,
        day=TUESDAY,
        is_sober=True,
        craving=1,
        mood=3,
        had_trust_discussion=False,
        attended_meeting=False,
        recorded_on=TUESDAY,
    )


def covered(partner):
    """Coverage on file, verified and far from its end: no coverage item."""
    Coverage.objects.create(
        partner=partner,
        payer=Payer.objects.get_or_create(name="Blue Cross PPO")[0],
        member_id="XJ1",
        subscriber_name="Someone",
        effective_on=datetime.date(2026, 1, 1),
        status=Coverage.Status.VERIFIED,
        verified_at=at(datetime.date(2026, 1, 2), 9),
        verification_method=Coverage.Method.PHONE,
        reference_number="REF1",
    )


def treats(clinician, couple):
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )


@pytest.fixture
def maya(clinician, couple, partner_a, partner_b):
    """Maya treats one couple with open items in the queue (Jordan has not checked in since
    admission, no one has logged their goal, no coverage is on file) and one calm couple,
    and has two sessions today. The sweep finds what beat's would have by 6 am."""
    treats(clinician, couple)
    GoalFactory(couple=couple, title="No alcohol at the weekend")
    checked_in_today(partner_b)
    calm = CoupleFactory()
    for partner in (PartnerFactory(couple=calm), PartnerFactory(couple=calm)):
        checked_in_today(partner)
        covered(partner)
    treats(clinician, calm)
    session_at(clinician, couple, at(TUESDAY, 14))
    session_at(clinician, calm, at(TUESDAY, 9))
    session_at(clinician, calm, at(TUESDAY, 8), status=TherapySession.Status.CANCELLED)
    session_at(clinician, couple, at(TUESDAY, 9) + datetime.timedelta(days=1))
    sweep()
    return clinician


def digests_due(now):
    return list(digest.digests_plan(now))


def send_all(clock, moment):
    clock.moment = moment
    for pk in Notification.objects.filter(kind=digest.CLINICIAN_DIGEST).values_list(
        "pk", flat=True
    ):
        notification_send(notification_id=pk, now=moment)


def test_the_digest_comes_at_7am_in_the_clinicians_day(clinician):
    assert digests_due(at(TUESDAY, 6, 59)) == []

    [draft] = digests_due(at(TUESDAY, 7))

    assert (draft.recipient_id, draft.slot, draft.due_at) == (
        clinician.user_id,
        at(TUESDAY, 7),
        at(TUESDAY, 7),
    )


def test_the_clinicians_own_zone_and_time_are_used(clinician):
    NotificationPreference.objects.create(
        user=clinician.user, time_zone="Europe/Berlin", digest_time=datetime.time(6, 30)
    )

    assert [d.slot for d in digests_due(at(TUESDAY, 6, 30, zone=BERLIN))] == [
        at(TUESDAY, 6, 30, zone=BERLIN)
    ]


def test_a_digest_is_not_planned_long_after_its_moment(clinician):
    assert digests_due(at(TUESDAY, 10, 59)) != []
    assert digests_due(at(TUESDAY, 11)) == []


def test_no_digest_when_turned_off(clinician):
    NotificationPreference.objects.create(user=clinician.user, morning_digest=False)

    assert digests_due(at(TUESDAY, 7)) == []


def test_planning_again_makes_no_second_digest(clock, maya):
    for minute in (0, 1, 30):
        clock.moment = at(TUESDAY, 7, minute)
        notifications_plan(now=clock.moment)

    assert Notification.objects.filter(kind=digest.CLINICIAN_DIGEST).count() == 1


def test_the_digest_gives_counts_and_no_names(clock, maya, partner_a, partner_b):
    notifications_create(digests_due(at(TUESDAY, 7)))

    send_all(clock, at(TUESDAY, 7))

    [email] = mail.outbox
    assert email.to == [maya.user.email]
    assert email.subject == "Your day, Tuesday 10 March"
    assert "1 couple needs attention; 2 sessions today, the first at 09:00." in email.body
    assert "http://localhost:8000/clinic/" in email.body
    assert "http://localhost:8000/clinic/sessions/day/" in email.body
    text = email.subject + email.body + email.alternatives[0].content
    for secret in ("Jordan", "Alex", partner_a.user.last_name, "alcohol"):
        assert secret not in text


def test_the_digest_is_withdrawn_when_there_is_nothing_to_say(clock, clinician):
    notifications_create(digests_due(at(TUESDAY, 7)))

    send_all(clock, at(TUESDAY, 7))

    row = Notification.objects.get(kind=digest.CLINICIAN_DIGEST)
    assert (row.status, row.status_note) == ("withdrawn", "Nothing to report")
    assert mail.outbox == []


def test_a_digest_held_into_the_next_day_is_withdrawn(clock, maya):
    NotificationPreference.objects.create(
        user=maya.user, quiet_hours_start=datetime.time(6), quiet_hours_end=datetime.time(0, 30)
    )
    notifications_create(digests_due(at(TUESDAY, 7)))
    send_all(clock, at(TUESDAY, 7))

    send_all(clock, at(TUESDAY, 0, 30) + datetime.timedelta(days=1))

    row = Notification.objects.get(kind=digest.CLINICIAN_DIGEST)
    assert (row.status, row.status_note) == ("withdrawn", "The day is over")


def test_the_digest_text_counts_in_words():
    first = at(TUESDAY, 9)
    cases = [
        (digest.DigestSummary(3, 4, first), "3 couples need attention; 4 sessions today"),
        (digest.DigestSummary(0, 1, first), "No couple needs attention; 1 session today"),
        (digest.DigestSummary(1, 0, None), "1 couple needs attention; no sessions today."),
    ]
    for summary, words in cases:
        assert words in digest.digest_text(summary, zone=NEW_YORK)


def caseload(clinician, size: int) -> None:
    """Couples whose partners have never checked in and never logged their goal: each has
    open items once swept."""
    for number in range(size):
        couple = CoupleFactory()
        PartnerFactory(couple=couple)
        PartnerFactory(couple=couple)
        GoalFactory(couple=couple)
        treats(clinician, couple)
        session_at(clinician, couple, at(TUESDAY, 8) + datetime.timedelta(minutes=number * 30))
    sweep()


@pytest.mark.parametrize("size", [2, 20])
def test_planning_and_sending_cost_the_same_queries_for_any_caseload(
    clock, clinician, size, django_assert_num_queries
):
    caseload(clinician, size)
    for _ in range(size):
        ClinicianFactory()

    with django_assert_num_queries(1):  # clinicians with their preferences
        drafts = digests_due(at(TUESDAY, 7))
    assert len(drafts) == size + 1
    notifications_create(drafts)
    mine = Notification.objects.get(kind=digest.CLINICIAN_DIGEST, recipient=clinician.user)
    clock.moment = at(TUESDAY, 7)

    # The row with its recipient, preferences and zone (a clinician has no couple: the row's
    # query says so), the claim, the two of the summary (the couples with open items in the
    # queue, today's sessions), marking it sent.
    with django_assert_num_queries(5):
        notification_send(notification_id=mine.pk, now=clock.moment)

    [email] = mail.outbox
    assert f"{size} couples need attention; {size} sessions today" in email.body
