"""Sessions, attendance, coverage, consents and signed notes as FHIR. Conventions in
`records.fhir.mapping`."""

import base64
import datetime

from fhir.resources.R4B.appointment import Appointment, AppointmentParticipant
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.consent import Consent, ConsentProvision, ConsentProvisionActor
from fhir.resources.R4B.coverage import Coverage as FhirCoverage
from fhir.resources.R4B.coverage import CoverageClass
from fhir.resources.R4B.documentreference import (
    DocumentReference,
    DocumentReferenceContent,
    DocumentReferenceContext,
)
from fhir.resources.R4B.duration import Duration
from fhir.resources.R4B.encounter import Encounter, EncounterParticipant
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.period import Period

from couples.models import SharingConsent
from insurance.models import Coverage
from notes.models import Note
from records.fhir.mapping import (
    EXT_ATTENDANCE,
    EXT_CONSENT_PURPOSE,
    LOINC,
    concept,
    identifier,
    ours,
    reference,
    resource_id,
)
from records.fhir.mapping_people import clinic_reference
from sessions.models import Attendance, TherapySession

APPOINTMENT_STATUS = {
    TherapySession.Status.SCHEDULED: "booked",
    TherapySession.Status.COMPLETED: "fulfilled",
    TherapySession.Status.CANCELLED: "cancelled",
    TherapySession.Status.NO_SHOW: "noshow",
}
ENCOUNTER_STATUS = {
    Attendance.Status.PRESENT: "finished",
    Attendance.Status.LATE: "finished",
    Attendance.Status.ABSENT: "cancelled",
    Attendance.Status.EXCUSED: "cancelled",
}
# An unmarked place, by the session's status.
UNMARKED_STATUS = {
    TherapySession.Status.SCHEDULED: "planned",
    TherapySession.Status.CANCELLED: "cancelled",
}
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
SUBSCRIBER_RELATIONSHIP = "http://terminology.hl7.org/CodeSystem/subscriber-relationship"
COVERAGE_CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
RELATIONSHIP = {
    Coverage.Relationship.SELF: "self",
    Coverage.Relationship.SPOUSE: "spouse",
    # FHIR's word for a partner not married to the subscriber.
    Coverage.Relationship.DOMESTIC_PARTNER: "common",
    Coverage.Relationship.OTHER: "other",
}
UCUM = "http://unitsofmeasure.org"


def session_kind(session: TherapySession):
    return ours("session-kind", session.kind, session.get_kind_display())


