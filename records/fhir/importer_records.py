"""The records in an imported bundle: goals, their progress, check-ins and measures
(records.fhir.importer makes the couple and the partner first).

Rows are checked with the models' own validation (fields, choices, bounds and the check
constraints, evaluated in Python by common.constraints) and written with bulk_create, so an
import of a year of check-ins costs the same few queries as one of a week. The goals'
services are not used for the history: they refuse days past the 7-day edit window (every
imported day is) and raise triage items and announcements for what happened elsewhere.
`recorded_on` is the day itself, the only value the edit-window constraints accept for an
old day (the bundle does not carry when it was written).
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from common.zones import zone_named
from couples.models import Couple, Partner, User
from goals.models import CheckIn, Goal, GoalAcceptance, GoalTransition, ProgressEntry
from measures.instruments import INSTRUMENTS
from measures.models import MeasureResponse
from records.fhir.mapping import EXT_GOAL_SCOPE, code_system
from records.fhir.mapping_care import GOAL_LIFECYCLE, SHARED_NOTE, questionnaire_url

STATUS_OF = {fhir: ours for ours, fhir in GOAL_LIFECYCLE.items()}
# A shared goal past "proposed" was accepted by both partners.
AGREED = (Goal.Status.ACTIVE, Goal.Status.ACHIEVED, Goal.Status.ON_HOLD)
CHECKIN_ITEMS = {
    "sober": "is_sober",
    "craving": "craving",
    "mood": "mood",
    "meeting": "attended_meeting",
    "trust-discussion": "had_trust_discussion",
}
IMPORT_NOTE = "Imported from another program's record."


class Imported:
    """The kinds an import counts, in the order its summary says them."""

    ORDER = (
        "couples",
        "partners",
        "shared goals",
        "individual goals",
        "progress entries",
        "check-ins",
        "measures",
    )


@dataclass
class ImportState:
    """What one import has made so far (across its bundles) and the bundle being read."""

    by: User
    created: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    # Source identifier ("system|value") -> the row made from it, in this import.
    couples: dict = field(default_factory=dict)
    partners: dict = field(default_factory=dict)
    goals: dict = field(default_factory=dict)
    # The bundle being read: its resources by fullUrl, its key, whose it is.
    resources: dict = field(default_factory=dict)
    bundle_key: str = ""
    owner_url: str = ""
    partner_urls: dict = field(default_factory=dict)

    def bundle_start(self, bundle, *, name: str) -> None:
        resources = {}
        for entry in bundle.entry:
            if entry.fullUrl in resources:
                raise ValidationError(f"{name} has two entries at {entry.fullUrl}.")
            resources[entry.fullUrl] = entry.resource
        self.resources = resources
        self.bundle_key = bundle.identifier.value if bundle.identifier else ""
        self.owner_url, self.partner_urls = "", {}

    def of_type(self, resource_type: str) -> list[tuple[str, object]]:
        return [
            (url, r) for url, r in self.resources.items() if r.get_resource_type() == resource_type
        ]

    @staticmethod
    def source_of(resource) -> str:
        """The resource's identifier as "system|value": what the exporting program called it."""
        found = resource.identifier
        found = found[0] if isinstance(found, list) and found else found
        if not found or not found.system or not found.value:
            raise ValidationError(
                f"A {resource.get_resource_type()} in the bundle has no identifier."
            )
        return f"{found.system}|{found.value}"

    @staticmethod
    def imported_before(model: type[models.Model], keys: list[str]) -> dict[str, int]:
        """Source identifier -> pk of the row an earlier import made from it (its audit
        event's `detail.imported_from`). One query."""
        if not keys:
            return {}
        events = AuditEvent.objects.filter(
            action=AuditEvent.Action.CREATE,
            target_type=model._meta.label,
            detail__imported_from__in=keys,
        ).values_list("detail__imported_from", "target_id")
        return {key: int(pk) for key, pk in events}


def model_check(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> None:
    """Fields, choices and check constraints, without a query: the foreign keys named in
    `exclude` are rows this import has just read or made, and uniqueness is the caller's
    (and the database's) to keep."""
    instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    for constraint in instance._meta.constraints:
        if isinstance(constraint, models.CheckConstraint):
            constraint.validate(type(instance), instance, exclude=set(exclude))


def records_import(*, state: ImportState, partner: Partner) -> None:
    """Goals, progress, check-ins and measures of the bundle being read, for `partner`."""
    _other_partners_find(state, partner=partner)
    goals = _goals_import(state, partner=partner)
    progress = _progress_import(state, goals=goals)
    checkins = _checkins_import(state, partner=partner)
    measures = _measures_import(state, partner=partner)
    audit_record(
        actor=state.by,
        action=AuditEvent.Action.CREATE,
        target=partner,
        patient=partner,
        detail={
            "bundle": state.bundle_key,
            "imported": {
                "progress entries": progress,
                "check-ins": checkins,
                "measures": measures,
            },
        },
    )


def _other_partners_find(state: ImportState, *, partner: Partner) -> None:
    """The bundle's other Patient, if this import or an earlier one made them (their
    progress on shared goals is then kept)."""
    others = [(url, p) for url, p in state.of_type("Patient") if url != state.owner_url]
    keys = {url: state.source_of(p) for url, p in others}
    before = state.imported_before(Partner, [k for k in keys.values() if k not in state.partners])
    found = Partner.objects.in_bulk(list(before.values()))
    for url, key in keys.items():
        other = state.partners.get(key) or found.get(before.get(key))
        if other is not None and other.couple_id == partner.couple_id:
            state.partner_urls[url] = other


def _code(concept, system_name: str) -> str:
    for coding in (concept.coding if concept else None) or []:
        if coding.system == code_system(system_name):
            return coding.code or ""
    return ""


def _day(value, couple: Couple) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, zone_named(couple.time_zone)).date()
    if isinstance(value, datetime.date):
        return value
    raise ValidationError("A record in the bundle has no day.")


