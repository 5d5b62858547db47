"""Staff alerts: coverage due for re-verification, an IOP authorization 80% used."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from couples.models import Notification
from couples.notifications import notification_send, notifications_create, notifications_plan
from insurance import notifications
from insurance.models import Authorization, Coverage, Payer
from insurance.permissions import insurance_staff_group
from sessions.models import Attendance, TherapySession
from tests.clock import Clock
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.timeshift

CLINIC = ZoneInfo("America/New_York")  # settings.TIME_ZONE
TUESDAY = datetime.date(2026, 3, 10)
AUTHORIZED_FROM = TUESDAY - datetime.timedelta(days=12)


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=CLINIC)


def days(count: int) -> datetime.timedelta:
    return datetime.timedelta(days=count)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """The code reads the clock (notification_send's `now` does not reach the kinds' checks):
    it stands still where a test sets it."""
    return Clock(time_machine, at(TUESDAY, 6))


@pytest.fixture
def billing(db):
    """Two active insurance staff, one who left (deactivated), and an admin outside the group."""
    group = insurance_staff_group()
    people = [
        UserFactory(first_name="Dana", is_staff=True),
        UserFactory(first_name="Eli", is_staff=True),
        UserFactory(first_name="Former", is_staff=True, is_active=False),
    ]
    for person in people:
        person.groups.add(group)
    UserFactory(first_name="Admin", is_staff=True, is_superuser=True)
    return people[:2]


@pytest.fixture
def payer(db):
    return Payer.objects.create(name="Blue Cross")


def verified_coverage(partner, payer, **fields):
    values = {
        "member_id": f"M-{partner.pk}",
        "subscriber_name": f"{partner.user.first_name} {partner.user.last_name}",
        "effective_on": datetime.date(2026, 1, 1),
        "status": Coverage.Status.VERIFIED,
        "verified_at": at(TUESDAY, 0) - days(90),
        "verification_method": Coverage.Method.PHONE,
        "reference_number": "REF-1",
        "reverify_on": TUESDAY,
    }
    return Coverage.objects.create(partner=partner, payer=payer, **values | fields)


def attended(partner, *, day_count: int, since: datetime.date, status="present"):
    """One couples session a day at noon for `day_count` days, the partner marked."""
    clinician = ClinicianFactory()
    for offset in range(day_count):
        starts_at = at(since + days(offset), 12)
        session = TherapySession.objects.create(
            kind="couples_therapy",
            clinician=clinician,
            couple=partner.couple,
            starts_at=starts_at,
            ends_at=starts_at + datetime.timedelta(hours=1),
            time_zone="America/New_York",
            created_by=clinician.user,
        )
        Attendance.objects.create(
            session=session,
            partner=partner,
            status=status,
            minutes_attended=60 if status in ("present", "late") else 0,
        )


def authorization_for(coverage, *, units=10, starts_on=AUTHORIZED_FROM):
    return Authorization.objects.create(
        coverage=coverage,
        number=f"AUTH-{coverage.pk}",
        starts_on=starts_on,
        ends_on=starts_on + days(60),
        units_authorized=units,
    )


def send_all(clock, moment, kind):
    clock.moment = moment
    for pk in Notification.objects.filter(kind=kind).values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


def email_text(email) -> str:
    return email.subject + email.body + email.alternatives[0].content


# Re-verification due


def test_reverification_is_due_at_8am_on_its_date_to_every_active_staff_member(
    billing, partner_a, payer
):
    coverage = verified_coverage(partner_a, payer)

    assert list(notifications.reverifications_plan(at(TUESDAY, 7, 59))) == []
    due = list(notifications.reverifications_plan(at(TUESDAY, 8)))

    assert {d.recipient_id for d in due} == {person.pk for person in billing}
    assert {d.object_ref for d in due} == {f"insurance.coverage:{coverage.pk}"}
    assert {(d.slot, d.due_at) for d in due} == {(at(TUESDAY, 0), at(TUESDAY, 8))}


def test_reverification_is_planned_once_per_date(clock, billing, partner_a, payer):
    verified_coverage(partner_a, payer)

    for moment in (at(TUESDAY, 8), at(TUESDAY, 9), at(TUESDAY + days(3), 8)):
        clock.moment = moment
        notifications_plan(now=moment)

    assert Notification.objects.filter(kind=notifications.REVERIFICATION_DUE).count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"reverify_on": TUESDAY + days(1)},
        {"reverify_on": TUESDAY - days(8)},  # long overdue before alerts existed
        {"reverify_on": None},
        {"status": Coverage.Status.PENDING},
        {"terminates_on": TUESDAY - days(1)},
    ],
)
def test_no_reverification_alert_when_not_due(billing, partner_a, payer, fields):
    verified_coverage(partner_a, payer, **fields)

    assert list(notifications.reverifications_plan(at(TUESDAY, 9))) == []


def test_a_new_reverification_date_withdraws_the_alert(clock, billing, partner_a, payer):
    coverage = verified_coverage(partner_a, payer)
    notifications_create(notifications.reverifications_plan(at(TUESDAY, 8)))
    coverage.reverify_on = TUESDAY + days(90)
    coverage.save()

    send_all(clock, at(TUESDAY, 8), notifications.REVERIFICATION_DUE)

    notes = Notification.objects.filter(kind=notifications.REVERIFICATION_DUE)
    assert set(notes.values_list("status_note", flat=True)) == {
        "The re-verification date has changed"
    }
    assert mail.outbox == []


def test_the_reverification_alert_names_no_patient(clock, billing, partner_a, payer):
    coverage = verified_coverage(partner_a, payer)
    notifications_create(notifications.reverifications_plan(at(TUESDAY, 8)))
    billing[1].groups.clear()

    send_all(clock, at(TUESDAY, 8), notifications.REVERIFICATION_DUE)

    [email] = mail.outbox
    assert email.to == [billing[0].email]
    assert email.subject == f"Coverage #{coverage.pk} is due for re-verification"
    assert f"http://localhost:8000/admin/insurance/coverage/{coverage.pk}/change/" in email.body
    for secret in ("Jordan", partner_a.user.last_name, coverage.member_id):
        assert secret not in email_text(email)
    left = Notification.objects.get(recipient=billing[1])
    assert left.status_note == "No longer insurance staff"


# Authorization 80% used


def test_an_authorization_80_percent_used_alerts_the_staff(billing, partner_a, payer):
    authorization = authorization_for(verified_coverage(partner_a, payer), units=10)
    attended(partner_a, day_count=8, since=authorization.starts_on)

    due = list(notifications.authorizations_high_plan(at(TUESDAY, 9)))

    assert {d.recipient_id for d in due} == {person.pk for person in billing}
    assert {d.object_ref for d in due} == {f"insurance.authorization:{authorization.pk}"}
    assert {d.slot for d in due} == {at(authorization.starts_on, 0)}


def test_an_authorization_below_80_percent_raises_nothing(billing, partner_a, payer):
    authorization = authorization_for(verified_coverage(partner_a, payer), units=10)
    attended(partner_a, day_count=7, since=authorization.starts_on)
    attended(partner_a, day_count=3, since=TUESDAY - days(3), status="absent")

    assert list(notifications.authorizations_high_plan(at(TUESDAY, 9))) == []


def test_authorizations_are_planned_every_quarter_hour(billing, partner_a, payer):
    authorization = authorization_for(verified_coverage(partner_a, payer), units=10)
    attended(partner_a, day_count=8, since=authorization.starts_on)

    notifications_plan(now=at(TUESDAY, 9, 7))
    assert not Notification.objects.filter(kind=notifications.AUTHORIZATION_HIGH).exists()
    notifications_plan(now=at(TUESDAY, 9, 15))
    assert Notification.objects.filter(kind=notifications.AUTHORIZATION_HIGH).exists()


def test_an_authorization_is_alerted_once(clock, billing, partner_a, payer):
    authorization = authorization_for(verified_coverage(partner_a, payer), units=10)
    attended(partner_a, day_count=8, since=authorization.starts_on)

    for moment in (at(TUESDAY, 9), at(TUESDAY, 9, 15), at(TUESDAY + days(1), 9)):
        clock.moment = moment
        notifications_plan(now=moment)
    attended(partner_a, day_count=1, since=TUESDAY)
    clock.moment = at(TUESDAY + days(1), 10)
    notifications_plan(now=clock.moment)

    assert Notification.objects.filter(kind=notifications.AUTHORIZATION_HIGH).count() == 2


def test_a_correction_below_80_percent_withdraws_the_alert(clock, billing, partner_a, payer):
    authorization = authorization_for(verified_coverage(partner_a, payer), units=10)
    attended(partner_a, day_count=8, since=authorization.starts_on)
    notifications_create(notifications.authorizations_high_plan(at(TUESDAY, 9)))
    Attendance.objects.filter(partner=partner_a).update(status="absent", minutes_attended=0)

    send_all(clock, at(TUESDAY, 9), notifications.AUTHORIZATION_HIGH)

    notes = Notification.objects.filter(kind=notifications.AUTHORIZATION_HIGH)
    assert set(notes.values_list("status_note", flat=True)) == {"Less than 80% used"}


def test_the_authorization_alert_gives_units_and_no_patient(clock, billing, partner_a, payer):
    coverage = verified_coverage(partner_a, payer)
    authorization = authorization_for(coverage, units=10)
    attended(partner_a, day_count=9, since=authorization.starts_on)
    notifications_create(notifications.authorizations_high_plan(at(TUESDAY, 9)))

    send_all(clock, at(TUESDAY, 9), notifications.AUTHORIZATION_HIGH)

    assert len(mail.outbox) == 2
    email = mail.outbox[0]
    assert email.subject == f"Coverage #{coverage.pk}: IOP authorization 90% used"
    assert "(9 of 10 units)" in email.body
    assert f"http://localhost:8000/admin/insurance/coverage/{coverage.pk}/change/" in email.body
    for secret in ("Jordan", partner_a.user.last_name, coverage.member_id):
        assert secret not in email_text(email)


# Both plans read any number of coverages in a fixed number of queries


@pytest.mark.parametrize("size", [2, 20])
def test_each_plan_costs_the_same_queries_for_any_number_of_coverages(
    billing, payer, size, django_assert_num_queries
):
    for _ in range(size):
        partner = PartnerFactory(couple=CoupleFactory())
        authorization = authorization_for(verified_coverage(partner, payer), units=4)
        attended(partner, day_count=4, since=authorization.starts_on)
    now = at(TUESDAY, 9)

    with django_assert_num_queries(2):  # the staff, the coverages due
        reverifications = list(notifications.reverifications_plan(now))
    # The staff, the current authorizations not yet alerted with their coverages, the
    # attendance behind the units of those that could be 80% used.
    with django_assert_num_queries(3):
        authorizations = list(notifications.authorizations_high_plan(now))

    assert len(reverifications) == len(authorizations) == 2 * size
