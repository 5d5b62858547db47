"""Demo goals, 60 days of check-ins and progress for every demo couple (seed_demo calls seed()).

Random but repeatable (seeded by the couple's id). Casey and Riley's couple is
written to need attention: Riley stopped checking in and reported strong cravings.
History older than the 7-day window is written directly: the services refuse
entries that old, by design.
"""

import datetime
import random

from couples.models import Couple
from couples.queries import couple_today
from goals.models import CheckIn, Goal, GoalAcceptance, GoalTransition, ProgressEntry

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
NEEDS_ATTENTION = {"riley"}  # stops checking in 3 days ago, cravings of 8–9 before that


def seed() -> None:
    for couple in Couple.objects.filter(
        partners__user__email__endswith="@demo.couplesrehab.test"
    ).distinct():
        if couple.goals.exists():
            continue  # seeded already: seed_demo may run twice
        _seed_couple(couple)


def _seed_couple(couple: Couple) -> None:
    rng = random.Random(couple.pk)
    today = couple_today(couple=couple)
    start = today - datetime.timedelta(days=DAYS - 1)
    partners = list(couple.partners.select_related("user").order_by("pk"))
    creator = partners[0].user
    goals = []
    for title, category, measure, target, shared in GOALS:
        owners = [None] if shared else partners
        for owner in owners:
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
            goals.append(goal)
    Goal.objects.create(
        couple=couple,
        category=Goal.Category.SOBER_ACTIVITIES,
        title="Plan a sober weekend away",
        measure=Goal.Measure.MILESTONE,
        start_on=today,
        due_on=today + datetime.timedelta(days=30),
        created_by=partners[-1].user,
    )
    checkins, entries = [], []
    for partner in partners:
        handle = partner.user.email.split("@")[0]
        quiet_from = today - datetime.timedelta(days=2) if handle in NEEDS_ATTENTION else None
        for offset in range(DAYS):
            day = start + datetime.timedelta(days=offset)
            if (quiet_from and day >= quiet_from) or rng.random() < 0.08:
                continue  # a missed day
            craving = max(0, min(10, round(rng.gauss(3, 1.5))))
            if handle in NEEDS_ATTENTION and offset >= DAYS - 7:
                craving = rng.choice([8, 9])
            checkins.append(
                CheckIn(
                    partner=partner,
                    day=day,
                    is_sober=rng.random() > 0.015,
                    craving=craving,
                    mood=max(1, min(5, round(rng.gauss(3.4, 0.9)))),
                    had_trust_discussion=rng.random() < 0.7,
                    attended_meeting=rng.random() < 0.45,
                    recorded_on=day,
                )
            )
            entries.extend(_progress(rng, goals, partner, day))
    CheckIn.objects.bulk_create(checkins)
    ProgressEntry.objects.bulk_create(entries)


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
