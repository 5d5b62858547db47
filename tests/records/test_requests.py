"""Records requests: logged, produced by the export path, delivered into the accounting."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from records import pdf, services_requests
from records.admin import days_left_words
from records.models import Disclosure, Purpose, RecordExport, RecordsRequest
from tests.auth import sign_in_with_mfa
from tests.clock import Clock
from tests.factories import StaffUserFactory
from tests.records.fhir.conftest import partner_record_data  # noqa: F401

# A Monday afternoon in the clinic's zone (America/New_York).
START = datetime.datetime(2030, 4, 8, 18, 0, tzinfo=datetime.UTC)
RIVERA = "Dr. Ana Rivera, Oak Street Residential"


@pytest.fixture
def clock(time_machine):
    return Clock(time_machine, START)


@pytest.fixture
def records_staff(db):
    return StaffUserFactory(first_name="Rita")


def today() -> datetime.date:
    return timezone.localdate()


def log_consent(partner, by, **changes) -> RecordsRequest:
    values = {
        "partner": partner,
        "source": RecordsRequest.Source.CONSENT,
        "recipient": RIVERA,
        "consent_reference": "Consents binder, p. 14",
        "purpose": Purpose.CONTINUITY,
        "received_on": today() - datetime.timedelta(days=2),
        "form": RecordsRequest.Form.BOTH,
        "by": by,
    }
    return services_requests.records_request_log(**{**values, **changes})


def produced(records_request, by, django_capture_on_commit_callbacks) -> RecordsRequest:
    """Produce, and let the build task run (eagerly) once the step commits."""
    with django_capture_on_commit_callbacks(execute=True):
        services_requests.records_request_produce(records_request=records_request, by=by)
    records_request.refresh_from_db()
    return records_request


def test_a_patients_request_is_logged_produced_and_delivered(
    client, clock, partner_a, partner_b, records_staff, django_capture_on_commit_callbacks
):
    logged = services_requests.records_request_log(
        partner=partner_a,
        source=RecordsRequest.Source.PATIENT,
        received_on=today(),
        form=RecordsRequest.Form.SUMMARY,
        by=records_staff,
    )
    assert logged.status == RecordsRequest.Status.OPEN
    assert logged.due_on == today() + datetime.timedelta(days=30)
    assert logged.recipient.endswith("(patient's own copy)")
    assert logged.purpose == Purpose.PATIENT

    done = produced(logged, records_staff, django_capture_on_commit_callbacks)
    assert done.status == RecordsRequest.Status.PRODUCED
    assert done.export.status == RecordExport.Status.READY
    assert done.export.requested_by == records_staff
    # Producing is not releasing: nothing in the accounting until the copy leaves.
    assert not Disclosure.objects.exists()

    delivered = services_requests.records_request_deliver(
        records_request=done,
        delivered_on=today(),
        method=RecordsRequest.DeliveryMethod.IN_PERSON,
        note="Handed over at the front desk.",
        by=records_staff,
    )

    assert delivered.status == RecordsRequest.Status.DELIVERED
    disclosure = Disclosure.objects.get()
    assert (disclosure.partner, disclosure.kind) == (partner_a, Disclosure.Kind.EXPORT)
    assert disclosure.export == done.export
    assert disclosure.purpose == Purpose.PATIENT
    assert disclosure.recipient == logged.recipient
    assert disclosure.disclosed_by == records_staff
    steps = AuditEvent.objects.filter(target_type="records.RecordsRequest", patient=partner_a)
    assert [event.detail["step"] for event in steps.order_by("id")] == [
        "logged",
        "produced",
        "delivered",
    ]


def test_the_portal_offers_the_copy_of_the_patients_own_request_never_one_for_a_recipient(
    client, clock, partner_a, records_staff, django_capture_on_commit_callbacks
):
    own = services_requests.records_request_log(
        partner=partner_a,
        source=RecordsRequest.Source.PATIENT,
        received_on=today(),
        form=RecordsRequest.Form.BOTH,
        by=records_staff,
    )
    own_copy = produced(own, records_staff, django_capture_on_commit_callbacks).export
    sign_in_with_mfa(client, partner_a.user)
    assert client.get("/portal/record/").context["export"] == own_copy
    assert client.get(f"/portal/record/{own_copy.pk}/json/").status_code == 200

    # A copy for Dr. Rivera under a consent is hers: not on the portal, and an audited 404.
    services_requests.records_request_withdraw(records_request=own, by=records_staff)
    for_rivera = produced(
        log_consent(partner_a, records_staff), records_staff, django_capture_on_commit_callbacks
    ).export
    assert client.get("/portal/record/").context["export"] == own_copy
    assert client.get(f"/portal/record/{for_rivera.pk}/json/").status_code == 404
    assert AuditEvent.objects.filter(
        allowed=False, detail__target_id=str(for_rivera.pk), actor=partner_a.user
    ).exists()


def test_a_delivery_under_consent_shows_in_the_partners_accounting_with_its_recipient(
    client, clock, partner_a, partner_b, records_staff, django_capture_on_commit_callbacks
):
    logged = log_consent(partner_a, records_staff)
    done = produced(logged, records_staff, django_capture_on_commit_callbacks)
    # Faxed the day it was ready, recorded the next morning.
    clock.moment = START + datetime.timedelta(hours=16)

    services_requests.records_request_deliver(
        records_request=done,
        delivered_on=today() - datetime.timedelta(days=1),
        method=RecordsRequest.DeliveryMethod.FAX,
        by=records_staff,
    )

    disclosure = Disclosure.objects.get()
    assert (disclosure.recipient, disclosure.purpose) == (RIVERA, Purpose.CONTINUITY)
    assert timezone.localdate(disclosure.disclosed_at) == today() - datetime.timedelta(days=1)
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert event.patient_id == partner_a.pk and event.actor == records_staff
    assert "export" not in event.detail  # not "Downloaded a copy of my record"
    sign_in_with_mfa(client, partner_a.user)
    accounting = client.get("/portal/record-access/")
    assert "Released my record" in accounting.text
    assert RIVERA in accounting.text
    assert "by fax" in accounting.text
    # Alex's accounting does not list Jordan's copy.
    sign_in_with_mfa(client, partner_b.user)
    assert RIVERA not in client.get("/portal/record-access/").text


def test_a_copy_under_consent_leaves_out_the_other_partners_own_items(
    partner_record_data,  # noqa: F811
    records_staff,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """Alex shares his goals and check-ins with Jordan; that is no consent for Jordan's
    recipient to read them. Jordan's own request (to Jordan) still carries them."""
    jordan, alex = partner_record_data.jordan, partner_record_data.alex
    monkeypatch.setattr(pdf, "pdf_available", lambda: False)  # the summary as HTML, to read
    couple_services.consent_grant(
        partner=alex, shares_goals=True, shares_checkins=True, by=alex.user
    )
    for_rivera = produced(
        log_consent(jordan, records_staff), records_staff, django_capture_on_commit_callbacks
    )
    services_requests.records_request_deliver(
        records_request=for_rivera,
        delivered_on=today(),
        method=RecordsRequest.DeliveryMethod.MAIL,
        by=records_staff,
    )
    for_jordan = produced(
        services_requests.records_request_log(
            partner=jordan,
            source=RecordsRequest.Source.PATIENT,
            received_on=today(),
            form=RecordsRequest.Form.BOTH,
            by=records_staff,
        ),
        records_staff,
        django_capture_on_commit_callbacks,
    )

    rivera_bundle = for_rivera.export.bundle
    assert "Morning walk" not in rivera_bundle
    assert "Call my sponsor" in rivera_bundle  # Jordan's own goal
    assert json.loads(rivera_bundle)["resourceType"] == "Bundle"
    summary = bytes(for_rivera.export.summary).decode()
    assert RIVERA in summary  # the document says to whom it was released
    assert "Morning walk" not in summary
    assert "Morning walk" in for_jordan.export.bundle