def _reference(ref) -> str:
    return ref.reference if ref is not None else ""


def _goals_import(state: ImportState, *, partner: Partner) -> dict[str, Goal]:
    """fullUrl -> our goal: shared goals once per couple (found by identifier when another
    bundle made them), the owner's own; the other partner's own are skipped."""
    wanted, shared_keys = [], []
    for url, resource in state.of_type("Goal"):
        scope = next(
            (e.valueCode for e in resource.extension or [] if e.url == EXT_GOAL_SCOPE), None
        )
        subject = _reference(resource.subject)
        if scope == "shared":
            shared_keys.append(state.source_of(resource))
            wanted.append((url, resource, True))
        elif scope == "individual" and subject == state.owner_url:
            wanted.append((url, resource, False))
        elif scope == "individual":
            state.skipped["goals of the other partner"] += 1
        else:
            raise ValidationError("A goal in the bundle says neither shared nor individual.")
    before = state.imported_before(Goal, [k for k in shared_keys if k not in state.goals])
    earlier = Goal.objects.filter(couple=partner.couple).in_bulk(list(before.values()))
    goals, made = {}, []
    for url, resource, shared in wanted:
        key = state.source_of(resource) if shared else None
        goal = state.goals.get(key) if shared else None
        goal = goal or (earlier.get(before.get(key)) if shared else None)
        if goal is None:
            goal = _goal_create(state, resource, partner=partner, shared=shared)
            made.append(goal)
            state.created["shared goals" if shared else "individual goals"] += 1
        if shared:
            state.goals[key] = goal
        goals[url] = goal
    GoalTransition.objects.bulk_create(
        GoalTransition(
            goal=goal, from_status="", to_status=goal.status, by=state.by, note=IMPORT_NOTE
        )
        for goal in made
    )
    GoalAcceptance.objects.bulk_create(
        GoalAcceptance(goal=goal, partner=partner)
        for goal in {g.pk: g for g in goals.values()}.values()
        if goal.is_shared and goal.status in AGREED
    )
    return goals


def _goal_create(state: ImportState, resource, *, partner: Partner, shared: bool) -> Goal:
    target = (resource.target or [None])[0]
    notes = [n.text for n in resource.note or [] if n.text and n.text != SHARED_NOTE]
    status = STATUS_OF.get(resource.lifecycleStatus)
    if status is None:
        raise ValidationError(f"A goal's status {resource.lifecycleStatus!r} is not one of ours.")
    goal = Goal(
        couple=partner.couple,
        partner=None if shared else partner,
        category=_code((resource.category or [None])[0], "goal-category"),
        title=(resource.description.text or "").strip(),
        description="\n\n".join(notes),
        measure=_code(target.measure if target else None, "goal-measure"),
        target=target.detailInteger if target else None,
        start_on=resource.startDate,
        due_on=target.dueDate if target else None,
        status=status,
        created_by=state.by,
    )
    model_check(goal, exclude=("couple", "partner", "created_by"))
    goal.save()
    detail = {"bundle": state.bundle_key}
    if shared:
        detail["imported_from"] = state.source_of(resource)
    audit_record(
        actor=state.by,
        action=AuditEvent.Action.CREATE,
        target=goal,
        patient=None if shared else partner,
        detail=detail,
    )
    return goal


def _is(resource, system_name: str, code: str) -> bool:
    return _code(resource.code, system_name) == code


