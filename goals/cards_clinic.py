"""What the clinic's goal pages show, shaped for templates that only display.

Plain functions of data already read (goals/queries.py does the reading), so the
couple page and the goal page show a goal, its agreement and its progress alike.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.safestring import SafeString

from couples.models import Partner
from goals import words
from goals.charts_clinic import Series, legend_swatch, progress_chart, target_swatch
from goals.models import CheckIn, Goal, GoalChangeRequest
from goals.queries import HIGH_CRAVING, ProgressPoint, Streak

FINISHED = (Goal.Status.ACHIEVED, Goal.Status.CANCELLED)
# The couple page lists goals in the order a clinician acts on them.
STATUS_ORDER = [Goal.Status.ACTIVE, Goal.Status.PROPOSED, Goal.Status.ON_HOLD, Goal.Status.ACHIEVED]
STATUS_BADGES = {
    Goal.Status.PROPOSED: "text-bg-info",
    Goal.Status.ACTIVE: "text-bg-primary",
    Goal.Status.ACHIEVED: "text-bg-success",
    Goal.Status.ON_HOLD: "text-bg-secondary",
    Goal.Status.CANCELLED: "text-bg-light border",
}


@dataclass
class ProgressRow:
    day: datetime.date
    values: list[str]  # one per partner column; "—" where nothing was logged

    @property
    def day_label(self) -> str:
        """As the date filter's "D M j" draws it ("Mon Dec 7"), without its cost per row."""
        return f"{self.day:%a} {words.day_label(self.day)}"


@dataclass
class ProgressView:
    """Progress on one goal over a window: a chart, a summary per partner, a table."""

    days: int
    names: list[str]
    legend: list[tuple[str, SafeString]]  # empty for one partner's chart with no target line
    summaries: list[tuple[str, str]]
    rows: list[ProgressRow]
    chart: SafeString | str
    caption: str = ""  # the table's, for screen readers
    # The days the summaries count ("last 30 days"); empty for a milestone, whose marks
    # count whenever they were made.
    summary_span: str = ""


@dataclass
class Agreement:
    """Who has accepted a shared goal (name, when) and who has not yet."""

    accepted: list[tuple[str, datetime.datetime]]
    waiting: list[str]


@dataclass
class GoalCard:
    goal: Goal
    target: str
    badge: str  # the status badge's Bootstrap classes
    progress: ProgressView
    agreement: Agreement | None  # shared goals only
    is_awaiting_agreement: bool
    shows_progress: bool  # a proposal has none yet
    open_changes: list[GoalChangeRequest] = field(default_factory=list)
    can_edit: bool = True


@dataclass
class CheckInRow:
    day: datetime.date
    checkin: CheckIn | None
    is_high_craving: bool


@dataclass
class CheckInSummary:
    partner: Partner
    may_see: bool
    streak: Streak | None
    rows: list[CheckInRow]
    trust_days: int
    meeting_days: int
    checked_in_days: int
    # The questions' short headings, as the portal shows them (CheckIn.answers).
    questions: tuple[str, ...] = words.CHECKIN_QUESTIONS


def goal_card(
    goal: Goal,
    *,
    partners: list[Partner],
    entries: dict[int, list[ProgressPoint]],
    changes: list[GoalChangeRequest],
    since: datetime.date,
    today: datetime.date,
) -> GoalCard:
    """A goal as the clinic shows it; `entries` is partner id -> entries since `since`."""
    owners = partners if goal.is_shared else [p for p in partners if p.pk == goal.partner_id]
    return GoalCard(
        goal=goal,
        target=words.target_label(goal),
        badge=STATUS_BADGES[goal.status],
        progress=progress_view(goal, owners, entries, since=since, today=today),
        agreement=agreement(goal, partners) if goal.is_shared else None,
        is_awaiting_agreement=goal.is_shared and goal.status == Goal.Status.PROPOSED,
        shows_progress=goal.status != Goal.Status.PROPOSED,
        open_changes=[change for change in changes if change.resolved_at is None],
        can_edit=goal.status not in FINISHED,
    )