def test_the_clock_counts_thirty_days_in_the_clinics_days(clock, partner_a, records_staff):
    logged = log_consent(partner_a, records_staff, received_on=today())

    assert days_left_words(logged.due_on, today()) == "30 days left"
    clock.moment = START + datetime.timedelta(days=29)
    assert days_left_words(logged.due_on, today()) == "1 day left"
    clock.moment = START + datetime.timedelta(days=30)
    assert days_left_words(logged.due_on, today()) == "Due today"
    clock.moment = START + datetime.timedelta(days=33)
    assert days_left_words(logged.due_on, today()) == "3 days overdue"


def test_the_database_holds_the_due_date_to_thirty_days(clock, partner_a, records_staff):
    logged = log_consent(partner_a, records_staff)

    with pytest.raises(IntegrityError), transaction.atomic():
        RecordsRequest.objects.filter(pk=logged.pk).update(
            due_on=logged.received_on + datetime.timedelta(days=45)
        )


def test_the_database_refuses_a_delivery_without_its_method_and_person(
    clock, partner_a, records_staff
):
    logged = log_consent(partner_a, records_staff)

    with pytest.raises(IntegrityError), transaction.atomic():
        RecordsRequest.objects.filter(pk=logged.pk).update(
            status=RecordsRequest.Status.DELIVERED, delivered_on=today()
        )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"recipient": "  "}, "recipient", "Name the recipient"),
        ({"consent_reference": ""}, "consent_reference", "where the signed consent is filed"),
        ({"purpose": ""}, "purpose", "Choose what the consent releases"),
        ({"purpose": Purpose.OTHER}, "purpose_other", "Say what the record is for"),
        ({"received_on": "tomorrow"}, "received_on", "not after today"),
        ({"received_on": "long ago"}, "received_on", "at most a year ago"),
        (
            {"source": RecordsRequest.Source.PATIENT},
            "recipient",
            "A patient's own request goes to the patient",
        ),
        ({"recipient": "x" * 201}, "recipient", "at most 200 characters"),
    ],
)
def test_bad_input_is_refused_in_words_and_changes_nothing(
    clock, partner_a, records_staff, changes, field, words
):
    if changes.get("received_on") == "tomorrow":
        changes["received_on"] = today() + datetime.timedelta(days=1)
    elif changes.get("received_on") == "long ago":
        changes["received_on"] = today() - datetime.timedelta(days=400)
    events = AuditEvent.objects.count()

    with pytest.raises(ValidationError) as refused:
        log_consent(partner_a, records_staff, **changes)

    assert words in " ".join(refused.value.message_dict[field])
    assert not RecordsRequest.objects.exists()
    assert AuditEvent.objects.count() == events


