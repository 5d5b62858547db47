"""Our rows as FHIR R4 resources (records.fhir.mapping*): each validates with fhir.resources'
R4B models, survives a JSON round trip, and follows the conventions the importer reads.

Most tests map rows built in memory (a pk set, nothing saved): the mapping reads only what
it is given. Notes go through the database, as their addenda are a relation."""

import datetime
import re

import pytest
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from couples.models import (
    CareAssignment,
    CareRole,
    Clinician,
    Couple,
    Partner,
    SharingConsent,
    User,
)
from goals.models import CheckIn, Goal, ProgressEntry
from insurance.models import Coverage, Payer
from measures.models import MeasureResponse
from notes import services as note_services
from records.fhir import mapping
from records.fhir.bundle import bundle_json
from records.fhir.collect import PartnerRecord
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
from sessions.models import Attendance, SessionKind, TherapySession
from tests.notes.conftest import attended_session, written
from tests.records.conftest import note_with

MOMENT = datetime.datetime(2026, 3, 14, 18, 30, tzinfo=datetime.UTC)
DAY = MOMENT.date()
# The rows here are dated MOMENT; the clock stands there too, so whatever the mapping (or a
# model it touches) compares with today sees the same day on any day the suite runs.
pytestmark = pytest.mark.time_machine(MOMENT, tick=False)


def round_trip(resource):
    """The resource dumped to JSON and parsed back by its own R4B class: the same resource."""
    text = resource.model_dump_json()
    again = type(resource).model_validate_json(text)
    assert again.model_dump_json() == text
    return again


def subject_of(resource) -> str:
    return resource.subject.reference


# In-memory rows (pk set, nothing saved).


def couple_of_two():
    couple = Couple(pk=7, status=Couple.Status.ACTIVE)
    jordan = Partner(
        pk=11,
        couple=couple,
        preferred_name="Jo",
        user=User(pk=21, email="jordan@example.test", first_name="Jordan", last_name="Reyes"),
        sobriety_date=DAY,
        date_of_birth=datetime.date(1990, 5, 17),
    )
    alex = Partner(
        pk=12,
        couple=couple,
        user=User(pk=22, email="alex@example.test", first_name="Alex", last_name="Reyes"),
    )
    return couple, jordan, alex


def clinician_maya():
    return Clinician(
        pk=31, credentials="LMFT", user=User(pk=41, first_name="Maya", last_name="Lind")
    )


def goal(**fields) -> Goal:
    values = {
        "pk": 51,
        "couple_id": 7,
        "partner_id": None,
        "category": Goal.Category.COMMUNICATION,
        "title": "Talk after dinner",
        "measure": Goal.Measure.YES_NO,
        "target": 5,
        "start_on": DAY,
        "status": Goal.Status.ACTIVE,
    }
    return Goal(**{**values, **fields})


def measure(instrument: str, total: int, **fields) -> MeasureResponse:
    values = {
        "pk": 61,
        "couple_id": 7,
        "partner_id": 11,
        "instrument": instrument,
        "status": MeasureResponse.Status.COMPLETED,
        "answers": {f"q{n}": 1 for n in range(1, 10)},
        "started_at": MOMENT,
        "completed_at": MOMENT,
        "total": total,
        "band_label": "Mild",
    }
    return MeasureResponse(**{**values, **fields})


def session(**fields) -> TherapySession:
    values = {
        "pk": 71,
        "kind": SessionKind.COUPLES_THERAPY,
        "clinician": clinician_maya(),
        "couple_id": 7,
        "starts_at": MOMENT,
        "ends_at": MOMENT + datetime.timedelta(minutes=50),
        "time_zone": "America/New_York",
        "status": TherapySession.Status.COMPLETED,
    }
    return TherapySession(**{**values, **fields})


# People.


def test_the_copys_owner_also_carries_their_email_birth_date_and_sobriety_date():
    _, jordan, _ = couple_of_two()

    patient = round_trip(patient_of(jordan, owner=True))

    assert [(t.system, t.value) for t in patient.telecom] == [("email", "jordan@example.test")]
    assert patient.birthDate == datetime.date(1990, 5, 17)
    assert [(e.url, e.valueDate) for e in patient.extension] == [(mapping.EXT_SOBRIETY_DATE, DAY)]
    assert not {"address", "gender"} & set(patient.model_dump())


