"""Measure prompts and overdue measures: a partner hears once, on the day a measure falls due,
that they have a short questionnaire to fill (never which); a measure left overdue raises one
routine item for the care team, which ends when it is filled."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from couples.models import Couple, Notification, NotificationPreference
from couples.notifications import notification_send, notifications_create
from measures import services
from measures.notifications import MEASURE_PROMPT, measure_prompts_plan, overdue_ref
from tests.clock import Clock
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory
from triage import services as triage_services
from triage.models import TriageItem

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# Tuesday 10 March 2026: New York is on summer time (UTC-4) already, Berlin not yet (UTC+1).
TUESDAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int, minute: int = 0, *, zone=NEW_YORK) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zone)


def days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


PROMPT_TIME = at(TUESDAY, 20)  # the default check-in prompt time


@pytest.fixture(autouse=True)
def clock(time_machine):
    return Clock(time_machine, at(TUESDAY, 12))


@pytest.fixture
def maya(couples_therapist):
    return couples_therapist


def schedule(partner, by, *, starts_on=TUESDAY, code="phq9", cadence="weekly"):
    return services.schedule_set(
        partner=partner, instrument=code, cadence=cadence, starts_on=starts_on, by=by.user
    )


def fill(partner, *, due_on, code="phq9"):
    response = services.response_start(
        partner=partner, instrument=code, due_on=due_on, by=partner.user
    )
    answers = {f"q{n}": 0 for n in range(1, 10)}
    return services.response_complete(response=response, answers=answers, by=partner.user)


def plan(clock, moment) -> int:
    clock.moment = moment
    return notifications_create(measure_prompts_plan(moment))


def prompts():
    return Notification.objects.filter(kind=MEASURE_PROMPT)


def send(clock, moment):
    clock.moment = moment
    for pk in prompts().values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


def overdue_items():
    return TriageItem.objects.filter(kind=TriageItem.Kind.MEASURE_OVERDUE)


# The prompt


def test_a_measure_due_today_is_prompted_once_from_the_partners_prompt_time(
    clock, partner_a, partner_b, maya
):
    schedule(partner_a, maya)

    assert plan(clock, PROMPT_TIME - datetime.timedelta(minutes=1)) == 0
    plan(clock, PROMPT_TIME)
    plan(clock, PROMPT_TIME + datetime.timedelta(minutes=5))  # a later tick adds nothing

    (row,) = prompts()
    assert (row.recipient_id, row.object_ref) == (
        partner_a.user_id,
        f"couples.partner:{partner_a.pk}",
    )
    assert (row.slot, row.due_at) == (at(TUESDAY, 0), PROMPT_TIME)


def test_two_measures_due_the_same_day_make_one_prompt(clock, partner_a, maya):
    schedule(partner_a, maya)
    schedule(partner_a, maya, code="gad7")

    plan(clock, PROMPT_TIME)

    assert prompts().count() == 1


def test_the_prompt_says_a_short_questionnaire_and_never_which(clock, partner_a, maya):
    schedule(partner_a, maya)
    plan(clock, PROMPT_TIME)

    send(clock, PROMPT_TIME)

    (email,) = mail.outbox
    assert email.subject == "A short questionnaire to fill"
    assert "You have a short questionnaire to fill." in email.body
    for text in (email.subject, email.body, email.alternatives[0][0]):
        assert "phq" not in text.lower() and "depress" not in text.lower()
    assert prompts().get().status == Notification.Status.SENT


def test_a_prompt_filled_meanwhile_is_withdrawn(clock, partner_a, maya):
    schedule(partner_a, maya)
    plan(clock, PROMPT_TIME)

    fill(partner_a, due_on=TUESDAY)
    send(clock, PROMPT_TIME + datetime.timedelta(minutes=1))

    row = prompts().get()
    assert (row.status, row.status_note) == (Notification.Status.WITHDRAWN, "Filled already")
    assert mail.outbox == []


def test_a_measure_filled_before_the_prompt_time_is_not_prompted(clock, partner_a, maya):
    schedule(partner_a, maya)
    fill(partner_a, due_on=TUESDAY)

    assert plan(clock, PROMPT_TIME) == 0


def test_the_prompt_waits_for_the_end_of_quiet_hours(clock, partner_a, maya):
    NotificationPreference.objects.create(
        user=partner_a.user,
        checkin_prompt_time=datetime.time(21, 0),
        quiet_hours_start=datetime.time(21, 0),
        quiet_hours_end=datetime.time(7, 0),
    )
    schedule(partner_a, maya)
    plan(clock, at(TUESDAY, 21))

    send(clock, at(TUESDAY, 21))

    row = prompts().get()
    assert (row.status, row.status_note) == (Notification.Status.QUEUED, "Held for quiet hours")
    assert row.next_attempt_at == at(TUESDAY + days(1), 7)


def test_a_measure_that_fell_due_yesterday_is_not_prompted_today(clock, partner_a, maya):
    schedule(partner_a, maya, starts_on=TUESDAY - days(1))

    assert plan(clock, PROMPT_TIME) == 0


def test_a_couple_not_in_treatment_gets_no_prompt(clock, partner_a, maya):
    schedule(partner_a, maya)
    Couple.objects.filter(pk=partner_a.couple_id).update(status=Couple.Status.DISCHARGED)

    assert plan(clock, PROMPT_TIME) == 0


def test_each_partner_is_prompted_on_their_own_day(clock, partner_a, maya):
    sam = PartnerFactory(couple=CoupleFactory(time_zone="Europe/Berlin"), user__first_name="Sam")
    schedule(partner_a, maya)
    schedule(sam, maya, starts_on=TUESDAY + days(1))

    # 20:00 Tuesday in New York is 01:00 Wednesday in Berlin: Sam's measure fell due, his
    # prompt time (20:00 his time) has not come.
    assert plan(clock, PROMPT_TIME) == 1
    assert plan(clock, at(TUESDAY + days(1), 20, zone=BERLIN)) == 1

    assert {(row.recipient_id, row.slot) for row in prompts()} == {
        (partner_a.user_id, at(TUESDAY, 0)),
        (sam.user_id, at(TUESDAY + days(1), 0, zone=BERLIN)),
    }


def test_the_plan_reads_the_same_few_queries_for_one_partner_as_for_many(
    clock, django_assert_num_queries, partner_a, maya
):
    schedule(partner_a, maya)
    clock.moment = PROMPT_TIME
    # The partners with a schedule, then their schedules and responses.
    with django_assert_num_queries(3):
        assert len(list(measure_prompts_plan(PROMPT_TIME))) == 1

    for _ in range(5):
        schedule(PartnerFactory(), ClinicianFactory())
    sam = PartnerFactory(couple=CoupleFactory(time_zone="Europe/Berlin"))
    schedule(sam, maya, starts_on=TUESDAY + days(1))
    # The same, and the schedules and responses of Berlin's day (already Wednesday).
    with django_assert_num_queries(5):
        assert len(list(measure_prompts_plan(PROMPT_TIME))) == 6


# The overdue item


def test_an_overdue_measure_raises_one_routine_item_with_the_occurrence_as_its_source(
    clock, partner_a, maya
):
    due_on = TUESDAY - days(3)
    schedule(partner_a, maya, starts_on=due_on)

    plan(clock, at(TUESDAY, 9))
    plan(clock, at(TUESDAY, 9, 5))

    (item,) = overdue_items()
    assert item.source_ref == f"measures.due:{partner_a.pk}:phq9:{due_on}"
    assert item.source_ref == overdue_ref(partner_id=partner_a.pk, instrument="phq9", due_on=due_on)
    assert (item.severity, item.partner) == (TriageItem.Severity.ROUTINE, partner_a)
    assert item.summary == "Jordan's PHQ-9 is overdue (due Sat Mar 7)"


def test_a_measure_not_yet_overdue_raises_nothing(clock, partner_a, maya):
    schedule(partner_a, maya, starts_on=TUESDAY - days(2))

    plan(clock, at(TUESDAY, 9))

    assert not overdue_items().exists()


def test_the_overdue_item_ends_when_the_measure_is_filled_and_is_not_raised_again(
    clock, partner_a, maya
):
    due_on = TUESDAY - days(3)
    schedule(partner_a, maya, starts_on=due_on)
    plan(clock, at(TUESDAY, 9))

    fill(partner_a, due_on=due_on)
    plan(clock, at(TUESDAY, 9, 5))

    (item,) = overdue_items()
    assert item.resolved_at is not None
    assert item.resolution == "PHQ-9 filled"


def test_an_acknowledged_overdue_item_is_not_raised_again(clock, partner_a, maya):
    schedule(partner_a, maya, starts_on=TUESDAY - days(3))
    plan(clock, at(TUESDAY, 9))
    triage_services.item_acknowledge(
        item=overdue_items().get(), by=maya.user, note="Will fill it with Jordan in session."
    )

    plan(clock, at(TUESDAY, 10))

    assert overdue_items().count() == 1
