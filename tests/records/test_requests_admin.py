"""Records requests in the admin: the work queue, the steps, the files, and who may."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from insurance.permissions import insurance_staff_group
from records import services_requests
from records.models import Disclosure, Purpose, RecordExport, RecordsRequest
from records.permissions import records_staff_group
from tests.auth import sign_in_with_mfa
from tests.clock import Clock
from tests.factories import PartnerFactory, StaffUserFactory, UserFactory

START = datetime.datetime(2030, 4, 8, 18, 0, tzinfo=datetime.UTC)
QUEUE = "/admin/records/recordsrequest/"
RIVERA = "Dr. Ana Rivera, Oak Street Residential"


@pytest.fixture
def clock(time_machine):
    return Clock(time_machine, START)


@pytest.fixture
def records_staff(db):
    user = UserFactory(is_staff=True, first_name="Rita")
    user.groups.add(records_staff_group())
    return user


@pytest.fixture
def desk(clock, client, records_staff):
    sign_in_with_mfa(client, records_staff)
    return client


def today() -> datetime.date:
    return timezone.localdate()


def logged(partner, by, *, received_on=None) -> RecordsRequest:
    return services_requests.records_request_log(
        partner=partner,
        source=RecordsRequest.Source.CONSENT,
        recipient=RIVERA,
        consent_reference="Consents binder, p. 14",
        purpose=Purpose.CONTINUITY,
        received_on=received_on or today(),
        form=RecordsRequest.Form.BOTH,
        by=by,
    )


def urls(records_request) -> dict[str, str]:
    base = f"{QUEUE}{records_request.pk}/"
    return {
        "change": f"{base}change/",
        "produce": f"{base}produce/",
        "deliver": f"{base}deliver/",
        "withdraw": f"{base}withdraw/",
        "json": f"{base}copy/json/",
        "summary": f"{base}copy/summary/",
    }


def test_staff_log_produce_download_and_deliver_from_the_admin(
    desk, clock, partner_a, partner_b, records_staff, django_capture_on_commit_callbacks
):
    page = desk.get(f"{QUEUE}add/", follow=True)
    assert page.status_code == 200 and "Log a records request" in page.text

    response = desk.post(
        f"{QUEUE}log/",
        {
            "partner": partner_a.pk,
            "source": "consent",
            "recipient": RIVERA,
            "consent_reference": "Consents binder, p. 14",
            "purpose": "continuity",
            "received_on": today().isoformat(),
            "form": "both",
        },
    )
    records_request = RecordsRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == urls(records_request)["change"]
    assert records_request.logged_by == records_staff

    page = desk.get(urls(records_request)["change"])
    assert page.status_code == 200
    assert "30 days left" in page.text and "Produce the copy" in page.text
    assert desk.get(urls(records_request)["produce"]).status_code == 200  # the confirmation
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(urls(records_request)["produce"])
    assert response.status_code == 302
    records_request.refresh_from_db()
    assert records_request.export.status == RecordExport.Status.READY

    page = desk.get(urls(records_request)["change"])
    assert urls(records_request)["json"] in page.text and "Record delivery" in page.text
    download = desk.get(urls(records_request)["json"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/fhir+json"
    assert download["Content-Disposition"].startswith('attachment; filename="record-')
    assert partner_a.user.last_name not in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert desk.get(urls(records_request)["summary"]).status_code == 200
    reads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, target_type="records.RecordExport", actor=records_staff
    )
    assert reads.count() == 2

    response = desk.post(
        urls(records_request)["deliver"],
        {"delivered_on": today().isoformat(), "delivery_method": "fax", "delivery_note": "OK"},
    )
    assert response.status_code == 302
    records_request.refresh_from_db()
    assert records_request.status == RecordsRequest.Status.DELIVERED
    assert Disclosure.objects.get().recipient == RIVERA


def test_a_consent_without_recipient_is_refused_on_the_form_and_nothing_is_logged(
    desk, clock, partner_a
):
    events = AuditEvent.objects.filter(allowed=True).exclude(action="read").count()

    response = desk.post(
        f"{QUEUE}log/",
        {
            "partner": partner_a.pk,
            "source": "consent",
            "recipient": "",
            "consent_reference": "Binder",
            "purpose": "continuity",
            "received_on": (today() + datetime.timedelta(days=3)).isoformat(),
            "form": "both",
        },
    )

    assert response.status_code == 200
    # Both refusals at once, each on its field.
    assert "Name the recipient, as the signed consent names them." in response.text
    assert "not after today" in response.text
    assert not RecordsRequest.objects.exists()
    assert AuditEvent.objects.filter(allowed=True).exclude(action="read").count() == events


def test_the_received_date_in_the_future_is_refused_on_the_form(desk, clock, partner_a):
    response = desk.post(
        f"{QUEUE}log/",
        {
            "partner": partner_a.pk,
            "source": "patient",
            "received_on": (today() + datetime.timedelta(days=3)).isoformat(),
            "form": "both",
        },
    )

    assert response.status_code == 200
    assert "not after today" in response.text
    assert not RecordsRequest.objects.exists()


def test_the_queue_puts_waiting_requests_first_with_their_clock(
    desk, clock, records_staff, django_capture_on_commit_callbacks
):
    overdue = logged(PartnerFactory(), records_staff, received_on=today())
    due_today = logged(PartnerFactory(), records_staff, received_on=today())
    later = logged(PartnerFactory(), records_staff, received_on=today())
    withdrawn = logged(
        PartnerFactory(), records_staff, received_on=today() - datetime.timedelta(days=5)
    )
    services_requests.records_request_withdraw(records_request=withdrawn, by=records_staff)
    # Received on different days: move the stored dates as the service would have set them.
    for records_request, days_ago in ((overdue, 33), (due_today, 30), (later, 18)):
        received_on = today() - datetime.timedelta(days=days_ago)
        RecordsRequest.objects.filter(pk=records_request.pk).update(
            received_on=received_on, due_on=received_on + datetime.timedelta(days=30)
        )

    page = desk.get(QUEUE)

    rows = list(page.context["cl"].result_list)
    assert rows == [overdue, due_today, later, withdrawn]
    assert '<strong class="records-overdue">3 days overdue</strong>' in page.text
    assert "Due today" in page.text and "12 days left" in page.text
    assert "records/admin.css" in page.text
    overdue_only = desk.get(QUEUE + "?clock=overdue")
    assert list(overdue_only.context["cl"].result_list) == [overdue]
    withdrawn_only = desk.get(QUEUE + "?status__exact=withdrawn")
    assert list(withdrawn_only.context["cl"].result_list) == [withdrawn]


@pytest.mark.parametrize("count", [1, 15])
def test_the_queue_costs_the_same_queries_for_1_and_15_requests(
    desk,
    clock,
    records_staff,
    count,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    for number in range(count):
        records_request = logged(PartnerFactory(), records_staff)
        if number % 2:  # half of them with a copy ready, shown as links
            with django_capture_on_commit_callbacks(execute=True):
                services_requests.records_request_produce(
                    records_request=records_request, by=records_staff
                )

    # The session, the user, their permissions; the page's count and its rows (the patient,
    # the copy without its files and the staff joined in); the list view's audit event (the
    # chain head, the event, the head moved); the session saved again (savepoint, update,
    # release).
    with django_assert_num_queries(11) as queries:
        page = desk.get(QUEUE)

    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == count
    assert not any('"bundle"' in query["sql"] for query in queries.captured_queries)


def insurance_staff_user():
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    return user


@pytest.mark.parametrize("who", ["insurance_staff", "plain_staff"])
def test_anyone_else_in_the_admin_gets_an_audited_404_everywhere(
    client, clock, who, records_staff, partner_a, django_capture_on_commit_callbacks
):
    records_request = logged(partner_a, records_staff)
    with django_capture_on_commit_callbacks(execute=True):
        services_requests.records_request_produce(records_request=records_request, by=records_staff)
    visitor = insurance_staff_user() if who == "insurance_staff" else UserFactory(is_staff=True)
    sign_in_with_mfa(client, visitor)
    pages = [QUEUE, f"{QUEUE}add/", f"{QUEUE}log/", *urls(records_request).values()]

    for url in pages:
        denials = AuditEvent.objects.filter(actor=visitor, allowed=False).count()
        got = client.get(url)
        posted = client.post(url, {"delivered_on": today().isoformat(), "delivery_method": "fax"})
        assert (url, got.status_code, posted.status_code) == (url, 404, 404)
        assert AuditEvent.objects.filter(actor=visitor, allowed=False).count() == denials + 2
    assert client.get("/admin/records/").status_code == 404
    assert "Records requests" not in client.get("/admin/").text
    records_request.refresh_from_db()
    assert records_request.status == RecordsRequest.Status.PRODUCED
    assert not AuditEvent.objects.filter(actor=visitor, allowed=True, patient=partner_a).exists()


def test_the_files_answer_404_to_someone_not_signed_in(
    clock, records_staff, partner_a, django_capture_on_commit_callbacks
):
    records_request = logged(partner_a, records_staff)
    with django_capture_on_commit_callbacks(execute=True):
        services_requests.records_request_produce(records_request=records_request, by=records_staff)

    anonymous = Client()
    assert anonymous.get(urls(records_request)["json"]).status_code == 404
    assert anonymous.get(QUEUE).status_code == 302  # the admin's sign-in, as for every page


def test_a_superuser_works_the_queue(client, clock, partner_a):
    superuser = StaffUserFactory()
    sign_in_with_mfa(client, superuser)
    records_request = logged(partner_a, superuser)

    assert client.get(QUEUE).status_code == 200
    assert client.get(urls(records_request)["change"]).status_code == 200


def test_partners_and_clinicians_meet_the_admin_sign_in_and_a_404_on_the_files(
    client, clock, records_staff, partner_a, clinician, django_capture_on_commit_callbacks
):
    """What the access matrix expects of visitors who are not staff: the admin's pages send
    them to its sign-in (302), the files answer an audited 404."""
    records_request = logged(partner_a, records_staff)
    with django_capture_on_commit_callbacks(execute=True):
        services_requests.records_request_produce(records_request=records_request, by=records_staff)
    pages = urls(records_request)

    for visitor in (partner_a.user, clinician.user):
        sign_in_with_mfa(client, visitor)
        assert client.get(QUEUE).status_code == 302
        assert client.get(pages["change"]).status_code == 302
        assert client.post(pages["produce"]).status_code == 302
        assert client.post(pages["deliver"]).status_code == 302
        denials = AuditEvent.objects.filter(actor=visitor, allowed=False).count()
        assert client.get(pages["json"]).status_code == 404
        assert client.get(pages["summary"]).status_code == 404
        assert AuditEvent.objects.filter(actor=visitor, allowed=False).count() == denials + 2
    records_request.refresh_from_db()
    assert records_request.status == RecordsRequest.Status.PRODUCED