def test_a_patient_carries_the_name_and_our_identifier_and_nothing_more():
    _, jordan, _ = couple_of_two()

    patient = round_trip(patient_of(jordan))

    assert patient.identifier[0].system == mapping.identifier_system("partner")
    assert patient.identifier[0].value == "11"
    assert patient.name[0].given == ["Jordan"] and patient.name[0].text == "Jo"
    dumped = patient.model_dump()
    assert not {"telecom", "birthDate", "address", "gender"} & set(dumped)
    assert "jordan@example.test" not in patient.model_dump_json()


def test_the_couple_is_a_group_of_both_patients_and_the_other_a_related_person():
    couple, jordan, alex = couple_of_two()

    group = round_trip(group_of(couple, [jordan, alex]))
    related = round_trip(related_person_of(jordan, alex))

    assert [m.entity.reference for m in group.member] == [
        mapping.full_url("partner", 11),
        mapping.full_url("partner", 12),
    ]
    assert group.type == "person" and group.actual is True
    assert related.patient.reference == mapping.full_url("partner", 11)
    assert related.name[0].given == ["Alex"]
    assert related.relationship[0].coding[0].code == "SIGOTHR"


def test_the_care_team_names_each_clinician_in_their_role():
    couple, jordan, _ = couple_of_two()
    maya = clinician_maya()
    assignment = CareAssignment(
        pk=81, couple=couple, clinician=maya, role=CareRole.COUPLES_THERAPIST, started_at=MOMENT
    )

    practitioner = round_trip(practitioner_of(maya))
    team = round_trip(care_team_of(couple, [assignment]))

    assert practitioner.name[0].family == "Lind"
    assert practitioner.qualification[0].code.text == "LMFT"
    assert team.subject.reference == mapping.full_url("couple", 7)
    assert team.participant[0].member.reference == mapping.full_url("clinician", 31)
    assert team.participant[0].role[0].coding[0].code == "couples_therapist"


def test_the_clinic_and_a_payer_are_organizations(settings):
    settings.CLINIC_NAME = "Harbor Light Recovery"

    clinic = round_trip(clinic_organization())
    payer = round_trip(payer_organization(Payer(pk=91, name="Aetna", payer_id="60054")))

    assert clinic.name == "Harbor Light Recovery"
    assert clinic.identifier[0].system == "urn:couples-rehab:harbor-light-recovery:clinic"
    assert [i.value for i in payer.identifier] == ["91", "60054"]


def test_ids_are_stable_per_row_and_distinct_per_kind():
    assert mapping.resource_id("goal", 5) == mapping.resource_id("goal", 5)
    assert mapping.resource_id("goal", 5) != mapping.resource_id("goal", 6)
    assert mapping.resource_id("measure-total", 5) != mapping.resource_id("measure-response", 5)
    with pytest.raises(ValueError):
        mapping.resource_id("no-such-kind", 5)


# Goals and progress.


def test_a_shared_goal_belongs_to_the_couples_group_and_says_it_is_shared():
    shared = round_trip(goal_of(goal(description="After dinner, ten minutes.")))

    assert subject_of(shared) == mapping.full_url("couple", 7)
    assert shared.extension[0].url == mapping.EXT_GOAL_SCOPE
    assert shared.extension[0].valueCode == "shared"
    assert "both partners" in shared.note[-1].text
    assert shared.note[0].text == "After dinner, ten minutes."
    assert shared.description.text == "Talk after dinner"


def test_an_individual_goal_belongs_to_its_partner():
    own = round_trip(goal_of(goal(partner_id=11, title="Call my sponsor")))

    assert subject_of(own) == mapping.full_url("partner", 11)
    assert own.extension[0].valueCode == "individual"
    assert own.note is None


@pytest.mark.parametrize(
    ("status", "lifecycle"),
    [
        ("proposed", "proposed"),
        ("active", "active"),
        ("achieved", "completed"),
        ("on_hold", "on-hold"),
        ("cancelled", "cancelled"),
    ],
)
def test_a_goals_lifecycle_status_follows_ours(status, lifecycle):
    fhir_goal = round_trip(goal_of(goal(status=status)))

    assert fhir_goal.lifecycleStatus == lifecycle
    assert (fhir_goal.achievementStatus is not None) == (status == "achieved")


