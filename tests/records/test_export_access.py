"""A copy of a partner's record is theirs alone, for one day."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from insurance.permissions import insurance_staff_group
from records import services_export
from records.models import RecordExport
from tests.auth import sign_in_with_mfa
from tests.clock import Clock
from tests.factories import GoalFactory, PartnerFactory, UserFactory

PAGE = "/portal/record/"
START = datetime.datetime(2030, 4, 10, 15, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock(time_machine):
    return Clock(time_machine, START)


@pytest.fixture
def ready(partner_a, partner_b, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services_export.export_request(partner=partner_a, by=partner_a.user)
    export.refresh_from_db()
    assert export.status == RecordExport.Status.READY
    return export


def urls(export) -> list[str]:
    return [f"/portal/record/{export.pk}/json/", f"/portal/record/{export.pk}/summary/"]


def insurance_staff():
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    return user


@pytest.mark.parametrize(
    "visitor",
    ["the_other_partner", "another_couples_partner", "clinician", "insurance_staff"],
)
def test_anyone_else_gets_an_audited_404_on_the_downloads(
    client, ready, partner_b, couples_therapist, visitor
):
    user = {
        "the_other_partner": lambda: partner_b.user,
        "another_couples_partner": lambda: PartnerFactory().user,
        "clinician": lambda: couples_therapist.user,
        "insurance_staff": insurance_staff,
    }[visitor]()
    sign_in_with_mfa(client, user)

    for url in urls(ready):
        assert client.get(url).status_code == 404
    refused = AuditEvent.objects.filter(actor=user, allowed=False)
    assert refused.count() == 2
    assert refused.first().detail["target_type"] == "records.RecordExport"


def test_anonymous_visitors_are_sent_to_sign_in(client, ready):
    for url in [*urls(ready), PAGE]:
        assert client.get(url).status_code == 302


def test_clinicians_and_staff_get_the_portals_refusal_on_the_page(client, couples_therapist, staff):
    for user in (couples_therapist.user, staff):
        client.logout()
        sign_in_with_mfa(client, user)
        assert client.get(PAGE).status_code == 403
        assert client.post("/portal/record/prepare/").status_code == 403
    assert not RecordExport.objects.exists()


def test_the_other_partners_own_goal_is_not_in_the_copy_without_consent(
    client, ready, partner_a, partner_b, django_capture_on_commit_callbacks
):
    GoalFactory(couple=partner_b.couple, partner=partner_b, title="Alex's private goal")
    with django_capture_on_commit_callbacks(execute=True):
        export = services_export.export_request(partner=partner_a, by=partner_a.user)
    export.refresh_from_db()

    assert "Alex's private goal" not in export.bundle
    assert b"Alex's private goal" not in bytes(export.summary)


def test_after_a_day_the_download_is_gone_and_the_sweep_clears_the_files(
    client, clock, partner_a, partner_b, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        export = services_export.export_request(partner=partner_a, by=partner_a.user)
    sign_in_with_mfa(client, partner_a.user)
    assert client.get(urls(export)[0]).status_code == 200

    # Signed in again at each moment: a day's idle session has timed out.
    clock.moment = START + datetime.timedelta(hours=23, minutes=59)
    sign_in_with_mfa(client, partner_a.user)
    assert client.get(urls(export)[0]).status_code == 200

    clock.moment = START + datetime.timedelta(days=1)
    sign_in_with_mfa(client, partner_a.user)
    for url in urls(export):
        gone = client.get(url)
        assert gone.status_code == 410
        assert "This copy has expired" in gone.text
    assert "was deleted a day after it was ready" in client.get(PAGE).text

    assert services_export.export_expire() == 1
    assert services_export.export_expire() == 0
    export.refresh_from_db()
    assert export.status == RecordExport.Status.EXPIRED
    assert (export.bundle, export.summary) == ("", None)
    assert client.get(urls(export)[1]).status_code == 410


def test_the_sweep_fails_a_copy_whose_worker_was_lost(clock, partner_a):
    lost = services_export.export_request(partner=partner_a, by=partner_a.user)

    clock.moment = START + datetime.timedelta(hours=2)
    services_export.export_expire()

    lost.refresh_from_db()
    assert lost.status == RecordExport.Status.FAILED
    again = services_export.export_request(partner=partner_a, by=partner_a.user)
    assert again != lost


def test_the_expire_task_runs_the_sweep(clock, ready):
    from records.tasks import export_expire_task

    clock.moment = START + datetime.timedelta(days=2)

    assert export_expire_task.delay().get() == 1
    assert export_expire_task.delay().get() == 0


def _ready_copies(partner, count: int) -> None:
    now = timezone.now()
    for hours in range(count):
        RecordExport.objects.create(
            partner=partner,
            requested_by=partner.user,
            status="ready",
            progress=100,
            requested_at=now - datetime.timedelta(hours=hours),
            ready_at=now - datetime.timedelta(hours=hours),
            expires_at=now + datetime.timedelta(hours=24 - hours),
            bundle='{"resourceType": "Bundle"}' * 1000,
            summary=b"%PDF-" * 1000,
            summary_format="pdf",
        )


@pytest.mark.parametrize("copies", [1, 20])
def test_the_page_costs_the_same_few_queries_however_many_copies(
    client, partner_a, copies, django_assert_max_num_queries
):
    _ready_copies(partner_a, copies)
    sign_in_with_mfa(client, partner_a.user)
    client.get(PAGE)

    # The session, the user, the partner with their couple, the latest copy (no files).
    with django_assert_max_num_queries(4):
        response = client.get(PAGE)
    assert response.status_code == 200


@pytest.mark.parametrize("copies", [1, 20])
def test_a_download_costs_the_same_few_queries(
    client, partner_a, copies, django_assert_max_num_queries
):
    _ready_copies(partner_a, copies)
    latest = RecordExport.objects.filter(partner=partner_a).latest("pk")
    sign_in_with_mfa(client, partner_a.user)
    client.get(PAGE)

    # The session, the user, the copy with its partner (one file), and the audit event (lock
    # the chain head, insert, move the head).
    with django_assert_max_num_queries(6):
        response = client.get(urls(latest)[0])
    assert response.status_code == 200
