"""What the portal shows of a goal, built from rows already read: no queries here.

A card is a goal with each person's progress (chart and sentence) and, when the viewer
may log it, the two-tap buttons for today. Templates draw these and decide nothing.
"""

import datetime
from dataclasses import dataclass

from couples.models import Partner
from goals import charts, words
from goals.models import Goal
from goals.queries import ProgressPoint


@dataclass(frozen=True)
class PendingGoal:
    goal: Goal
    accepted_by: list[str]
    waiting_for: list[str]
    needs_my_answer: bool
    open_changes: list


def pending_goal(goal: Goal, *, partner: Partner, changes: dict) -> PendingGoal:
    accepted = {acceptance.partner_id for acceptance in goal.acceptances.all()}
    people = list(partner.couple.partners.all())

    def name(person: Partner) -> str:
        return "you" if person.pk == partner.pk else person.display_name

    return PendingGoal(
        goal=goal,
        accepted_by=[name(p) for p in people if p.pk in accepted],
        waiting_for=[name(p) for p in people if p.pk not in accepted],
        needs_my_answer=partner.pk not in accepted,
        open_changes=[change for change in changes.get(goal.pk, []) if change.resolved_at is None],
    )


@dataclass(frozen=True)
class LogButton:
    label: str
    hidden_label: str  # completes the visible label for screen readers
    value: int
    is_current: bool


@dataclass(frozen=True)
class GoalCard:
    goal: Goal
    target: str
    lines: list[charts.ProgressLine]
    today_label: str  # what I logged today, in words; empty if nothing
    log_buttons: list[LogButton]  # empty when I cannot log this goal today
    log_day: datetime.date
    log_layout: str  # a CSS class: ten rating buttons sit in a grid, the others in a row
    # Where the goal stands, in a sentence: achieved, or a shared milestone one of us marked
    # reached and the other not yet. Else empty.
    status_note: str = ""


def card_builder(*, partner: Partner, progress: dict, days: list, today: datetime.date):
    """A function making a goal's card from the entries read for all of them at once."""

    def card(goal: Goal) -> GoalCard:
        entries = progress.get(goal.pk, {})
        people = people_of(goal, partner=partner)
        lines = [
            charts.progress_line(
                goal=goal,
                entries=entries.get(person.pk, []),
                days=days,
                index=index,
                name=person_name(person, partner),
            )
            for index, person in enumerate(people)
        ]
        mine = next((e for e in entries.get(partner.pk, []) if e.day == today), None)
        loggable = can_log(goal, partner=partner, today=today)
        return GoalCard(
            goal=goal,
            target=words.target_label(goal),
            lines=lines,
            today_label=words.value_label(goal.measure, mine.value) if mine else "",
            log_buttons=log_buttons(goal, today_entry=mine) if loggable else [],
            log_day=today,
            log_layout="log-scale" if goal.measure == Goal.Measure.RATING else "log-row",
            status_note=status_note(goal, partner=partner, people=people, entries=entries),
        )

    return card


def status_note(goal: Goal, *, partner: Partner, people: list[Partner], entries: dict) -> str:
    """An achieved goal said as such; a shared milestone while only one of us has marked it
    reached (it is achieved once both have: goals.services.progress). The entries hold every
    mark of a milestone, whatever its day."""
    if goal.status == Goal.Status.ACHIEVED:
        return "Achieved. Well done."
    if not (goal.is_shared and goal.measure == Goal.Measure.MILESTONE):
        return ""
    if goal.status != Goal.Status.ACTIVE:
        return ""
    marked = {person.pk for person in people if any(e.value for e in entries.get(person.pk, []))}
    others = [person.display_name for person in people if person.pk != partner.pk]
    other = " and ".join(others) or "your partner"
    if partner.pk in marked and len(marked) < len(people):
        return f"You marked it reached. It is achieved once {other} marks it too."
    if marked and partner.pk not in marked:
        return f"{other} marked it reached. If you agree, mark it too: it is then achieved."
    return ""


def people_of(goal: Goal, *, partner: Partner) -> list[Partner]:
    """Whose progress a goal shows: both partners (me first) on a shared goal, else the owner."""
    if goal.partner_id is not None:
        return [goal.partner]
    people = list(partner.couple.partners.all())
    return sorted(people, key=lambda person: person.pk != partner.pk)


def can_log(goal: Goal, *, partner: Partner, today: datetime.date) -> bool:
    """Whether to offer logging; goals.services.progress_log still decides."""
    return (
        goal.status == Goal.Status.ACTIVE
        and goal.partner_id in (None, partner.pk)
        and goal.start_on <= today
    )


def log_buttons(goal: Goal, *, today_entry: ProgressPoint | None) -> list[LogButton]:
    """Two taps: one button a value, each its own tiny form. "+1" adds to today's count."""
    value = today_entry.value if today_entry else None
    for_goal = f" for “{goal.title}”"
    if goal.measure == Goal.Measure.YES_NO:
        return [
            LogButton(f"{words.DONE} today", for_goal, 1, value == 1),
            LogButton(f"{words.NOT_DONE} today", for_goal, 0, value == 0),
        ]
    if goal.measure == Goal.Measure.RATING:
        return [LogButton(str(n), f" of 10 today{for_goal}", n, value == n) for n in range(1, 11)]
    if goal.measure == Goal.Measure.COUNT:
        count = value or 0
        return [LogButton("+1 today", for_goal, count + 1, False)] if count < 100 else []
    return [LogButton("Mark reached", for_goal, 1, value == 1)]


def person_name(person: Partner, viewer: Partner) -> str:
    return "Me" if person.pk == viewer.pk else person.display_name


def kind_label(goal: Goal, *, partner: Partner) -> str:
    if goal.partner_id is None:
        return "Shared goal"
    if goal.partner_id == partner.pk:
        return "My own goal"
    return f"{goal.partner.display_name}’s own goal"


@dataclass(frozen=True)
class TableRow:
    day: datetime.date
    cells: list[tuple[str, str]]  # per person: value in words, note


def table_rows(goal: Goal, *, entries: dict, people: list[Partner], days: list) -> list[TableRow]:
    """The chart as a table, newest day first: the text equivalent."""
    by_person = [{entry.day: entry for entry in entries.get(p.pk, [])} for p in people]
    rows = []
    for day in reversed(days):
        found = [logged.get(day) for logged in by_person]
        cells = [
            (words.value_label(goal.measure, entry.value if entry else None), entry.note)
            if entry
            else ("—", "")
            for entry in found
        ]
        rows.append(TableRow(day=day, cells=cells))
    return rows
