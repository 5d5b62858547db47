"""Building a partner's copy: the summary from the record as read, in a fixed number of queries."""

import pytest
from django.utils import timezone

from couples import services as couple_services
from records import pdf, services_export
from records.documents import Handover, document_html
from records.fhir.collect import record_for_partner
from records.models import RecordExport
from tests.records.fhir.conftest import checkins, partner_record_data  # noqa: F401


def queued(partner) -> RecordExport:
    return services_export.export_request(partner=partner, by=partner.user)


def summary_of(record) -> str:
    export = RecordExport(partner=record.partner, requested_at=timezone.now())
    release = services_export.summary_release(record=record, export=export)
    handover = Handover(
        recipient="Jordan (patient's own copy)", purpose="x", at=export.requested_at, by="x"
    )
    return document_html(release=release, handover=handover, for_pdf=False)


def test_the_summary_reads_nothing_more_from_the_database(
    partner_record_data,  # noqa: F811
    django_assert_num_queries,
):
    record = record_for_partner(partner=partner_record_data.jordan)

    with django_assert_num_queries(0):
        html = summary_of(record)

    for heading in ("Care team", "Goals", "Daily check-ins", "Measures", "Sessions and attendance"):
        assert heading in html
    assert "Call my sponsor" in html and "Talk after dinner" in html
    assert "Morning walk" not in html  # Alex's own goal: no consent
    assert "One score so far" in html
    assert "Both named one trigger each." in html


def test_with_consent_the_summary_shows_whose_check_ins_they_are(
    partner_record_data,  # noqa: F811
):
    alex = partner_record_data.alex
    couple_services.consent_grant(
        partner=alex, shares_goals=True, shares_checkins=True, by=alex.user
    )

    html = summary_of(record_for_partner(partner=partner_record_data.jordan))

    assert "Morning walk" in html
    assert '<th scope="col">Whose</th>' in html
    assert "check-ins are and" in html


def test_the_other_partners_scores_are_in_the_summary_only_while_their_consent_shares_them(
    partner_record_data,  # noqa: F811
):
    jordan, alex = partner_record_data.jordan, partner_record_data.alex
    heading = f"{alex.display_name}’s scores, shared with me"
    couple_services.consent_grant(
        partner=alex, shares_goals=True, shares_checkins=True, by=alex.user
    )
    without = summary_of(record_for_partner(partner=jordan))
    assert heading not in without
    assert "questionnaire scores are not," in without

    couple_services.consent_revoke(consent=alex.consents_given.get(), by=alex.user)
    couple_services.consent_grant(
        partner=alex,
        shares_goals=False,
        shares_checkins=False,
        shares_measures=True,
        by=alex.user,
    )
    shared = summary_of(record_for_partner(partner=jordan))
    assert heading in shared
    assert "questionnaire scores are," in shared
    assert "Questionnaire scores" in shared  # the consent's row says what it shares


@pytest.mark.parametrize("days", [0, 362])
def test_building_a_copy_costs_the_same_queries_however_long_the_record(
    partner_record_data,  # noqa: F811
    monkeypatch,
    days,
    django_assert_max_num_queries,
):
    # The PDF's layout is timed elsewhere (tests/records/test_pdf.py); here only the reads.
    monkeypatch.setattr(pdf, "_weasyprint", lambda: (None, "not here"))
    jordan = partner_record_data.jordan
    checkins(jordan, days=days, before=3)  # before the fixture's three
    export = queued(jordan)

    # Claim, load, the record (records.fhir.collect: 12), three progress writes, the ready
    # row, the disclosure and its audit event (three): 22; and inside the test's transaction,
    # a savepoint and its release for each of the two nested transactions: 26.
    with django_assert_max_num_queries(26):
        services_export.export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == RecordExport.Status.READY