def progress_view(
    goal: Goal,
    owners: list[Partner],
    entries: dict[int, list[ProgressPoint]],
    *,
    since: datetime.date,
    today: datetime.date,
) -> ProgressView:
    """Both partners side by side for a shared goal; the owner alone for an individual one."""
    start = max(since, goal.start_on) if goal.start_on <= today else since
    by_partner = {owner.pk: {e.day: e for e in entries.get(owner.pk, [])} for owner in owners}
    logged_days = sorted({day for days in by_partner.values() for day in days}, reverse=True)
    names = [owner.display_name for owner in owners]
    chart = progress_chart(
        title=(
            f"{goal.title}: {words.AXIS_UNITS[goal.measure].lower()} for {' and '.join(names)},"
            f" {words.day_label(start)} to {words.day_label(today)}"
        ),
        measure=goal.measure,
        target=goal.target,
        start=start,
        end=today,
        series=[
            Series(label=name, values={d: e.value for d, e in by_partner[o.pk].items()})
            for name, o in zip(names, owners, strict=True)
        ],
    )
    return ProgressView(
        days=(today - since).days + 1,
        names=names,
        legend=_legend(goal, names),
        summaries=[
            (name, _summary(goal, list(by_partner[o.pk].values()), (today - start).days + 1))
            for name, o in zip(names, owners, strict=True)
        ],
        rows=[
            ProgressRow(
                day=day,
                values=[
                    words.value_label(goal.measure, by_partner[o.pk][day].value)
                    if day in by_partner[o.pk]
                    else words.NOTHING
                    for o in owners
                ],
            )
            for day in logged_days
        ],
        # A milestone is one tick, and an empty chart says nothing the summary does not.
        chart=chart if logged_days and goal.measure != Goal.Measure.MILESTONE else "",
        caption=f"{goal.title}: each day logged, newest first",
        summary_span=""
        if goal.measure == Goal.Measure.MILESTONE
        else f"last {(today - since).days + 1} days",
    )


def _legend(goal: Goal, names: list[str]) -> list[tuple[str, SafeString]]:
    """The partners' keys when there are two, and a rating's target line."""
    legend = []
    if len(names) > 1:
        legend = [(name, legend_swatch(index)) for index, name in enumerate(names)]
    if goal.measure == Goal.Measure.RATING and goal.target:
        legend.append((f"Target: {words.out_of_ten(goal.target)}", target_swatch()))
    return legend


def _summary(goal: Goal, entries: list[ProgressPoint], days: int) -> str:
    if goal.measure == Goal.Measure.MILESTONE:
        # Whenever it was marked: goals.queries reads a milestone's marks whatever their day.
        done = min((entry.day for entry in entries if entry.value), default=None)
        return f"Reached on {words.day_label(done)}" if done else "Not reached yet"
    if not entries:
        return "Nothing logged"
    values = [entry.value for entry in entries]
    if goal.measure == Goal.Measure.YES_NO:
        return f"Done on {sum(values)} of {len(values)} logged days"
    if goal.measure == Goal.Measure.COUNT:
        total = words.times(sum(values))
        return f"{total} in {words.days(days)}, about {sum(values) * 7 / days:.1f} a week"
    return f"Average {sum(values) / len(values):.1f}, latest {words.out_of_ten(values[-1])}"


def agreement(goal: Goal, partners: list[Partner]) -> Agreement:
    accepted = {acceptance.partner_id: acceptance for acceptance in goal.acceptances.all()}
    return Agreement(
        accepted=[
            (p.display_name, accepted[p.pk].accepted_at) for p in partners if p.pk in accepted
        ],
        waiting=[p.display_name for p in partners if p.pk not in accepted],
    )


def checkin_summary(
    *,
    partner: Partner,
    checkins: list[CheckIn],
    streak: Streak | None,
    may_see: bool,
    today: datetime.date,
    days: int,
) -> CheckInSummary:
    """One partner's last `days` days, newest first, a row for each day checked in or not."""
    by_day = {checkin.day: checkin for checkin in checkins} if may_see else {}
    return CheckInSummary(
        partner=partner,
        may_see=may_see,
        streak=streak if may_see else None,
        rows=[
            CheckInRow(
                day=day,
                checkin=by_day.get(day),
                is_high_craving=day in by_day and by_day[day].craving >= HIGH_CRAVING,
            )
            for day in (today - datetime.timedelta(days=n) for n in range(days))
        ],
        trust_days=sum(checkin.had_trust_discussion for checkin in by_day.values()),
        meeting_days=sum(checkin.attended_meeting for checkin in by_day.values()),
        checked_in_days=len(by_day),
    )


def in_status_order(goals: list[Goal]) -> list[Goal]:
    return sorted(goals, key=lambda goal: STATUS_ORDER.index(goal.status))