def test_a_goals_target_carries_its_measure_target_and_due_day():
    due = DAY + datetime.timedelta(days=60)

    target = round_trip(goal_of(goal(measure="rating", target=8, due_on=due))).target[0]
    milestone = round_trip(goal_of(goal(measure="milestone", target=None))).target[0]

    assert target.measure.coding[0].code == "rating"
    assert target.detailInteger == 8 and target.dueDate == due
    assert milestone.measure.coding[0].code == "milestone" and milestone.detailInteger is None


def test_progress_is_an_observation_on_the_goal_by_the_partner_who_logged_it():
    yes = ProgressEntry(pk=101, goal_id=51, partner_id=12, day=DAY, measure="yes_no", value=1)
    rating = ProgressEntry(pk=102, goal_id=52, partner_id=11, day=DAY, measure="rating", value=7)

    done = round_trip(progress_observation(yes))
    rated = round_trip(progress_observation(rating))

    assert done.focus[0].reference == mapping.full_url("goal", 51)
    assert subject_of(done) == mapping.full_url("partner", 12)
    assert done.valueBoolean is True and rated.valueInteger == 7
    assert done.effectiveDateTime == DAY


# Check-ins and measures.


def test_a_checkin_is_one_observation_with_its_five_answers():
    checkin = CheckIn(
        pk=111,
        partner_id=11,
        day=DAY,
        is_sober=True,
        craving=3,
        mood=4,
        had_trust_discussion=False,
        attended_meeting=True,
        note="A good day.",
    )

    observation = round_trip(checkin_observation(checkin))

    answers = {
        c.code.coding[0].code: c.valueBoolean if c.valueInteger is None else c.valueInteger
        for c in observation.component
    }
    assert answers == {
        "sober": True,
        "craving": 3,
        "mood": 4,
        "meeting": True,
        "trust-discussion": False,
    }
    assert observation.code.coding[0].system == mapping.code_system("checkin")
    assert observation.category[0].coding[0].code == "survey"
    assert observation.note[0].text == "A good day."


@pytest.mark.parametrize(("instrument", "loinc"), [("phq9", "44261-6"), ("gad7", "70274-6")])
def test_phq9_and_gad7_totals_carry_their_loinc_codes(instrument, loinc):
    observation = round_trip(measure_observation(measure(instrument, 6)))

    assert observation.code.coding[0].system == "http://loinc.org"
    assert observation.code.coding[0].code == loinc
    assert observation.valueInteger == 6
    assert observation.interpretation[0].text == "Mild"
    assert observation.derivedFrom[0].reference == mapping.full_url("measure-response", 61)


def test_a_measure_without_a_loinc_total_uses_our_system_with_its_subscales():
    bam = measure("bam", 4, subscales={"Use": 0, "Risk": 4, "Protective": 20})

    observation = round_trip(measure_observation(bam))

    assert observation.code.coding[0].system == mapping.code_system("measure")
    assert observation.code.coding[0].code == "bam"
    assert {c.code.coding[0].code: c.valueInteger for c in observation.component} == {
        "bam-protective": 20,
        "bam-risk": 4,
        "bam-use": 0,
    }


def test_a_measures_answers_are_a_questionnaire_response_item_by_item():
    answers = {f"q{n}": n % 4 for n in range(1, 10)}

    response = round_trip(questionnaire_response_of(measure("phq9", 13, answers=answers)))

    assert response.status == "completed"
    assert response.questionnaire == "urn:couples-rehab:questionnaire:phq9"
    # The optional tenth question was not answered: it is left out, not made up.
    assert [item.linkId for item in response.item] == [f"q{n}" for n in range(1, 10)]
    assert response.item[1].answer[0].valueInteger == 2
    assert response.item[0].text.startswith("Little interest")


# Sessions, coverage, consent.