def test_steps_out_of_order_are_refused(
    clock, partner_a, records_staff, django_capture_on_commit_callbacks
):
    logged = log_consent(partner_a, records_staff)
    with pytest.raises(ValidationError, match="Produce the copy first"):
        services_requests.records_request_deliver(
            records_request=logged, delivered_on=today(), method="mail", by=records_staff
        )

    done = produced(logged, records_staff, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError, match="The copy is ready"):
        services_requests.records_request_produce(records_request=done, by=records_staff)
    with pytest.raises(ValidationError, match="Choose how"):
        services_requests.records_request_deliver(
            records_request=done, delivered_on=today(), method="pigeon", by=records_staff
        )
    with pytest.raises(ValidationError, match="not after today"):
        services_requests.records_request_deliver(
            records_request=done,
            delivered_on=today() + datetime.timedelta(days=1),
            method="mail",
            by=records_staff,
        )
    assert not Disclosure.objects.exists()

    services_requests.records_request_deliver(
        records_request=done, delivered_on=today(), method="mail", by=records_staff
    )
    with pytest.raises(ValidationError, match="delivered already"):
        services_requests.records_request_withdraw(records_request=done, by=records_staff)
    assert Disclosure.objects.count() == 1


def test_a_copy_being_made_for_the_partner_is_not_taken_for_a_request(
    clock, partner_a, records_staff
):
    """Jordan's own copy is being prepared on the portal: producing waits for it."""
    from records import services_export

    services_export.export_request(partner=partner_a, by=partner_a.user)  # not run: no commit
    logged = log_consent(partner_a, records_staff)

    with pytest.raises(ValidationError, match="being prepared already"):
        services_requests.records_request_produce(records_request=logged, by=records_staff)

    logged.refresh_from_db()
    assert (logged.status, logged.export) == (RecordsRequest.Status.OPEN, None)


def test_an_expired_copy_is_produced_again(
    clock, partner_a, records_staff, django_capture_on_commit_callbacks
):
    done = produced(
        log_consent(partner_a, records_staff), records_staff, django_capture_on_commit_callbacks
    )
    first = done.export
    clock.moment = START + datetime.timedelta(days=2)

    again = produced(done, records_staff, django_capture_on_commit_callbacks)

    assert again.export != first and again.export.status == RecordExport.Status.READY


def test_withdrawing_closes_the_request_and_releases_nothing(clock, partner_a, records_staff):
    logged = log_consent(partner_a, records_staff)

    services_requests.records_request_withdraw(records_request=logged, by=records_staff)

    logged.refresh_from_db()
    assert logged.status == RecordsRequest.Status.WITHDRAWN
    with pytest.raises(ValidationError, match="withdrawn"):
        services_requests.records_request_produce(records_request=logged, by=records_staff)
    assert not Disclosure.objects.exists()
