"""Demo goals, and 60 days of check-ins and progress up to yesterday, for every demo couple
(seed_demo calls seed()).

Random but repeatable: each partner's day is drawn from a generator seeded by the partner
and the day, so a later run fills the days since the last one, the same way, without
touching what is there. Today's check-in is left open for the partners to make.
Casey and Riley's couple is written to need attention: Riley stopped checking in and
reported strong cravings. History older than the 7-day window is written directly: the
services refuse entries that old, by design.
"""

import datetime
import random

from couples.management.commands.seed_demo import demo_couples
from couples.models import Couple
from couples.queries import couple_today
from goals.models import CheckIn, Goal, GoalAcceptance, GoalTransition, ProgressEntry
from triage import services as triage_services

DAYS = 60
GOALS = [
    # title, category, measure, target, shared?
    ("Ten minutes of talk after dinner", Goal.Category.COMMUNICATION, Goal.Measure.YES_NO, 5, True),
    ("How heard we felt today", Goal.Category.TRUST, Goal.Measure.RATING, 8, True),
    ("Sober activities together", Goal.Category.SOBER_ACTIVITIES, Goal.Measure.COUNT, 2, True),
    ("Support meetings", Goal.Category.SOBRIETY, Goal.Measure.COUNT, 3, False),
    ("Walk or exercise", Goal.Category.HEALTH, Goal.Measure.YES_NO, 4, False),
    (
        "Finish the relapse-prevention plan",
        Goal.Category.SOBRIETY,
        Goal.Measure.MILESTONE,
        None,
        False,
    ),
]
NEEDS_ATTENTION = {"riley"}  # no check-in for the last 3 days, cravings of 8–9 before that
QUIET_DAYS = 3


def seed() -> None:
    for couple in demo_couples():
        today = couple_today(couple=couple)
        partners = list(couple.partners.select_related("user").order_by("pk"))
        if not couple.goals.exists():
            _goals(couple, partners, today)
        _days(couple, partners, today)
        _recent_uses_raise(partners, today)


def _recent_uses_raise(partners, today: datetime.date) -> None:
    """A use reported in the last week reaches the care team's queue, as the check-in service
    would have raised it (history is written directly). Once per check-in, however often
    seed_demo runs."""
    recent = CheckIn.objects.filter(
        partner__in=partners, is_sober=False, day__gte=today - datetime.timedelta(days=7)
    ).select_related("partner__user")
    for checkin in recent:
        triage_services.reported_use_raise(checkin=checkin)


def _goals(couple: Couple, partners, today: datetime.date) -> None:
    start = today - datetime.timedelta(days=DAYS - 1)
    creator = partners[0].user
    for title, category, measure, target, shared in GOALS:
        for owner in [None] if shared else partners:
            goal = Goal.objects.create(
                couple=couple,
                partner=owner,
                category=category,
                title=title,
                measure=measure,
                target=target,
                start_on=start,
                status=Goal.Status.ACTIVE,
                created_by=creator,
            )
            GoalTransition.objects.create(
                goal=goal, from_status="", to_status=goal.status, by=creator
            )
            if shared:
                GoalAcceptance.objects.bulk_create(
                    GoalAcceptance(goal=goal, partner=p) for p in partners
                )
    # Proposed by the second partner, who agreed by proposing it: waiting for the first.
    proposed = Goal.objects.create(
        couple=couple,
        category=Goal.Category.SOBER_ACTIVITIES,
        title="Plan a sober weekend away",
        measure=Goal.Measure.MILESTONE,
        start_on=today,
        due_on=today + datetime.timedelta(days=30),
        created_by=partners[-1].user,
    )
    GoalAcceptance.objects.create(goal=proposed, partner=partners[-1])


def _days(couple: Couple, partners, today: datetime.date) -> None:
    """Check-ins and progress for each of the last DAYS days before today that has none yet."""
    goals = list(couple.goals.filter(status=Goal.Status.ACTIVE).order_by("pk"))
    start = today - datetime.timedelta(days=DAYS - 1)
    checkins, entries = [], []
    for partner in partners:
        handle = partner.user.email.split("@")[0]
        last = today - datetime.timedelta(days=QUIET_DAYS if handle in NEEDS_ATTENTION else 1)
        done = set(partner.checkins.filter(day__gte=start).values_list("day", flat=True))
        for offset in range((last - start).days + 1):
            day = start + datetime.timedelta(days=offset)
            # Seeded by who and when, never by an id: ids differ from one database to another.
            rng = random.Random(f"{handle}:{day.isoformat()}")
            # A missed day now and then, never in the last week: a run of them there would
            # make a partner who is meant to be doing well look silent to the care team.
            missed = rng.random() < 0.08 and (today - day).days > 7
            if day in done or missed:
                continue  # written by an earlier run, or a missed day
            strong = handle in NEEDS_ATTENTION and (today - day).days <= 7
            checkins.append(_checkin(rng, partner, day, strong=strong))
            entries.extend(_progress(rng, goals, partner, day))
    CheckIn.objects.bulk_create(checkins)
    ProgressEntry.objects.bulk_create(entries, ignore_conflicts=True)
    _milestones_achieve(couple)


def _milestones_achieve(couple: Couple) -> None:
    """A partner's own milestone marked reached is achieved, as the progress service would
    have done (history is written directly here)."""
    reached = (
        couple.goals.filter(
            status=Goal.Status.ACTIVE,
            measure=Goal.Measure.MILESTONE,
            partner__isnull=False,
            progress_entries__value=1,
        )
        .select_related("partner__user")
        .distinct()
    )
    for goal in reached:
        goal.status = Goal.Status.ACHIEVED
        goal.save(update_fields=["status"])
        GoalTransition.objects.create(
            goal=goal,
            from_status=Goal.Status.ACTIVE,
            to_status=Goal.Status.ACHIEVED,
            by=goal.partner.user,
            note="Marked reached",
        )


def _checkin(rng, partner, day, *, strong: bool) -> CheckIn:
    craving = rng.choice([8, 9]) if strong else max(0, min(10, round(rng.gauss(3, 1.5))))
    return CheckIn(
        partner=partner,
        day=day,
        is_sober=rng.random() > 0.015,
        craving=craving,
        mood=max(1, min(5, round(rng.gauss(3.4, 0.9)))),
        had_trust_discussion=rng.random() < 0.7,
        attended_meeting=rng.random() < 0.45,
        recorded_on=day,
    )


def _progress(rng, goals, partner, day):
    for goal in goals:
        if goal.partner_id not in (None, partner.pk) or rng.random() < 0.25:
            continue
        if goal.measure == Goal.Measure.YES_NO:
            value = int(rng.random() < 0.7)
        elif goal.measure == Goal.Measure.RATING:
            value = max(1, min(10, round(rng.gauss(6.5, 1.5))))
        elif goal.measure == Goal.Measure.COUNT:
            value = int(rng.random() < 0.4)
        elif day == goal.start_on + datetime.timedelta(days=40):
            value = 1  # the milestone is reached once
        else:
            continue
        yield ProgressEntry(
            goal=goal, partner=partner, day=day, measure=goal.measure, value=value, recorded_on=day
        )
