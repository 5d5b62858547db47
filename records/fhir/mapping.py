"""Our rows as FHIR R4 resources: the conventions every mapping function follows.

The functions live by subject, one small function per resource type, each returning a
`fhir.resources.R4B` model (built with those classes, so construction validates):

- `mapping_people`: Patient, Group (the couple), RelatedPerson (the other partner),
  Practitioner, CareTeam, Organization (the clinic, a payer).
- `mapping_care`: Goal, goal progress and daily check-ins (Observation), measures
  (QuestionnaireResponse and an Observation of the total).
- `mapping_visits`: Appointment and Encounter (sessions and this partner's attendance),
  Coverage, Consent, DocumentReference (signed notes).

`bundle.py` puts them into one Bundle of type "collection" with a Provenance.

CONVENTIONS (an importer relies on these; change them only with the importer)

1. Ids and references. Every resource's `id` is `uuid5(NAMESPACE, "<clinic-slug>:<kind>:<key>")`
   and its Bundle entry's fullUrl is `urn:uuid:<id>`; every reference is that fullUrl. The
   same row therefore has the same id in every export, and references resolve inside the
   Bundle. NAMESPACE is `uuid5(NAMESPACE_URL, "urn:couples-rehab")`. <clinic-slug> is
   `slugify(settings.CLINIC_NAME)` (`clinic_slug()`). <kind> is one of KINDS and <key> is
   the row's primary key (for the clinic itself, the slug).

2. Identifiers. Every resource made from one of our rows carries an Identifier whose system
   is `urn:couples-rehab:<clinic-slug>:<kind>` (`identifier_system(kind)`) and whose value is
   the row's primary key as a string: Patient (kind "partner"), Group ("couple"),
   Practitioner ("clinician"), Organization ("payer", value the payer's pk; and "clinic",
   value the slug), Goal ("goal"), progress Observation ("progress"), check-in Observation
   ("checkin"), QuestionnaireResponse ("measure-response"; a single Identifier, not a list:
   the element is 0..1 there), measure-total Observation ("measure-total", value the
   response's pk), Appointment ("session"), Encounter ("attendance"), Coverage ("coverage"),
   Consent ("consent"), DocumentReference ("note"), CareTeam ("care-team", value the
   couple's pk). The RelatedPerson and the Provenance have none (no row of ours). A payer's
   EDI payer ID, when known, is a second identifier with system PAYER_ID_SYSTEM.

3. Our code systems (for what LOINC has no code for) are `urn:couples-rehab:codes:<name>`
   (`code_system(name)`), the same for every clinic: "checkin" (the daily check-in panel and
   its items), "goal-category", "goal-measure", "goal-progress", "measure" (totals and
   subscales LOINC lacks), "care-role", "session-kind", "consent-scope",
   "note". Codes are our choices' values (`Goal.Measure.RATING` is "rating").

4. The couple is a Group (kind "couple", type "person", actual) whose members are both
   partners' Patients. The copy's owner's Patient also carries their email (telecom, system
   email: their own account's address), their birthDate and their sobriety date (extension,
   10); the other
   partner appears as a Patient with name and identifier only,
   and as a RelatedPerson of this partner (name and relationship only), so that shared goals
   and any shared items of theirs have a subject. Whose copy it is: the Patient that the
   RelatedPerson's `patient` names (the only Patient in a copy for a partner on their own), and
   the partner pk before the colon in the Bundle's identifier (11).

5. Shared versus individual goals. A shared goal's `subject` is the couple's Group; an
   individual goal's `subject` is that partner's Patient. Both carry the extension
   EXT_GOAL_SCOPE with valueCode "shared" or "individual" (the subject says the same; the
   extension spares an importer resolving it). A shared goal's note says that both partners
   log progress. `lifecycleStatus`: proposed, active, completed (achieved, with
   achievementStatus "achieved"), on-hold, cancelled. `target[0].measure` is the
   goal-measure code (yes_no, count, rating, milestone), `detailInteger` the target (none
   for a milestone), `dueDate` the due day. `category` is the goal-category code.

6. Progress. Each ProgressEntry is an Observation (code goal-progress/"progress") whose
   `focus` is the Goal and whose `subject` is the Patient of the partner who logged it (on a
   shared goal, either partner); `effectiveDateTime` is the day; the value is valueBoolean for
   yes_no and milestone, valueInteger for count and rating.

7. Check-ins. Each CheckIn is one Observation (code checkin/"daily-checkin", category
   survey) with five components, each code in the checkin system: "sober" (valueBoolean),
   "craving" (valueInteger 0-10), "mood" (valueInteger 1-5), "meeting" (valueBoolean),
   "trust-discussion" (valueBoolean); the note, if any, is the Observation's note. No LOINC
   code fits these items of the Behavioral Couples Therapy recovery contract.

8. Measures. Each completed MeasureResponse is a QuestionnaireResponse (questionnaire
   `urn:couples-rehab:questionnaire:<instrument code>`, one item per answered question,
   linkId the item key, valueInteger the answer) and an Observation of its headline total
   (category survey, `derivedFrom` the QuestionnaireResponse, valueInteger, interpretation
   text the band). MEASURE_CODES gives the total's code: LOINC where it has one, else the
   measure system with the instrument code. Subscales are components in the measure system
   with code "<instrument>-<subscale lowercased>".

9. Sessions. A session this partner was booked into is an Appointment (kind "session",
   participants this partner and the clinician only); their place in it an Encounter (kind
   "attendance", class v3-ActCode VR, `appointment` the Appointment, `length` the minutes
   attended). A signed note is a DocumentReference whose content is one inline attachment,
   `text/plain; charset=utf-8`, of the note's sections, this partner's own entry and the
   addenda. Psychotherapy notes and unsigned notes are refused (ValueError).
   A SharingConsent is a Consent: `patient` the partner who gave it, `provision.actor` (role
   v3 IRCP) the recipient's Patient, `provision.code` consent-scope "individual-goals" and/or
   "checkins", `provision.period` from the grant to the revocation or expiry day, `status`
   active if in force on the export's day, policyRule v3-ActCode 42CFRPart2. A Coverage's
   `beneficiary` is the Patient, `payor` the payer's Organization, `subscriberId` the member
   ID, its classes the group number and the plan.

10. Extension URLs are `urn:couples-rehab:extension:<name>`: EXT_GOAL_SCOPE
   ("goal-scope"), EXT_ATTENDANCE ("attendance", valueCode present/late/absent/excused on an
   Encounter), EXT_CONSENT_PURPOSE ("consent-purpose", valueString: the consent's purpose in
   the partner's words), EXT_SOBRIETY_DATE ("sobriety-date", valueDate, on the copy's owner's
   Patient only: their streak counts from it), EXT_TIME_ZONE ("time-zone", valueString, the
   IANA zone on the couple's Group: the couple's "today").

11. The Bundle (bundle.py) is of type "collection", its `timestamp` the moment the record was
   read, its identifier kind "bundle" with value "<partner pk>:<that moment, ISO 8601>". Its
   last entry is a Provenance whose agent is the clinic's Organization (type custodian),
   `recorded` that moment, and `target` every other entry.
"""

