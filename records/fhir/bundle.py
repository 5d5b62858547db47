"""One partner's record as one FHIR R4 Bundle, with a Provenance naming the clinic.

The Bundle's type is "collection": a set of resources carried together with no further
meaning. A "document" Bundle would promise a Composition first, attested as one clinical
document whose sections a clinician curated; this is a copy of the record's rows (as a
FHIR server's Patient $everything returns them), for the partner or the next program to
read or import. Every resource is one entry whose fullUrl is `urn:uuid:<its id>`, and every
reference inside the Bundle is such a fullUrl (records.fhir.mapping's conventions), so the
Bundle is whole: nothing it refers to is missing from it.
"""

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.provenance import Provenance, ProvenanceAgent
from fhir.resources.R4B.reference import Reference

from couples.queries import couple_time_zone
from records.fhir.collect import PartnerRecord
from records.fhir.mapping import concept, identifier, resource_id
from records.fhir.mapping_care import (
    checkin_observation,
    goal_of,
    measure_observation,
    progress_observation,
    questionnaire_response_of,
)
from records.fhir.mapping_people import (
    care_team_of,
    clinic_organization,
    clinic_reference,
    group_of,
    patient_of,
    payer_organization,
    practitioner_of,
    related_person_of,
)
from records.fhir.mapping_visits import (
    appointment_of,
    consent_of,
    coverage_of,
    document_reference_of,
    encounter_of,
)

PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def _clinicians(record: PartnerRecord) -> list:
    """Every clinician a resource refers to, once each, in a stable order."""
    found = {a.clinician_id: a.clinician for a in record.care_team}
    found.update({s.clinician_id: s.clinician for s in record.sessions})
    found.update({n.author_id: n.author for n in record.notes})
    return [found[pk] for pk in sorted(found)]


def _payers(record: PartnerRecord) -> list:
    found = {c.payer_id: c.payer for c in record.coverages}
    return [found[pk] for pk in sorted(found)]


def _shared_scores(record: PartnerRecord) -> list:
    """The other partner's scores, only beside a consent of theirs that shares them: a copy
    whose other partner's consents were left out (for a recipient outside the couple) leaves
    their scores out with them."""
    other = record.other
    if not record.other_measures_shared or other is None:
        return []
    consents = [c for c in record.consents if c.partner_id == other.pk and c.shares_measures]
    return record.other_measures if consents else []


def resources_for(record: PartnerRecord) -> list:
    """The record's resources, people first, in the order a reader meets them."""
    partner, other = record.partner, record.other
    partners = [partner] if other is None else sorted([partner, other], key=lambda p: p.pk)
    if any(note.is_psychotherapy_note for note in record.notes):
        raise ValueError("A psychotherapy note reached the export: it never leaves.")
    sessions = {session.pk: session for session in record.sessions}
    day = timezone.localtime(record.generated_at, couple_time_zone(couple=record.couple)).date()
    resources = [
        clinic_organization(),
        *(patient_of(p, owner=p.pk == record.partner.pk) for p in partners),
    ]
    resources.append(group_of(record.couple, partners))
    if other is not None:
        resources.append(related_person_of(partner, other))
    resources += [practitioner_of(c) for c in _clinicians(record)]
    resources.append(care_team_of(record.couple, record.care_team))
    resources += [goal_of(goal) for goal in record.goals]
    resources += [progress_observation(entry) for entry in record.progress]
    resources += [checkin_observation(checkin) for checkin in record.checkins]
    for response in record.measures:
        resources += [questionnaire_response_of(response), measure_observation(response)]
    resources += [measure_observation(r, with_answers=False) for r in _shared_scores(record)]
    resources += [appointment_of(s, partner_id=partner.pk) for s in record.sessions]
    resources += [encounter_of(a, sessions[a.session_id]) for a in record.attendance]
    resources += [payer_organization(payer) for payer in _payers(record)]
    resources += [coverage_of(coverage) for coverage in record.coverages]
    resources += [consent_of(consent, day=day) for consent in record.consents]
    resources += [document_reference_of(n, partner_id=partner.pk) for n in record.notes]
    return resources


def provenance_for(record: PartnerRecord, resources: list) -> Provenance:
    """Who vouches for the export: the clinic, at the moment it was made, for every entry."""
    key = f"{record.partner.pk}:{record.generated_at.isoformat()}"
    return Provenance(
        id=resource_id("provenance", key),
        target=[
            Reference(reference=f"urn:uuid:{r.id}", type=r.get_resource_type()) for r in resources
        ],
        recorded=record.generated_at,
        agent=[
            ProvenanceAgent(
                type=concept(PROVENANCE_AGENT, "custodian", "Custodian"),
                who=clinic_reference(),
            )
        ],
    )


def bundle_for(record: PartnerRecord) -> Bundle:
    resources = resources_for(record)
    resources.append(provenance_for(record, resources))
    key = f"{record.partner.pk}:{record.generated_at.isoformat()}"
    return Bundle(
        id=resource_id("bundle", key),
        identifier=identifier("bundle", key)[0],
        type="collection",
        timestamp=record.generated_at,
        entry=[BundleEntry(fullUrl=f"urn:uuid:{r.id}", resource=r) for r in resources],
    )


def bundle_json(record: PartnerRecord) -> str:
    """The Bundle as compact JSON (no indentation, empty elements left out)."""
    return bundle_for(record).model_dump_json()
