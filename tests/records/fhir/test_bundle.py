"""A partner's record as one FHIR R4 Bundle (records.fhir.bundle): it parses back as an R4B
Bundle, every reference resolves inside it, a Provenance names the clinic, and it carries
what the partner's copy may carry and nothing else (read from the JSON)."""

import dataclasses
import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from couples import services as couple_services
from records.fhir import mapping
from records.fhir.bundle import bundle_for, bundle_json
from records.fhir.collect import record_for_partner
from tests.factories import PartnerFactory

EVERY_TYPE = {
    "Organization",
    "Patient",
    "Group",
    "RelatedPerson",
    "Practitioner",
    "CareTeam",
    "Goal",
    "Observation",
    "QuestionnaireResponse",
    "Appointment",
    "Encounter",
    "Coverage",
    "Consent",
    "DocumentReference",
    "Provenance",
}


def exported(partner) -> dict:
    """The partner's export, checked to parse back as an R4B Bundle, as plain JSON."""
    text = bundle_json(record_for_partner(partner=partner))
    Bundle.model_validate_json(text)
    return json.loads(text)


def resources(bundle: dict, resource_type: str | None = None) -> list[dict]:
    return [
        entry["resource"]
        for entry in bundle["entry"]
        if resource_type is None or entry["resource"]["resourceType"] == resource_type
    ]


def our_id(resource: dict, kind: str) -> int | None:
    system = mapping.identifier_system(kind)
    identifiers = resource.get("identifier", [])
    if isinstance(identifiers, dict):
        identifiers = [identifiers]
    return next((int(i["value"]) for i in identifiers if i["system"] == system), None)


def ids_of(bundle: dict, resource_type: str, kind: str) -> set[int]:
    return {our_id(r, kind) for r in resources(bundle, resource_type)} - {None}


def references_in(value) -> list[str]:
    """Every `reference` anywhere inside a JSON value."""
    if isinstance(value, dict):
        found = [value["reference"]] if isinstance(value.get("reference"), str) else []
        return found + [ref for item in value.values() for ref in references_in(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references_in(item)]
    return []


def share(partner):
    return couple_services.consent_grant(
        partner=partner, shares_goals=True, shares_checkins=True, by=partner.user
    )


def test_a_partners_export_parses_back_as_a_collection_of_every_resource_type(
    partner_record_data,
):
    share(partner_record_data.jordan)

    bundle = exported(partner_record_data.jordan)

    assert bundle["type"] == "collection"
    assert {r["resourceType"] for r in resources(bundle)} == EVERY_TYPE
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(full_urls) == len(set(full_urls))
    assert all(e["fullUrl"] == f"urn:uuid:{e['resource']['id']}" for e in bundle["entry"])


def test_every_reference_resolves_within_the_bundle(partner_record_data):
    share(partner_record_data.alex)

    bundle = exported(partner_record_data.jordan)

    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}
    references = references_in(resources(bundle))
    assert references
    assert set(references) <= full_urls


def test_the_provenance_names_the_clinic_and_covers_every_other_entry(
    partner_record_data, settings
):
    settings.CLINIC_NAME = "Harbor Light Recovery"
    record = record_for_partner(partner=partner_record_data.jordan)

    bundle = json.loads(bundle_json(record))

    (provenance,) = resources(bundle, "Provenance")
    (clinic,) = [o for o in resources(bundle, "Organization") if o["name"] == settings.CLINIC_NAME]
    assert provenance["agent"][0]["who"]["reference"] == f"urn:uuid:{clinic['id']}"
    targets = {t["reference"] for t in provenance["target"]}
    others = {e["fullUrl"] for e in bundle["entry"] if e["resource"] is not provenance}
    assert targets == others
    assert Bundle.model_validate_json(json.dumps(bundle)).timestamp == record.generated_at
    assert provenance["recorded"].startswith(record.generated_at.strftime("%Y-%m-%dT%H:%M:%S"))


