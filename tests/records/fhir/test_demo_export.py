"""Every demo partner's whole record exports as one valid R4B Bundle (the acceptance's "an
export of a demo partner's full record validates as a whole Bundle"), in the same number of
queries whatever the partner's record holds."""

import json
from collections import Counter

import pytest
from fhir.resources.R4B.bundle import Bundle

from couples.models import Partner
from records.fhir.bundle import bundle_json
from records.fhir.collect import RECORD_QUERIES, record_for_partner

pytestmark = pytest.mark.timeshift


def test_every_demo_partners_record_is_one_valid_bundle(
    demo_seeded_once, db, django_assert_max_num_queries
):
    partners = list(Partner.objects.select_related("user").order_by("pk"))
    assert len(partners) >= 4
    kinds = Counter()
    for partner in partners:
        with django_assert_max_num_queries(RECORD_QUERIES):
            record = record_for_partner(partner=partner)
        text = bundle_json(record)

        bundle = Bundle.model_validate_json(text)
        assert bundle.type == "collection"
        resources = [entry["resource"] for entry in json.loads(text)["entry"]]
        kinds.update(resource["resourceType"] for resource in resources)
        urls = {entry.fullUrl for entry in bundle.entry}
        assert len(urls) == len(bundle.entry)
        assert resources[-1]["resourceType"] == "Provenance"
    # Across the demo clinic, every kind of resource the mapping makes appears.
    assert {
        "Patient",
        "Group",
        "RelatedPerson",
        "Practitioner",
        "CareTeam",
        "Organization",
        "Goal",
        "Observation",
        "QuestionnaireResponse",
        "Appointment",
        "Encounter",
        "Coverage",
        "Consent",
        "DocumentReference",
        "Provenance",
    } <= set(kinds), kinds
