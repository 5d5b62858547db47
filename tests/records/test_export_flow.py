""" "Download my record": asked for on the portal, built by the task, downloaded, disclosed."""

import datetime
import json

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from audit.models import AuditEvent
from records import pdf, services_export
from records.models import Disclosure, RecordExport
from tests.auth import sign_in_with_mfa

PAGE = "/portal/record/"
PREPARE = "/portal/record/prepare/"


def json_url(export) -> str:
    return f"/portal/record/{export.pk}/json/"


def summary_url(export) -> str:
    return f"/portal/record/{export.pk}/summary/"


def prepared(client, partner, django_capture_on_commit_callbacks) -> RecordExport:
    """Jordan taps "Prepare my copy"; the task runs (eagerly) once the request commits."""
    sign_in_with_mfa(client, partner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PREPARE)
    assert response.status_code == 302
    return RecordExport.objects.get(partner=partner)


def test_a_partner_asks_for_a_copy_and_downloads_both_files(
    client, partner_a, partner_b, django_capture_on_commit_callbacks
):
    export = prepared(client, partner_a, django_capture_on_commit_callbacks)

    assert export.status == RecordExport.Status.READY
    assert export.progress == 100
    assert export.expires_at == export.ready_at + datetime.timedelta(days=1)
    page = client.get(PAGE)
    assert json_url(export) in page.text and summary_url(export) in page.text
    assert "Available until" in page.text

    response = client.get(json_url(export))
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="record-{export.ready_at:%Y-%m-%d}.json"'
    )
    assert "no-store" in response["Cache-Control"]
    bundle = Bundle.model_validate_json(response.content)
    assert bundle.type == "collection"
    patients = [e.resource for e in bundle.entry if e.resource.__resource_type__ == "Patient"]
    assert patients
    assert json.loads(response.content)["resourceType"] == "Bundle"

    summary = client.get(summary_url(export))
    assert summary.status_code == 200
    assert summary["Content-Disposition"].startswith('attachment; filename="record-')
    assert partner_a.user.first_name not in summary["Content-Disposition"]
    assert "no-store" in summary["Cache-Control"]


def test_the_summary_is_a_pdf_with_the_part2_notice(
    client, partner_a, partner_b, django_capture_on_commit_callbacks, laid_out
):
    from tests.records.conftest import document_text

    export = prepared(client, partner_a, django_capture_on_commit_callbacks)

    response = client.get(summary_url(export))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    words = document_text(laid_out[-1])
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in words
    assert "Copy of my record" in words
    assert "(patient's own copy)" in words or "(patient’s own copy)" in words
    assert "Daily check-ins" in words and "Sharing consents" in words


def test_without_pango_the_summary_is_a_page_to_print(
    client, partner_a, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "_weasyprint", lambda: (None, "OSError: no Pango"))

    export = prepared(client, partner_a, django_capture_on_commit_callbacks)

    response = client.get(summary_url(export))
    assert export.summary_format == RecordExport.SummaryFormat.HTML
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Disposition"].endswith('.html"')
    assert "42 CFR part 2" in response.content.decode()


def test_two_taps_make_one_copy(partner_a):
    first = services_export.export_request(partner=partner_a, by=partner_a.user)
    second = services_export.export_request(partner=partner_a, by=partner_a.user)

    assert second == first
    assert RecordExport.objects.filter(partner=partner_a).count() == 1


def test_the_database_refuses_a_second_copy_in_progress(partner_a):
    from django.db import IntegrityError, transaction

    services_export.export_request(partner=partner_a, by=partner_a.user)
    with pytest.raises(IntegrityError), transaction.atomic():
        RecordExport.objects.create(
            partner=partner_a, requested_by=partner_a.user, requested_at=timezone.now()
        )


def test_the_request_enqueues_the_build_once_committed(
    partner_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = services_export.export_request(partner=partner_a, by=partner_a.user)

    assert len(callbacks) == 1
    assert export.status == RecordExport.Status.QUEUED


def test_while_being_prepared_the_page_shows_progress_and_reloads(client, partner_a):
    export = services_export.export_request(partner=partner_a, by=partner_a.user)
    RecordExport.objects.filter(pk=export.pk).update(status="working", progress=60)
    sign_in_with_mfa(client, partner_a.user)

    response = client.get(PAGE)

    assert '<progress id="export-progress" class="w-100" max="100" value="60">' in response.text
    assert response["Refresh"] == "3"
    assert "Prepare my copy" not in response.text
    assert client.get(json_url(export)).status_code == 404


def test_building_twice_builds_once(partner_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = services_export.export_request(partner=partner_a, by=partner_a.user)

    assert services_export.export_build(export_id=export.pk) is None
    assert services_export.export_build(export_id=0) is None
    assert Disclosure.objects.filter(export=export).count() == 1


def test_a_failure_keeps_a_short_error_without_health_detail_and_asking_again_works(
    client, partner_a, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(record):
        raise ValueError(f"PHQ-9 total 27 for {record.partner.display_name}")

    monkeypatch.setattr(services_export, "bundle_json", broken)
    failed = prepared(client, partner_a, django_capture_on_commit_callbacks)

    assert failed.status == RecordExport.Status.FAILED
    assert "PHQ" not in failed.error and "Jordan" not in failed.error
    assert failed.error in client.get(PAGE).text
    assert not Disclosure.objects.exists()

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(PREPARE)
    assert RecordExport.objects.filter(partner=partner_a, status="ready").count() == 1


def test_the_copy_is_disclosed_to_the_partner_and_shows_in_their_accounting(
    client, partner_a, django_capture_on_commit_callbacks
):
    export = prepared(client, partner_a, django_capture_on_commit_callbacks)

    disclosure = Disclosure.objects.get()
    assert disclosure.kind == Disclosure.Kind.EXPORT
    assert disclosure.export == export
    assert disclosure.partner == partner_a
    assert disclosure.purpose == Disclosure.Purpose.PATIENT
    assert disclosure.recipient.endswith("(patient's own copy)")
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert (event.patient_id, event.target_type) == (partner_a.pk, "records.RecordExport")

    accounting = client.get("/portal/record-access/")
    assert "Downloaded a copy of my record" in accounting.text
    assert "Your own copy" in accounting.text


def test_each_download_is_audited(client, partner_a, django_capture_on_commit_callbacks):
    export = prepared(client, partner_a, django_capture_on_commit_callbacks)

    client.get(json_url(export))
    client.get(summary_url(export))

    downloads = AuditEvent.objects.filter(
        action=AuditEvent.Action.READ, target_type="records.RecordExport", allowed=True
    )
    assert sorted(event.detail["downloaded"] for event in downloads) == ["bundle", "summary"]
    assert {event.patient_id for event in downloads} == {partner_a.pk}


def test_the_more_page_links_to_the_download_page(client, partner_a):
    sign_in_with_mfa(client, partner_a.user)

    response = client.get("/portal/more/")

    assert f'href="{PAGE}"' in response.text


def test_the_page_says_what_the_copy_holds(client, partner_a):
    sign_in_with_mfa(client, partner_a.user)

    response = client.get(PAGE)

    assert response.status_code == 200
    assert "only where their consent shares them" in response.text
    assert "Prepare my copy" in response.text