@pytest.mark.parametrize(
    ("status", "expected"),
    [("scheduled", "booked"), ("completed", "fulfilled"), ("cancelled", "cancelled")],
)
def test_a_session_is_an_appointment_of_this_partner_and_the_clinician(status, expected):
    appointment = round_trip(appointment_of(session(status=status), partner_id=11))

    assert appointment.status == expected
    assert [p.actor.reference for p in appointment.participant] == [
        mapping.full_url("partner", 11),
        mapping.full_url("clinician", 31),
    ]
    assert appointment.minutesDuration == 50


@pytest.mark.parametrize(
    ("status", "expected", "minutes"),
    [("present", "finished", 50), ("late", "finished", 30), ("absent", "cancelled", 0)],
)
def test_attendance_is_an_encounter_of_this_partner(status, expected, minutes):
    place = Attendance(
        pk=121, session_id=71, partner_id=11, status=status, minutes_attended=minutes
    )

    encounter = round_trip(encounter_of(place, session()))

    assert encounter.status == expected
    assert encounter.class_fhir.code == "VR"
    assert encounter.appointment[0].reference == mapping.full_url("session", 71)
    assert encounter.extension[0].valueCode == status
    assert (encounter.length.value if encounter.length else 0) == minutes


def test_an_unmarked_place_ahead_is_a_planned_encounter():
    place = Attendance(pk=122, session_id=71, partner_id=11, status="")

    encounter = round_trip(encounter_of(place, session(status="scheduled")))

    assert encounter.status == "planned" and encounter.extension is None


def test_a_coverage_names_the_payer_organization_and_the_member():
    coverage = Coverage(
        pk=131,
        partner_id=11,
        payer=Payer(pk=91, name="Aetna"),
        member_id="M000011",
        group_number="G-42",
        subscriber_name="Alex Reyes",
        relationship=Coverage.Relationship.SPOUSE,
        effective_on=DAY,
        status=Coverage.Status.VERIFIED,
    )

    fhir_coverage = round_trip(coverage_of(coverage))

    assert fhir_coverage.payor[0].reference == mapping.full_url("payer", 91)
    assert fhir_coverage.beneficiary.reference == mapping.full_url("partner", 11)
    assert fhir_coverage.subscriberId == "M000011"
    assert fhir_coverage.relationship.coding[0].code == "spouse"
    assert fhir_coverage.status == "active"
    assert [c.value for c in fhir_coverage.class_fhir] == ["G-42", "PPO"]


def test_a_consent_says_what_is_shared_with_whom_and_whether_it_is_in_force():
    consent = SharingConsent(
        pk=141, partner_id=12, recipient_id=11, shares_goals=True, shares_checkins=False
    )
    consent.granted_at = MOMENT

    active = round_trip(consent_of(consent, day=DAY))
    consent.revoked_at = MOMENT + datetime.timedelta(days=1)
    revoked = round_trip(consent_of(consent, day=DAY))

    assert active.status == "active" and revoked.status == "inactive"
    assert active.patient.reference == mapping.full_url("partner", 12)
    assert active.provision.actor[0].reference.reference == mapping.full_url("partner", 11)
    assert [c.coding[0].code for c in active.provision.code] == ["individual-goals"]
    assert active.policyRule.coding[0].code == "42CFRPart2"
    assert revoked.provision.period.end == consent.revoked_at


# Signed notes.


@pytest.fixture
def individual_session(couple, partner_a, clinician):
    return attended_session(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=clinician,
        couple=couple,
        partners=[partner_a],
    )


def _own_entries(note, partner):
    note.entries_for_partner = [e for e in note.entries.all() if e.partner_id == partner.pk]
    return note


def test_a_signed_note_is_a_document_reference_with_its_text_inline(
    individual_session, partner_a, clinician
):
    note = written(individual_session, text="Named two triggers.")
    note_services.addendum_add(note=note, author=clinician, text="Added later.", by=clinician.user)
    note = _own_entries(note, partner_a)

    document = round_trip(document_reference_of(note, partner_id=partner_a.pk))

    attachment = document.content[0].attachment
    # The model holds the bytes; its JSON carries them in base64.
    text = attachment.data.decode()
    assert attachment.contentType.startswith("text/plain")
    assert "Data:\nNamed two triggers." in text and "Added later." in text
    assert f"Part of {partner_a.pk}" in text
    assert document.docStatus == "amended"
    assert document.subject.reference == mapping.full_url("partner", partner_a.pk)
    assert document.author[0].reference == mapping.full_url("clinician", clinician.pk)


