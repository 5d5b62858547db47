"""The safety net (issue 19): an urgent item reaches the clinicians covering the partner at
once, in their quiet hours too, and the clinic's on-call contact when nobody acknowledges it
in time; nothing in the alert says who or why. A safety item is acknowledged with its
follow-up; any item may be marked contacted, and all but urgent ones snoozed.

Jordan and Alex are a couple; Maya is their couples therapist, Carla Jordan's counselor,
Daniel Alex's individual therapist, Olga a clinician of another couple.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole, Notification, NotificationPreference
from couples.notifications import notification_send
from tests.auth import sign_in_with_mfa
from tests.clock import Clock
from tests.factories import ClinicianFactory, PartnerFactory, StaffUserFactory, UserFactory
from triage import queries, services
from triage.models import TriageItem
from triage.notifications import URGENT_ALERT, URGENT_ESCALATION

pytestmark = pytest.mark.timeshift

NEW_YORK = ZoneInfo("America/New_York")
# Tuesday 10 March 2026, 3 a.m. in New York: the middle of the night.
NIGHT = datetime.datetime(2026, 3, 10, 3, 0, tzinfo=NEW_YORK)
HOME = "/clinic/"
# What an alert must never say: the patient, the measure, the answer.
HEALTH_WORDS = ("jordan", "phq", "suicid", "safety", "self-harm", "depress", "measure", "screen")


@pytest.fixture(autouse=True)
def clock(time_machine):
    return Clock(time_machine, NIGHT)


@pytest.fixture
def maya(couples_therapist):
    return couples_therapist


@pytest.fixture
def daniel(alexs_therapist):
    return alexs_therapist


@pytest.fixture
def carla(couple, partner_a):
    carla = ClinicianFactory(
        can_be_couples_therapist=False, can_be_counselor=True, user__first_name="Carla"
    )
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUNSELOR, clinician=carla, partner=partner_a, by=None
    )
    return carla


@pytest.fixture
def olga(db):
    olga = ClinicianFactory(user__first_name="Olga")
    couple_services.care_team_assign(
        couple=PartnerFactory().couple, role=CareRole.COUPLES_THERAPIST, clinician=olga, by=None
    )
    return olga


@pytest.fixture
def on_call(settings, db):
    user = UserFactory(first_name="Omar", email="on-call@example.test")
    settings.CLINIC_ON_CALL_EMAIL = "On-Call@example.test"
    return user


def safety_item(partner, *, ref="measures.measureresponse:1") -> TriageItem:
    item, _ = services.item_raise(
        partner=partner,
        kind=TriageItem.Kind.SAFETY,
        severity=TriageItem.Severity.URGENT,
        summary=f"{partner.display_name} answered the PHQ-9 safety question above 0",
        source_ref=ref,
    )
    return item


def high_item(partner, *, ref="couples.partner:1:2026-03-10") -> TriageItem:
    item, _ = services.item_raise(
        partner=partner,
        kind=TriageItem.Kind.CONTACT_REQUEST,
        severity=TriageItem.Severity.HIGH,
        summary=f"{partner.display_name} asked to be contacted today",
        source_ref=ref,
    )
    return item


def alerts(kind=URGENT_ALERT):
    return Notification.objects.filter(kind=kind).order_by("recipient_id")


def send_all(clock, moment, kind):
    clock.moment = moment
    for pk in alerts(kind).values_list("pk", flat=True):
        notification_send(notification_id=pk, now=moment)


def minutes(count: int) -> datetime.timedelta:
    return datetime.timedelta(minutes=count)


# The alert to the care team


def test_an_urgent_item_alerts_exactly_the_clinicians_covering_the_partner_at_once(
    partner_a, maya, carla, daniel, olga
):
    item = safety_item(partner_a)

    rows = alerts()
    assert {row.recipient_id for row in rows} == {maya.user_id, carla.user_id}
    assert {(row.slot, row.due_at) for row in rows} == {(item.raised_at, item.raised_at)}
    assert {row.object_ref for row in rows} == {f"triage.triageitem:{item.pk}"}


def test_alexs_urgent_item_reaches_his_therapist_and_not_jordans_counselor(
    partner_b, maya, carla, daniel
):
    safety_item(partner_b)

    assert {row.recipient_id for row in alerts()} == {maya.user_id, daniel.user_id}


def test_the_same_event_again_and_a_high_item_alert_nobody(partner_a, maya):
    safety_item(partner_a)
    safety_item(partner_a)  # a second completion of the same response
    high_item(partner_a)

    assert alerts().count() == 1
    assert not alerts(URGENT_ESCALATION).exists()  # nobody is on call: no staff superuser


def test_the_alert_says_nothing_about_the_patient_or_what_they_reported(clock, partner_a, maya):
    safety_item(partner_a)

    send_all(clock, NIGHT, URGENT_ALERT)

    (email,) = mail.outbox
    html = email.alternatives[0][0]
    assert email.subject == "A patient needs your attention"
    for text in (email.subject, email.from_email, email.body, html):
        assert not [word for word in HEALTH_WORDS if word in text.lower()], text
    assert "/clinic/#triage-heading" in email.body


def test_the_alert_is_emailed_in_quiet_hours_and_with_emails_turned_off(clock, partner_a, maya):
    NotificationPreference.objects.create(
        user=maya.user,
        quiet_hours_start=datetime.time(22, 0),
        quiet_hours_end=datetime.time(7, 0),
        email_enabled=False,
        in_app_enabled=True,
    )
    safety_item(partner_a)

    send_all(clock, NIGHT, URGENT_ALERT)

    (row,) = alerts()
    assert (row.status, row.emailed, row.sent_at) == (Notification.Status.SENT, True, NIGHT)
    assert [email.to for email in mail.outbox] == [[maya.user.email]]


def test_a_clinician_whose_role_ended_before_the_alert_went_is_not_alerted(
    clock, partner_a, maya, carla
):
    safety_item(partner_a)
    assignment = carla.care_assignments.get()
    assignment.ended_at = NIGHT
    assignment.save(update_fields=["ended_at"])

    send_all(clock, NIGHT + minutes(1), URGENT_ALERT)

    statuses = {row.recipient_id: (row.status, row.status_note) for row in alerts()}
    assert statuses[carla.user_id] == (
        Notification.Status.WITHDRAWN,
        "No longer caring for this partner",
    )
    assert statuses[maya.user_id][0] == Notification.Status.SENT


# The escalation to the on-call contact


def test_the_on_call_contact_is_alerted_30_minutes_after_the_item_was_raised(
    clock, partner_a, maya, on_call
):
    item = safety_item(partner_a)

    (row,) = alerts(URGENT_ESCALATION)
    assert (row.recipient_id, row.due_at) == (on_call.pk, item.raised_at + minutes(30))
    send_all(clock, NIGHT + minutes(29), URGENT_ESCALATION)
    assert alerts(URGENT_ESCALATION).get().status == Notification.Status.QUEUED
    assert mail.outbox == []

    send_all(clock, NIGHT + minutes(30), URGENT_ESCALATION)

    assert alerts(URGENT_ESCALATION).get().status == Notification.Status.SENT
    (email,) = mail.outbox
    assert email.to == [on_call.email]
    assert email.subject == "A patient needs attention: not yet acknowledged"
    for text in (email.subject, email.body, email.alternatives[0][0]):
        assert not [word for word in HEALTH_WORDS if word in text.lower()], text


def test_the_escalation_is_withdrawn_when_someone_acknowledged_before(
    clock, partner_a, maya, on_call
):
    item = safety_item(partner_a)
    clock.moment = NIGHT + minutes(10)

    services.item_acknowledge(
        item=item,
        by=maya.user,
        note="Called Jordan; safe at home with Alex.",
        contacted=True,
        risk=TriageItem.Risk.LOW,
        plan_reviewed=True,
    )
    send_all(clock, NIGHT + minutes(30), URGENT_ESCALATION)

    (row,) = alerts(URGENT_ESCALATION)
    assert (row.status, row.status_note) == (Notification.Status.WITHDRAWN, "Acknowledged already")
    assert mail.outbox == []


def test_an_escalation_queued_when_the_item_was_acknowledged_is_withdrawn_by_its_check(
    clock, partner_a, maya, on_call
):
    """Withdrawing at acknowledgement misses a row a worker holds at that moment: the send's
    own check stops it."""
    item = safety_item(partner_a)
    TriageItem.objects.filter(pk=item.pk).update(contacted_at=NIGHT, contacted_by=maya.user)

    send_all(clock, NIGHT + minutes(30), URGENT_ESCALATION)

    (row,) = alerts(URGENT_ESCALATION)
    assert (row.status, row.status_note) == (
        Notification.Status.WITHDRAWN,
        "Someone on the care team reached the partner",
    )


def test_the_escalation_delay_is_a_setting(settings, partner_a, maya, on_call):
    settings.TRIAGE_ESCALATE_MINUTES = 10

    item = safety_item(partner_a)

    assert alerts(URGENT_ESCALATION).get().due_at == item.raised_at + minutes(10)


def test_without_an_on_call_email_every_active_staff_superuser_is_the_on_call_contact(
    settings, partner_a, maya
):
    settings.CLINIC_ON_CALL_EMAIL = ""
    admins = StaffUserFactory.create_batch(2)
    StaffUserFactory(is_active=False)
    UserFactory(is_staff=True)  # staff, not a superuser

    safety_item(partner_a)

    assert [row.recipient_id for row in alerts(URGENT_ESCALATION)] == [a.pk for a in admins]


def test_an_on_call_email_that_names_nobody_active_falls_back_to_the_superusers(
    settings, partner_a, maya
):
    settings.CLINIC_ON_CALL_EMAIL = "nobody@example.test"
    admin = StaffUserFactory()

    safety_item(partner_a)

    assert [row.recipient_id for row in alerts(URGENT_ESCALATION)] == [admin.pk]


def test_with_nobody_covering_the_partner_the_on_call_contact_is_alerted_at_once(
    partner_a, on_call
):
    item = safety_item(partner_a)

    assert not alerts().exists()
    assert alerts(URGENT_ESCALATION).get().due_at == item.raised_at


# The safety follow-up


def follow_up(**fields):
    data = {
        "note": "Called Jordan; safe at home with Alex.",
        "contacted": "yes",
        "risk": "low",
        "plan_reviewed": "yes",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_the_queue_asks_for_the_follow_up_on_a_safety_item_only(client, partner_a, maya):
    safety_item(partner_a)
    high_item(partner_a)
    sign_in_with_mfa(client, maya.user)

    home = client.get(HOME).text

    assert home.count("Did you reach the partner?") == 1
    assert "Risk level after contact" in home and "Safety plan reviewed together?" in home
    assert home.count('name="risk" value="moderate"') == 1
    assert home.count("Snooze until") == 1  # the urgent item cannot be snoozed


def test_acknowledging_a_safety_item_keeps_its_follow_up_and_audits_it(client, partner_a, maya):
    item = safety_item(partner_a)
    sign_in_with_mfa(client, maya.user)

    response = client.post(f"/clinic/triage/{item.pk}/acknowledge/", follow_up())

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.follow_up_contacted, item.follow_up_risk, item.follow_up_plan_reviewed) == (
        True,
        "low",
        True,
    )
    assert item.acknowledged_by == maya.user
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_id=str(item.pk))
    assert event.detail == {
        "change": "acknowledged",
        "contacted": True,
        "risk": "low",
        "safety_plan_reviewed": True,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contacted": None}, "Say whether you reached the partner."),
        ({"risk": None}, "Choose the risk level after your contact."),
        ({"plan_reviewed": None}, "Say whether you reviewed the safety plan together."),
        ({"contacted": "no"}, "Without reaching the partner there is no risk level"),
        ({"risk": "extreme"}, "Select a valid choice."),
        ({"note": "x" * 501}, "at most 500 characters"),
    ],
)
def test_a_safety_item_without_its_follow_up_is_refused_and_stays(
    client, partner_a, maya, fields, message
):
    item = safety_item(partner_a)
    sign_in_with_mfa(client, maya.user)

    page = client.post(
        f"/clinic/triage/{item.pk}/acknowledge/", follow_up(**fields), follow=True
    ).text

    assert message in page
    item.refresh_from_db()
    assert (item.acknowledged_at, item.follow_up_contacted, item.follow_up_risk) == (None, None, "")
    assert queries.items_open_for_clinician(user=maya.user) == [item]


def test_a_partner_not_reached_is_recorded_without_risk_or_plan(partner_a, maya):
    item = safety_item(partner_a)

    services.item_acknowledge(
        item=item,
        by=maya.user,
        note="No answer twice; left a message and called the on-call line.",
        contacted=False,
    )

    item.refresh_from_db()
    assert (item.follow_up_contacted, item.follow_up_risk, item.follow_up_plan_reviewed) == (
        False,
        "",
        False,
    )


def test_other_items_ignore_the_follow_up(partner_a, maya):
    item = high_item(partner_a)

    services.item_acknowledge(item=item, by=maya.user, note="Called.", contacted=True, risk="high")

    item.refresh_from_db()
    assert (item.follow_up_contacted, item.follow_up_risk) == (None, "")


def test_the_database_refuses_a_safety_item_acknowledged_without_its_follow_up(partner_a, maya):
    item = safety_item(partner_a)

    with pytest.raises(IntegrityError), transaction.atomic():
        TriageItem.objects.filter(pk=item.pk).update(
            acknowledged_at=timezone.now(), acknowledged_by=maya.user, acknowledgement_note="Ok"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        TriageItem.objects.filter(pk=item.pk).update(
            acknowledged_at=timezone.now(),
            acknowledged_by=maya.user,
            acknowledgement_note="Ok",
            follow_up_contacted=False,
            follow_up_risk="high",
            follow_up_plan_reviewed=False,
        )


# Mark contacted


def test_marking_contacted_records_who_and_when_keeps_the_item_open_and_is_audited(
    client, clock, partner_a, maya, carla, on_call
):
    item = safety_item(partner_a)
    clock.moment = NIGHT + minutes(5)
    sign_in_with_mfa(client, carla.user)

    page = client.post(
        f"/clinic/triage/{item.pk}/acknowledge/", {"action": "contacted"}, follow=True
    ).text

    item.refresh_from_db()
    assert (item.contacted_by, item.contacted_at, item.acknowledged_at) == (
        carla.user,
        NIGHT + minutes(5),
        None,
    )
    assert "Contacted by Carla" in page
    assert queries.items_open_for_clinician(user=maya.user) == [item]
    assert alerts(URGENT_ESCALATION).get().status == Notification.Status.WITHDRAWN
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_id=str(item.pk))
    assert (event.actor, event.detail) == (carla.user, {"change": "contacted"})


def test_an_item_is_marked_contacted_once(partner_a, maya, carla):
    item = safety_item(partner_a)
    services.item_mark_contacted(item=item, by=carla.user)

    with pytest.raises(ValidationError, match="already marked this item contacted"):
        services.item_mark_contacted(item=item, by=maya.user)
    item.refresh_from_db()
    assert item.contacted_by == carla.user


# Snooze


def test_a_snoozed_item_leaves_the_queue_and_comes_back_on_its_day(client, clock, partner_a, maya):
    item = high_item(partner_a)
    sign_in_with_mfa(client, maya.user)
    back_on = NIGHT.date() + datetime.timedelta(days=3)

    client.post(f"/clinic/triage/{item.pk}/acknowledge/", {"action": "snooze", "until": back_on})

    item.refresh_from_db()
    assert (item.snoozed_until, item.snoozed_by) == (back_on, maya.user)
    assert queries.items_open_for_clinician(user=maya.user) == []
    clock.moment = datetime.datetime.combine(back_on, datetime.time(), tzinfo=NEW_YORK)
    assert queries.items_open_for_clinician(user=maya.user) == [item]
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, target_id=str(item.pk))
    assert event.detail == {"change": "snoozed", "until": back_on.isoformat()}


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (0, "from tomorrow to 14 days ahead"),
        (-1, "from tomorrow to 14 days ahead"),
        (15, "from tomorrow to 14 days ahead"),
        (None, "Choose the day the item comes back."),
    ],
)
def test_a_snooze_outside_the_next_two_weeks_is_refused(client, partner_a, maya, days, message):
    item = high_item(partner_a)
    sign_in_with_mfa(client, maya.user)
    data = {"action": "snooze"}
    if days is not None:
        data["until"] = NIGHT.date() + datetime.timedelta(days=days)

    page = client.post(f"/clinic/triage/{item.pk}/acknowledge/", data, follow=True).text

    assert message in page
    item.refresh_from_db()
    assert item.snoozed_until is None


def test_two_weeks_ahead_is_the_longest_snooze(partner_a, maya):
    item = high_item(partner_a)

    services.item_snooze(item=item, by=maya.user, until=NIGHT.date() + datetime.timedelta(14))

    assert item.snoozed_until == NIGHT.date() + datetime.timedelta(days=14)


def test_an_urgent_item_cannot_be_snoozed(partner_a, maya):
    item = safety_item(partner_a)

    with pytest.raises(ValidationError, match="urgent item cannot be snoozed"):
        services.item_snooze(item=item, by=maya.user, until=NIGHT.date() + datetime.timedelta(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TriageItem.objects.filter(pk=item.pk).update(
            snoozed_until=NIGHT.date() + datetime.timedelta(days=1), snoozed_by=maya.user
        )


def test_an_unknown_action_changes_nothing(client, partner_a, maya):
    item = high_item(partner_a)
    sign_in_with_mfa(client, maya.user)

    page = client.post(
        f"/clinic/triage/{item.pk}/acknowledge/", {"action": "delete"}, follow=True
    ).text

    assert "Unknown action." in page
    item.refresh_from_db()
    assert (item.acknowledged_at, item.contacted_at, item.snoozed_until) == (None, None, None)


def test_the_other_partners_therapist_can_neither_snooze_nor_mark_jordans_item(
    client, partner_a, daniel
):
    item = high_item(partner_a)
    sign_in_with_mfa(client, daniel.user)

    for data in ({"action": "contacted"}, {"action": "snooze", "until": "2026-03-12"}):
        assert client.post(f"/clinic/triage/{item.pk}/acknowledge/", data).status_code == 404
    item.refresh_from_db()
    assert (item.contacted_at, item.snoozed_until) == (None, None)


# The queue


def test_the_queue_is_one_query_and_hides_snoozed_items_until_their_day(
    django_assert_num_queries, partner_a, partner_b, maya, carla
):
    urgent = safety_item(partner_a)
    contacted = high_item(partner_b, ref="couples.partner:2:2026-03-10")
    services.item_mark_contacted(item=contacted, by=maya.user)
    for number in range(5):
        item = high_item(partner_a, ref=f"test:{number}")
        if number % 2:
            services.item_snooze(
                item=item, by=maya.user, until=NIGHT.date() + datetime.timedelta(days=number)
            )
    TriageItem.objects.filter(source_ref="test:1").update(snoozed_until=NIGHT.date())  # today

    # One query: the items with their couple, partner, who marked them contacted, and the
    # clinician's roles as a subquery.
    with django_assert_num_queries(1):
        items = queries.items_open_for_clinician(user=maya.user)
        names = [item.contacted_by.first_name for item in items if item.contacted_by]

    assert [item.source_ref for item in items] == [
        urgent.source_ref,
        contacted.source_ref,
        "test:0",
        "test:1",
        "test:2",
        "test:4",
    ]
    assert names == ["Maya"]
