"""Goals, their progress, daily check-ins and measures as FHIR. Conventions (shared versus
individual goals, the check-in panel's codes, LOINC for measure totals) in
`records.fhir.mapping`."""

from fhir.resources.R4B.annotation import Annotation
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.goal import GoalTarget
from fhir.resources.R4B.observation import Observation, ObservationComponent
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)

from goals.models import CheckIn, Goal, ProgressEntry
from measures.instruments import instrument_get
from measures.models import MeasureResponse
from records.fhir.mapping import (
    EXT_GOAL_SCOPE,
    MEASURE_CODES,
    concept,
    identifier,
    ours,
    reference,
    resource_id,
    survey_category,
)

GOAL_LIFECYCLE = {
    Goal.Status.PROPOSED: "proposed",
    Goal.Status.ACTIVE: "active",
    Goal.Status.ACHIEVED: "completed",
    Goal.Status.ON_HOLD: "on-hold",
    Goal.Status.CANCELLED: "cancelled",
}
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
SHARED_NOTE = (
    "A shared goal of the couple: both partners agreed to it and each logs their own "
    "progress (Observations whose focus is this goal)."
)
# Measures whose progress is a yes or no (logged as 1 or 0).
YES_NO_MEASURES = (Goal.Measure.YES_NO, Goal.Measure.MILESTONE)


def questionnaire_url(instrument_code: str) -> str:
    return f"urn:couples-rehab:questionnaire:{instrument_code}"


def goal_subject(goal: Goal):
    """Shared goals belong to the couple's Group, an individual goal to its partner."""
    if goal.is_shared:
        return reference("couple", goal.couple_id)
    return reference("partner", goal.partner_id)


def goal_of(goal: Goal) -> FhirGoal:
    notes = [Annotation(text=goal.description)] if goal.description else []
    if goal.is_shared:
        notes.append(Annotation(text=SHARED_NOTE))
    achieved = goal.status == Goal.Status.ACHIEVED
    return FhirGoal(
        id=resource_id("goal", goal.pk),
        identifier=identifier("goal", goal.pk),
        extension=[
            Extension(url=EXT_GOAL_SCOPE, valueCode="shared" if goal.is_shared else "individual")
        ],
        lifecycleStatus=GOAL_LIFECYCLE[goal.status],
        achievementStatus=concept(ACHIEVEMENT, "achieved", "Achieved") if achieved else None,
        category=[ours("goal-category", goal.category, goal.get_category_display())],
        description=CodeableConcept(text=goal.title),
        subject=goal_subject(goal),
        startDate=goal.start_on,
        target=[
            GoalTarget(
                measure=ours("goal-measure", goal.measure, goal.get_measure_display()),
                detailInteger=goal.target,
                dueDate=goal.due_on,
            )
        ],
        note=notes or None,
    )


def progress_observation(entry: ProgressEntry) -> Observation:
    """One partner's log for one goal on one day."""
    if entry.measure in YES_NO_MEASURES:
        value = {"valueBoolean": bool(entry.value)}
    else:
        value = {"valueInteger": entry.value}
    return Observation(
        id=resource_id("progress", entry.pk),
        identifier=identifier("progress", entry.pk),
        status="final",
        code=ours("goal-progress", "progress", "Goal progress"),
        focus=[reference("goal", entry.goal_id)],
        subject=reference("partner", entry.partner_id),
        effectiveDateTime=entry.day,
        note=[Annotation(text=entry.note)] if entry.note else None,
        **value,
    )


def _component(code: str, display: str, **value) -> ObservationComponent:
    return ObservationComponent(code=ours("checkin", code, display), **value)


def checkin_observation(checkin: CheckIn) -> Observation:
    """The daily check-in as one panel of five answers (no LOINC code fits them)."""
    return Observation(
        id=resource_id("checkin", checkin.pk),
        identifier=identifier("checkin", checkin.pk),
        status="final",
        category=survey_category(),
        code=ours("checkin", "daily-checkin", "Daily recovery check-in"),
        subject=reference("partner", checkin.partner_id),
        effectiveDateTime=checkin.day,
        component=[
            _component("sober", "Stayed sober today", valueBoolean=checkin.is_sober),
            _component("craving", "Craving, 0 none to 10 strongest", valueInteger=checkin.craving),
            _component("mood", "Mood, 1 very low to 5 very good", valueInteger=checkin.mood),
            _component(
                "meeting", "Went to a support meeting", valueBoolean=checkin.attended_meeting
            ),
            _component(
                "trust-discussion",
                "Held the trust discussion",
                valueBoolean=checkin.had_trust_discussion,
            ),
        ],
        note=[Annotation(text=checkin.note)] if checkin.note else None,
    )


def questionnaire_response_of(response: MeasureResponse) -> QuestionnaireResponse:
    """A completed measure's answers, item by item in the instrument's order."""
    instrument = instrument_get(response.instrument)
    items = [
        QuestionnaireResponseItem(
            linkId=item.key,
            text=item.text,
            answer=[QuestionnaireResponseItemAnswer(valueInteger=response.answers[item.key])],
        )
        for item in instrument.items
        if response.answers.get(item.key) is not None
    ]
    return QuestionnaireResponse(
        id=resource_id("measure-response", response.pk),
        # One identifier, not a list: QuestionnaireResponse.identifier is 0..1.
        identifier=identifier("measure-response", response.pk)[0],
        questionnaire=questionnaire_url(response.instrument),
        status="completed",
        subject=reference("partner", response.partner_id),
        authored=response.completed_at,
        source=reference("partner", response.partner_id),
        item=items or None,
    )


def measure_code(instrument_code: str) -> CodeableConcept:
    """LOINC for the totals it has (PHQ-9, GAD-7); our measure system for the others."""
    if instrument_code in MEASURE_CODES:
        system, code, display = MEASURE_CODES[instrument_code]
        return concept(system, code, display)
    instrument = instrument_get(instrument_code)
    return ours("measure", instrument_code, f"{instrument.name} {instrument.headline.lower()}")


def measure_observation(response: MeasureResponse, *, with_answers: bool = True) -> Observation:
    """A completed measure's headline score, its subscales and band, derived from its
    QuestionnaireResponse when the Bundle carries that too (`with_answers`): the other
    partner's scores, shared by their consent, travel without their answers."""
    subscales = [
        ObservationComponent(
            code=ours("measure", f"{response.instrument}-{name.lower()}", name),
            valueInteger=value,
        )
        for name, value in sorted(response.subscales.items())
    ]
    return Observation(
        id=resource_id("measure-total", response.pk),
        identifier=identifier("measure-total", response.pk),
        status="final",
        category=survey_category(),
        code=measure_code(response.instrument),
        subject=reference("partner", response.partner_id),
        effectiveDateTime=response.completed_at,
        derivedFrom=[reference("measure-response", response.pk)] if with_answers else None,
        valueInteger=response.total,
        interpretation=[CodeableConcept(text=response.band_label)] if response.band_label else None,
        component=subscales or None,
    )