def appointment_of(session: TherapySession, *, partner_id: int) -> Appointment:
    """A session this partner was booked into: them and the clinician, no other participant
    (a group's other members are not theirs to see)."""
    return Appointment(
        id=resource_id("session", session.pk),
        identifier=identifier("session", session.pk),
        status=APPOINTMENT_STATUS[session.status],
        serviceType=[session_kind(session)],
        start=session.starts_at,
        end=session.ends_at,
        minutesDuration=int(session.duration.total_seconds() // 60),
        participant=[
            AppointmentParticipant(actor=reference("partner", partner_id), status="accepted"),
            AppointmentParticipant(
                actor=reference("clinician", session.clinician_id), status="accepted"
            ),
        ],
    )


def encounter_of(attendance: Attendance, session: TherapySession) -> Encounter:
    """This partner's place in a session: finished when they came, cancelled when absent or
    excused; while unmarked, planned (ahead), cancelled (the session was) or unknown."""
    if attendance.status:
        status = ENCOUNTER_STATUS[attendance.status]
    else:
        status = UNMARKED_STATUS.get(session.status, "unknown")
    came = attendance.status in (Attendance.Status.PRESENT, Attendance.Status.LATE)
    return Encounter.model_validate(
        {
            "id": resource_id("attendance", attendance.pk),
            "identifier": identifier("attendance", attendance.pk),
            "extension": [Extension(url=EXT_ATTENDANCE, valueCode=attendance.status)]
            if attendance.status
            else None,
            "status": status,
            # Every session is a video session.
            "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
            "type": [session_kind(session)],
            "subject": reference("partner", attendance.partner_id),
            "participant": [
                EncounterParticipant(individual=reference("clinician", session.clinician_id))
            ],
            "appointment": [reference("session", session.pk)],
            "period": Period(start=session.starts_at, end=session.ends_at),
            "length": Duration(
                value=attendance.minutes_attended, unit="min", system=UCUM, code="min"
            )
            if came
            else None,
        }
    )


def coverage_of(coverage: Coverage) -> FhirCoverage:
    """A plan: the payer an Organization, member and group numbers, the plan's dates."""
    classes = []
    if coverage.group_number:
        classes.append(
            CoverageClass(
                type=concept(COVERAGE_CLASS, "group", "Group"), value=coverage.group_number
            )
        )
    classes.append(
        CoverageClass(
            type=concept(COVERAGE_CLASS, "plan", "Plan"),
            value=coverage.plan_name or coverage.get_plan_type_display(),
            name=coverage.get_plan_type_display(),
        )
    )
    ended = coverage.status in (Coverage.Status.EXPIRED, Coverage.Status.DENIED)
    return FhirCoverage(
        id=resource_id("coverage", coverage.pk),
        identifier=identifier("coverage", coverage.pk),
        status="cancelled" if ended else "active",
        beneficiary=reference("partner", coverage.partner_id),
        subscriberId=coverage.member_id,
        relationship=concept(SUBSCRIBER_RELATIONSHIP, RELATIONSHIP[coverage.relationship]),
        period=Period(start=coverage.effective_on, end=coverage.terminates_on),
        payor=[reference("payer", coverage.payer_id, coverage.payer.name)],
        **{"class": classes},
    )


def consent_of(consent: SharingConsent, *, day: datetime.date) -> Consent:
    """A partner's consent to share with the other: what (goals, check-ins, scores), with whom,
    from when until when, under 42 CFR Part 2. Active if in force on `day`."""
    scope = [
        ours("consent-scope", code, label)
        for shared, code, label in (
            (consent.shares_goals, "individual-goals", "Individual goals and progress"),
            (consent.shares_checkins, "checkins", "Daily check-ins"),
            (consent.shares_measures, "measures", "Questionnaire scores"),
        )
        if shared
    ]
    end = consent.revoked_at or consent.expires_on
    return Consent(
        id=resource_id("consent", consent.pk),
        # R4B's Consent has no place for a purpose in words: an extension carries it.
        extension=[Extension(url=EXT_CONSENT_PURPOSE, valueString=consent.purpose)]
        if consent.purpose
        else None,
        identifier=identifier("consent", consent.pk),
        status="active" if consent.is_active_on(day) else "inactive",
        scope=concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
        category=[concept(LOINC, "59284-0", "Patient Consent")],
        patient=reference("partner", consent.partner_id),
        dateTime=consent.granted_at,
        performer=[reference("partner", consent.partner_id)],
        organization=[clinic_reference()],
        policyRule=concept(ACT_CODE, "42CFRPart2", "42 CFR Part2"),
        provision=ConsentProvision(
            type="permit",
            period=Period(start=consent.granted_at, end=end),
            actor=[
                ConsentProvisionActor(
                    role=concept(PARTICIPATION, "IRCP", "information recipient"),
                    reference=reference("partner", consent.recipient_id),
                )
            ],
            code=scope,
        ),
    )


def note_text(note: Note) -> str:
    """A signed note as plain text: its sections in the format's order, this partner's entry
    (only theirs: `entries_for_partner`, set by the collect step) and the addenda."""
    parts = [f"{note.get_kind_display()} note ({note.format})"]
    parts += [f"{name.capitalize()}:\n{text}" for name, text in note.sections if text]
    for entry in getattr(note, "entries_for_partner", []):
        if entry.text:
            parts.append(f"Entry:\n{entry.text}")
    for addendum in note.addenda.all():
        parts.append(f"Addendum, {addendum.signed_at:%Y-%m-%d %H:%M %Z}:\n{addendum.text}")
    return "\n\n".join(parts)


def document_reference_of(note: Note, *, partner_id: int) -> DocumentReference:
    """A signed note as a document whose content is its text. Psychotherapy notes and
    unsigned notes never leave: the collect step leaves them out, and this refuses them."""
    if note.is_psychotherapy_note:
        raise ValueError("Psychotherapy notes are never exported.")
    if note.status != Note.Status.SIGNED:
        raise ValueError("Only signed notes are exported.")
    text = note_text(note)
    return DocumentReference(
        id=resource_id("note", note.pk),
        identifier=identifier("note", note.pk),
        status="current",
        docStatus="amended" if note.addenda.all() else "final",
        type=ours("note", note.kind, f"{note.get_kind_display()} note"),
        subject=reference("partner", partner_id),
        date=note.signed_at,
        author=[reference("clinician", note.author_id)],
        custodian=clinic_reference(),
        content=[
            DocumentReferenceContent(
                attachment=Attachment(
                    contentType="text/plain; charset=utf-8",
                    data=base64.b64encode(text.encode()).decode(),
                    title=f"{note.get_kind_display()} note",
                    creation=note.signed_at,
                )
            )
        ],
        context=DocumentReferenceContext(
            period=Period(start=note.session.starts_at, end=note.session.ends_at)
        ),
    )
