"""The other partner's questionnaire scores in a partner's copy (records.fhir.collect and the
Bundle, read from the JSON): absent without their consent, present with it (scores only,
their answers never), following the consent in force at the moment of the copy.

Jordan's copy; Alex is the other partner (records/fhir/conftest.py, partner_record_data).
"""

import dataclasses
import datetime
import json

import pytest
from django.utils import timezone

from couples import services as couple_services
from couples.queries import couple_today
from measures import services as measure_services
from records.fhir import mapping
from records.fhir.bundle import bundle_json
from records.fhir.collect import RECORD_QUERIES, record_for_partner
from tests.records.fhir.conftest import scored
from tests.records.fhir.test_bundle import exported, ids_of, our_id, references_in, resources
from tests.records.fhir.test_collect import grow, walk


def share(partner, *, measures=True, expires_on=None):
    return couple_services.consent_grant(
        partner=partner,
        shares_goals=True,
        shares_checkins=True,
        shares_measures=measures,
        expires_on=expires_on,
        by=partner.user,
    )


def scores_of(bundle: dict, partner) -> set[int]:
    """Ids of the measure totals (Observations) in the bundle whose subject is the partner's
    Patient."""
    patient = mapping.full_url("partner", partner.pk)
    return {
        our_id(o, "measure-total")
        for o in resources(bundle, "Observation")
        if our_id(o, "measure-total") is not None and o["subject"]["reference"] == patient
    }


def answers_of(bundle: dict, partner) -> list[dict]:
    patient = mapping.full_url("partner", partner.pk)
    return [
        r
        for r in resources(bundle, "QuestionnaireResponse")
        if r["subject"]["reference"] == patient
    ]


def test_the_other_partners_measures_are_absent_from_the_json_without_consent(
    partner_record_data,
):
    data = partner_record_data
    share(data.alex, measures=False)  # goals and check-ins only

    bundle = exported(data.jordan)

    assert not scores_of(bundle, data.alex) and not answers_of(bundle, data.alex)
    assert scores_of(bundle, data.jordan) == {data.ours.first_measure.pk}
    record = record_for_partner(partner=data.jordan)
    assert not record.other_measures_shared and record.other_measures == []


def test_the_other_partners_measures_are_present_in_the_json_with_consent(partner_record_data):
    data = partner_record_data
    consent = share(data.alex)

    bundle = exported(data.jordan)

    alex = mapping.full_url("partner", data.alex.pk)
    assert alex in {f"urn:uuid:{p['id']}" for p in resources(bundle, "Patient")}
    assert scores_of(bundle, data.alex) == {data.ours.second_measure.pk}
    [total] = [
        o
        for o in resources(bundle, "Observation")
        if our_id(o, "measure-total") == data.ours.second_measure.pk
    ]
    assert total["subject"]["reference"] == alex
    assert total["code"]["coding"][0]["code"] == "44261-6"  # PHQ-9 total
    assert total["valueInteger"] == data.ours.second_measure.total
    # Scores, not answers: no QuestionnaireResponse of Alex's, nothing derived from one.
    assert not answers_of(bundle, data.alex) and "derivedFrom" not in total
    # Jordan's own measures still carry their answers.
    assert data.ours.first_measure.pk in ids_of(bundle, "QuestionnaireResponse", "measure-response")
    # The consent that shares them travels with them and says so.
    [given] = [c for c in resources(bundle, "Consent") if our_id(c, "consent") == consent.pk]
    assert "measures" in {c["coding"][0]["code"] for c in given["provision"]["code"]}
    assert set(references_in(resources(bundle))) <= {e["fullUrl"] for e in bundle["entry"]}


def test_only_completed_self_report_measures_are_shared(partner_record_data):
    data = partner_record_data
    phq9 = data.ours.second_measure
    screen = measure_services.response_start(
        partner=data.alex, instrument="cssrs", due_on=None, by=data.alex.user, follows=phq9
    )
    measure_services.response_complete(
        response=screen, answers={"q1": 0, "q2": 0, "q6": 0}, by=data.alex.user
    )
    unfinished = measure_services.response_start(
        partner=data.alex, instrument="gad7", due_on=None, by=data.alex.user
    )
    share(data.alex)

    record = record_for_partner(partner=data.jordan)

    assert record.other_measures_shared
    assert [r.pk for r in record.other_measures] == [phq9.pk]
    assert screen.pk not in scores_of(exported(data.jordan), data.alex)
    assert unfinished.pk not in {r.pk for r in record.other_measures}
    # Jordan's own list is Jordan's alone.
    assert {r.partner_id for r in record.measures} == {data.jordan.pk}


def test_the_consent_in_force_at_the_moment_of_the_copy_decides(partner_record_data, time_machine):
    data = partner_record_data
    before_grant = timezone.now()
    time_machine.move_to(before_grant + datetime.timedelta(minutes=1), tick=False)
    consent = share(data.alex)
    while_shared = timezone.now()
    time_machine.move_to(while_shared + datetime.timedelta(minutes=1), tick=False)
    couple_services.consent_revoke(consent=consent, by=data.alex.user)

    def alexs_scores(at):
        record = record_for_partner(partner=data.jordan, at=at)
        return scores_of(json.loads(bundle_json(record)), data.alex)

    assert alexs_scores(before_grant) == set()
    assert alexs_scores(while_shared) == {data.ours.second_measure.pk}
    assert alexs_scores(None) == set()  # revoked now


def test_an_expired_consent_shares_no_scores(partner_record_data):
    data = partner_record_data
    share(data.alex, expires_on=couple_today(couple=data.alex.couple))

    today = record_for_partner(partner=data.jordan)
    later = record_for_partner(partner=data.jordan, at=timezone.now() + datetime.timedelta(days=2))

    assert today.other_measures_shared and today.other_measures
    assert not later.other_measures_shared and later.other_measures == []


def test_a_copy_without_the_other_partners_consents_carries_none_of_their_scores(
    partner_record_data,
):
    """A copy for a recipient outside the couple leaves the other partner's consents out
    (records.services_export): their scores go with them."""
    data = partner_record_data
    share(data.alex)
    record = record_for_partner(partner=data.jordan)
    stripped = dataclasses.replace(
        record, consents=[c for c in record.consents if c.partner_id != data.alex.pk]
    )

    assert not scores_of(json.loads(bundle_json(stripped)), data.alex)


@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_sharing_scores_costs_no_further_query(
    partner_record_data, large, django_assert_max_num_queries
):
    data = partner_record_data
    share(data.alex)
    share(data.jordan)
    if large:
        grow(data)
        for code in ("gad7", "bam", "csi4", "gad7"):
            scored(data.alex, code, total=2, days_ago=6)

    # The same twelve as without scores: Alex's come in the measures' one query.
    with django_assert_max_num_queries(RECORD_QUERIES):
        record = record_for_partner(partner=data.jordan)
    with django_assert_max_num_queries(0):
        walk(record)
        for response in record.other_measures:
            str(response.partner.user.email), str(response.couple), str(response.entered_by)
        bundle_json(record)

    assert RECORD_QUERIES == 12
    assert len(record.other_measures) == (5 if large else 1)