def test_shared_goals_belong_to_the_couple_and_own_goals_to_the_partner(partner_record_data):
    data = partner_record_data

    bundle = exported(data.jordan)

    (group,) = resources(bundle, "Group")
    group_url = f"urn:uuid:{group['id']}"
    subjects = {
        our_id(goal, "goal"): goal["subject"]["reference"] for goal in resources(bundle, "Goal")
    }
    assert subjects[data.ours.shared.pk] == group_url
    assert subjects[data.ours.first_goal.pk] == mapping.full_url("partner", data.jordan.pk)


def test_without_consent_the_other_partners_individual_items_are_absent(partner_record_data):
    data = partner_record_data

    bundle = exported(data.jordan)

    assert data.ours.second_goal.pk not in ids_of(bundle, "Goal", "goal")
    assert data.ours.second_progress.pk not in ids_of(bundle, "Observation", "progress")
    alex = mapping.full_url("partner", data.alex.pk)
    checkin_subjects = {
        r["subject"]["reference"]
        for r in resources(bundle, "Observation")
        if our_id(r, "checkin") is not None
    }
    assert checkin_subjects == {mapping.full_url("partner", data.jordan.pk)}
    # Alex's measures and notes never come with Jordan's copy.
    assert data.ours.second_measure.pk not in ids_of(
        bundle, "QuestionnaireResponse", "measure-response"
    )
    assert data.ours.second_note.pk not in ids_of(bundle, "DocumentReference", "note")
    assert all(
        o["subject"]["reference"] != alex
        for o in resources(bundle, "Observation")
        if our_id(o, "measure-total")
    )


def test_with_consent_the_other_partners_goal_progress_and_checkins_are_present(
    partner_record_data,
):
    data = partner_record_data
    share(data.alex)

    bundle = exported(data.jordan)

    assert data.ours.second_goal.pk in ids_of(bundle, "Goal", "goal")
    assert data.ours.second_progress.pk in ids_of(bundle, "Observation", "progress")
    assert {c.pk for c in data.ours.second_checkins} <= ids_of(bundle, "Observation", "checkin")
    assert data.ours.second_measure.pk not in ids_of(
        bundle, "QuestionnaireResponse", "measure-response"
    )


def test_no_psychotherapy_note_or_draft_reaches_a_document_reference(partner_record_data):
    ours = partner_record_data.ours

    bundle = exported(partner_record_data.jordan)

    notes = ids_of(bundle, "DocumentReference", "note")
    assert {ours.first_note.pk, ours.couples_note.pk} <= notes
    assert ours.first_psychotherapy_note.pk not in notes
    assert ours.first_draft.pk not in notes


def test_the_bundle_refuses_a_record_that_carries_a_psychotherapy_note(partner_record_data):
    record = record_for_partner(partner=partner_record_data.jordan)
    leaked = dataclasses.replace(
        record, notes=[*record.notes, partner_record_data.ours.first_psychotherapy_note]
    )

    with pytest.raises(ValueError, match="psychotherapy"):
        bundle_for(leaked)


def test_the_phq9_total_carries_its_loinc_code(partner_record_data):
    bundle = exported(partner_record_data.jordan)

    totals = [o for o in resources(bundle, "Observation") if our_id(o, "measure-total")]
    assert [o["code"]["coding"][0]["code"] for o in totals] == ["44261-6"]


def test_mapping_a_record_reads_nothing_from_the_database(
    partner_record_data, django_assert_num_queries
):
    share(partner_record_data.alex)
    record = record_for_partner(partner=partner_record_data.jordan)

    with django_assert_num_queries(0):
        bundle_json(record)


def test_the_same_record_exports_the_same_json(partner_record_data):
    record = record_for_partner(partner=partner_record_data.jordan)

    assert bundle_json(record) == bundle_json(record)


def test_a_partner_on_their_own_has_no_related_person(db):
    alone = PartnerFactory()

    bundle = exported(alone)

    assert resources(bundle, "RelatedPerson") == []
    (group,) = resources(bundle, "Group")
    assert [m["entity"]["reference"] for m in group["member"]] == [
        mapping.full_url("partner", alone.pk)
    ]