import uuid

from django.conf import settings
from django.utils.text import slugify
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.reference import Reference

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:couples-rehab")
LOINC = "http://loinc.org"
PAYER_ID_SYSTEM = "urn:couples-rehab:payer-id"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
EXT_GOAL_SCOPE = "urn:couples-rehab:extension:goal-scope"
EXT_ATTENDANCE = "urn:couples-rehab:extension:attendance"
EXT_CONSENT_PURPOSE = "urn:couples-rehab:extension:consent-purpose"
EXT_SOBRIETY_DATE = "urn:couples-rehab:extension:sobriety-date"
EXT_TIME_ZONE = "urn:couples-rehab:extension:time-zone"
KINDS = frozenset(
    {
        "partner",
        "couple",
        "related-person",
        "clinician",
        "care-team",
        "clinic",
        "payer",
        "goal",
        "progress",
        "checkin",
        "measure-response",
        "measure-total",
        "session",
        "attendance",
        "coverage",
        "consent",
        "note",
        "provenance",
        "bundle",
    }
)

# The headline total of each instrument. LOINC has the PHQ-9 total (44261-6) and the GAD-7
# total (70274-6). For the BAM (whose headline here is its Risk subscale), the CSI-4 total
# and our C-SSRS screen score no LOINC code was checked against the published table, so they
# stay in our measure system rather than risk a wrong code.
MEASURE_CODES = {
    "phq9": (LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score"),
    "gad7": (LOINC, "70274-6", "Generalized anxiety disorder 7 item (GAD-7) total score"),
}


def clinic_slug() -> str:
    return slugify(settings.CLINIC_NAME) or "clinic"


def identifier_system(kind: str) -> str:
    return f"urn:couples-rehab:{clinic_slug()}:{kind}"


def code_system(name: str) -> str:
    return f"urn:couples-rehab:codes:{name}"


def resource_id(kind: str, key) -> str:
    """The resource's stable id: the same row, the same id, in every export."""
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r}")
    return str(uuid.uuid5(NAMESPACE, f"{clinic_slug()}:{kind}:{key}"))


def full_url(kind: str, key) -> str:
    return f"urn:uuid:{resource_id(kind, key)}"


def reference(kind: str, key, display: str = "") -> Reference:
    return Reference(reference=full_url(kind, key), display=display or None)


def identifier(kind: str, key) -> list[Identifier]:
    return [Identifier(system=identifier_system(kind), value=str(key))]


def concept(system: str, code: str, display: str = "") -> CodeableConcept:
    return CodeableConcept(
        coding=[Coding(system=system, code=code, display=display or None)],
        text=display or None,
    )


def ours(name: str, code: str, display: str = "") -> CodeableConcept:
    """A concept in one of our code systems."""
    return concept(code_system(name), code, display)


def survey_category() -> list[CodeableConcept]:
    return [concept(OBSERVATION_CATEGORY, "survey", "Survey")]