def _progress_import(state: ImportState, *, goals: dict[str, Goal]) -> int:
    """Each partner's log on the imported goals, once: a shared goal's entries arrive in
    both partners' bundles."""
    entries, seen = [], set()
    for _url, resource in state.of_type("Observation"):
        if not _is(resource, "goal-progress", "progress"):
            continue
        goal = goals.get(_reference((resource.focus or [None])[0]))
        who = state.partner_urls.get(_reference(resource.subject))
        if goal is None:
            state.skipped["progress entries on goals not imported"] += 1
            continue
        if who is None:
            state.skipped["progress entries of the other partner"] += 1
            continue
        day = _day(resource.effectiveDateTime, goal.couple)
        if (goal.pk, who.pk, day) in seen:
            raise ValidationError(f"The bundle logs one goal twice on {day}.")
        seen.add((goal.pk, who.pk, day))
        value = resource.valueInteger
        if resource.valueBoolean is not None:
            value = int(resource.valueBoolean)
        entry = ProgressEntry(
            goal=goal,
            partner=who,
            day=day,
            measure=goal.measure,
            value=value,
            note=" ".join(n.text for n in resource.note or [] if n.text),
            recorded_on=day,
        )
        model_check(entry, exclude=("goal", "partner"))
        entries.append(entry)
    if entries:
        there = set(
            ProgressEntry.objects.filter(goal__in={e.goal_id for e in entries}).values_list(
                "goal_id", "partner_id", "day"
            )
        )
        entries = [e for e in entries if (e.goal_id, e.partner_id, e.day) not in there]
    ProgressEntry.objects.bulk_create(entries)
    state.created["progress entries"] += len(entries)
    return len(entries)


def _checkins_import(state: ImportState, *, partner: Partner) -> int:
    """The owner's check-ins; the other partner's (shared with them by consent) are skipped."""
    checkins, days = [], set()
    for _url, resource in state.of_type("Observation"):
        if not _is(resource, "checkin", "daily-checkin"):
            continue
        if _reference(resource.subject) != state.owner_url:
            state.skipped["check-ins of the other partner"] += 1
            continue
        answers = {}
        for component in resource.component or []:
            name = CHECKIN_ITEMS.get(_code(component.code, "checkin"))
            if name is not None:
                value = component.valueBoolean
                answers[name] = component.valueInteger if value is None else value
        day = _day(resource.effectiveDateTime, partner.couple)
        if set(answers) != set(CHECKIN_ITEMS.values()) or None in answers.values():
            raise ValidationError(f"The check-in of {day} lacks some of its five answers.")
        if day in days:
            raise ValidationError(f"The bundle has two check-ins on {day}.")
        days.add(day)
        checkin = CheckIn(
            partner=partner,
            day=day,
            note=" ".join(n.text for n in resource.note or [] if n.text),
            recorded_on=day,
            **answers,
        )
        model_check(checkin, exclude=("partner",))
        checkins.append(checkin)
    CheckIn.objects.bulk_create(sorted(checkins, key=lambda c: c.day))
    state.created["check-ins"] += len(checkins)
    return len(checkins)


def _measures_import(state: ImportState, *, partner: Partner) -> list[int]:
    """The owner's completed measures: scored again by our instrument from the answers when
    every required answer is there, else the total (and band) the bundle's Observation gives."""
    totals = {}
    for _url, resource in state.of_type("Observation"):
        for source in resource.derivedFrom or []:
            totals[source.reference] = resource
    responses = []
    prefix = questionnaire_url("")
    for url, resource in state.of_type("QuestionnaireResponse"):
        if _reference(resource.subject) != state.owner_url:
            state.skipped["measures of the other partner"] += 1
            continue
        questionnaire = resource.questionnaire or ""
        code = questionnaire.removeprefix(prefix)
        instrument = INSTRUMENTS.get(code) if questionnaire.startswith(prefix) else None
        if instrument is None or resource.status != "completed" or resource.authored is None:
            raise ValidationError("A measure in the bundle is not a completed one of ours.")
        answers = instrument.clean(
            {
                item.linkId: item.answer[0].valueInteger
                for item in resource.item or []
                if item.answer
            }
        )
        responses.append(
            _response(instrument, answers, totals.get(url), partner=partner, at=resource.authored)
        )
    made = MeasureResponse.objects.bulk_create(sorted(responses, key=lambda r: r.completed_at))
    state.created["measures"] += len(made)
    return [response.pk for response in made]


def _response(instrument, answers: dict, total, *, partner: Partner, at) -> MeasureResponse:
    response = MeasureResponse(
        couple=partner.couple,
        partner=partner,
        instrument=instrument.code,
        status=MeasureResponse.Status.COMPLETED,
        started_at=at,
        completed_at=at,
    )
    if answers and not instrument.missing(answers):
        required = set(instrument.required_keys(answers))
        response.answers = {k: v for k, v in answers.items() if k in required}
        score = instrument.score(response.answers)
        response.total, response.subscales = score.total, score.subscales
        response.flags = list(score.flags)
        band = score.band
    elif total is not None and total.valueInteger is not None:
        response.answers = answers
        response.total = total.valueInteger
        prefix = f"{instrument.code}-"
        response.subscales = {
            (c.code.text or _code(c.code, "measure").removeprefix(prefix)): c.valueInteger
            for c in total.component or []
            if c.valueInteger is not None
        }
        band = instrument.band_of(response.total)
    else:
        raise ValidationError(f"A {instrument.name} in the bundle has neither answers nor a total.")
    response.band_label = band.label if band else ""
    response.band_level = band.level if band else None
    # A response whose answers the bundle left out keeps its total only (the model asks for
    # answers because our own forms always give them).
    unanswered = () if response.answers else ("answers",)
    model_check(response, exclude=("couple", "partner", "entered_by", "follows", *unanswered))
    return response