def test_a_psychotherapy_note_never_becomes_a_document_reference(individual_session, partner_a):
    note = note_with(individual_session, psychotherapy=True)

    with pytest.raises(ValueError, match="Psychotherapy"):
        document_reference_of(note, partner_id=partner_a.pk)


def test_an_unsigned_note_never_becomes_a_document_reference(individual_session, partner_a):
    note = written(individual_session, sign=False)

    with pytest.raises(ValueError, match="signed"):
        document_reference_of(note, partner_id=partner_a.pk)


def test_a_group_note_carries_only_this_partners_entry(couple, partner_a, partner_b, clinician):
    group = attended_session(
        kind=SessionKind.GROUP, clinician=clinician, partners=[partner_a, partner_b]
    )
    note = _own_entries(written(group), partner_a)

    document = document_reference_of(note, partner_id=partner_a.pk)

    text = document.content[0].attachment.data.decode()
    assert f"Part of {partner_a.pk}" in text
    assert f"Part of {partner_b.pk}" not in text
    assert document.date == timezone.localtime(note.signed_at)


# A record assembled by hand (no database): the mapping alone makes a whole Bundle.


def test_a_record_built_by_hand_makes_a_bundle_whose_references_all_resolve():
    couple, jordan, alex = couple_of_two()
    maya = clinician_maya()
    consent = SharingConsent(pk=141, partner_id=12, recipient_id=11, granted_at=MOMENT)
    record = PartnerRecord(
        partner=jordan,
        couple=couple,
        other=alex,
        other_goals_shared=True,
        other_checkins_shared=False,
        care_team=[
            CareAssignment(
                pk=81, couple=couple, clinician=maya, role="couples_therapist", started_at=MOMENT
            )
        ],
        goals=[goal(), goal(pk=52, partner_id=12, title="Morning walk")],
        progress=[
            ProgressEntry(pk=101, goal_id=51, partner_id=11, day=DAY, measure="yes_no", value=1),
            ProgressEntry(pk=102, goal_id=52, partner_id=12, day=DAY, measure="yes_no", value=0),
        ],
        checkins=[
            CheckIn(
                pk=111,
                partner_id=11,
                day=DAY,
                is_sober=True,
                craving=0,
                mood=5,
                had_trust_discussion=True,
                attended_meeting=True,
            )
        ],
        measures=[measure("phq9", 4), measure("gad7", 3, pk=62)],
        sessions=[session()],
        attendance=[
            Attendance(pk=121, session_id=71, partner_id=11, status="present", minutes_attended=50)
        ],
        coverages=[
            Coverage(
                pk=131,
                partner_id=11,
                payer=Payer(pk=91, name="Aetna"),
                member_id="M1",
                subscriber_name="Jordan Reyes",
                effective_on=DAY,
            )
        ],
        consents=[consent],
        notes=[],
        generated_at=MOMENT,
    )

    bundle = Bundle.model_validate_json(bundle_json(record))

    full_urls = {entry.fullUrl for entry in bundle.entry}
    references = {
        match
        for entry in bundle.entry
        for match in re.findall(r'"reference":"([^"]+)"', entry.resource.model_dump_json())
    }
    assert references and references <= full_urls
    assert len(full_urls) == len(bundle.entry) == 22
    assert bundle.entry[-1].resource.get_resource_type() == "Provenance"


def test_a_consent_carries_its_purpose_in_words():
    consent = SharingConsent(pk=142, partner_id=12, recipient_id=11, granted_at=MOMENT)

    fhir_consent = round_trip(consent_of(consent, day=DAY))

    (purpose,) = fhir_consent.extension
    assert purpose.url == mapping.EXT_CONSENT_PURPOSE
    assert purpose.valueString == SharingConsent.DEFAULT_PURPOSE


def test_an_unmarked_place_in_a_cancelled_session_is_a_cancelled_encounter():
    place = Attendance(pk=123, session_id=71, partner_id=11, status="")

    encounter = round_trip(encounter_of(place, session(status="cancelled")))

    assert encounter.status == "cancelled"
