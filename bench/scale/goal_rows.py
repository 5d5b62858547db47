"""Goals with their acceptances and history, and the daily check-ins and progress entries."""

import datetime

from bench.scale.clinic import Clinic, CoupleRow
from couples.models import Couple
from goals.models import Goal

# Goals: title, category, measure, target. Every couple (past intake) gets the shared ones,
# each partner one daily goal of their own and the relapse-prevention milestone.
SHARED_GOALS = [
    ("Ten minutes of talk after dinner", Goal.Category.COMMUNICATION, Goal.Measure.YES_NO, 5),
    ("How heard we felt today", Goal.Category.TRUST, Goal.Measure.RATING, 8),
    ("Sober activities together", Goal.Category.SOBER_ACTIVITIES, Goal.Measure.COUNT, 2),
]
OWN_GOALS = [
    ("Support meetings", Goal.Category.SOBRIETY, Goal.Measure.COUNT, 3),
    ("Walk or exercise", Goal.Category.HEALTH, Goal.Measure.YES_NO, 4),
    ("In bed by eleven", Goal.Category.HEALTH, Goal.Measure.YES_NO, 5),
    ("Journal each evening", Goal.Category.OTHER, Goal.Measure.YES_NO, 6),
]
MILESTONE = ("Finish the relapse-prevention plan", Goal.Category.SOBRIETY, "milestone", None)
DROPPED = ("Daily gratitude list", Goal.Category.OTHER, Goal.Measure.YES_NO, 7)
STATUS_PATH = {
    Goal.Status.PROPOSED: [Goal.Status.PROPOSED],
    Goal.Status.ACTIVE: [Goal.Status.PROPOSED, Goal.Status.ACTIVE],
    Goal.Status.ACHIEVED: [Goal.Status.PROPOSED, Goal.Status.ACTIVE, Goal.Status.ACHIEVED],
    Goal.Status.ON_HOLD: [Goal.Status.PROPOSED, Goal.Status.ACTIVE, Goal.Status.ON_HOLD],
    Goal.Status.CANCELLED: [Goal.Status.PROPOSED, Goal.Status.CANCELLED],
}
# Moods lean towards "okay" and "good"; sampled by index, which is cheaper than choices().
MOODS = (1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5)
NOTES = ("Hard evening, called my sponsor.", "Good talk tonight.", "Tired but okay.")


def goal_plans(clinic: Clinic, couple: CoupleRow) -> list[dict]:
    """One couple's goals as field values, with `_daily` and `_achieved_on` for the stream."""
    rng = clinic.rng
    if couple.admitted_on is None:
        return [_goal(couple, None, SHARED_GOALS[0], Goal.Status.PROPOSED, start_on=clinic.today)]
    daily_status = Goal.Status.ACTIVE
    if couple.status == Couple.Status.DISCHARGED:
        daily_status = Goal.Status.ACHIEVED
    plans = []
    for number, spec in enumerate(SHARED_GOALS):
        status = daily_status
        if number == 2 and rng.random() < 0.5:
            status = Goal.Status.ON_HOLD  # the third shared goal waits for half the couples
        plans.append(_goal(couple, None, spec, status, start_on=couple.admitted_on))
    for partner in couple.partners:
        own = rng.choice(OWN_GOALS)
        plans.append(_goal(couple, partner, own, daily_status, start_on=couple.admitted_on))
        achieved_on = None
        if couple.first_day and rng.random() < 0.6:
            day = couple.first_day + datetime.timedelta(days=rng.randint(7, 60))
            achieved_on = day if day <= couple.last_day else None
        milestone = _goal(
            couple,
            partner,
            MILESTONE,
            Goal.Status.ACHIEVED if achieved_on else Goal.Status.ACTIVE,
            start_on=couple.admitted_on,
            due_on=couple.admitted_on + datetime.timedelta(days=60),
        )
        milestone["_daily"], milestone["_achieved_on"] = False, achieved_on
        plans.append(milestone)
        if rng.random() < 0.15:
            plans.append(
                _goal(couple, partner, DROPPED, Goal.Status.CANCELLED, start_on=couple.admitted_on)
            )
    return plans


def _goal(couple: CoupleRow, partner: int | None, spec: tuple, status: str, **fields) -> dict:
    title, category, measure, target = spec
    owner = couple.users[0] if partner is None else couple.users[couple.partners.index(partner)]
    return {
        "couple_id": couple.pk,
        "partner_id": partner,
        "title": title,
        "category": category,
        "measure": measure,
        "target": target,
        "status": status,
        "created_by_id": owner,
        "_daily": status == Goal.Status.ACTIVE
        or (status == Goal.Status.ACHIEVED and measure != Goal.Measure.MILESTONE),
        "_achieved_on": None,
        **fields,
    }


def goal_side_rows(goal: dict, pk: int, couple: CoupleRow):
    """Acceptances of a shared goal and the goal's status history, as (model name, fields)."""
    if goal["partner_id"] is None and goal["status"] != Goal.Status.PROPOSED:
        for partner in couple.partners:
            yield "acceptance", {"goal_id": pk, "partner_id": partner}
    elif goal["status"] == Goal.Status.PROPOSED:
        yield "acceptance", {"goal_id": pk, "partner_id": couple.partners[0]}
    previous = ""
    for status in STATUS_PATH[goal["status"]]:
        yield (
            "transition",
            {
                "goal_id": pk,
                "from_status": previous,
                "to_status": status,
                "by_id": goal["created_by_id"],
            },
        )
        previous = status


# Check-ins and progress ----------------------------------------------------------------


def daily_rows(clinic: Clinic, couple: CoupleRow):
    """One couple's check-ins and progress entries, as two lists of tuples.

    Each partner has their own habits: how often they skip a day, how strong cravings
    run, how often they say yes. Missed days have neither a check-in nor progress.
    """
    checkins, entries = [], []
    if couple.first_day is None:
        return checkins, entries
    rng = clinic.rng
    random = rng.random
    today = clinic.zone_today[couple.zone]
    goals = clinic.goals.get(couple.pk, [])
    days = [
        couple.first_day + datetime.timedelta(days=offset)
        for offset in range((couple.last_day - couple.first_day).days + 1)
    ]
    for partner in couple.partners:
        gap_rate = rng.choice((0.03, 0.05, 0.08, 0.12, 0.25))
        craving_mean = rng.choice((1.0, 2.0, 3.0, 4.5))
        relapse_rate = rng.choice((0.003, 0.01, 0.01, 0.04))
        says_yes = rng.uniform(0.55, 0.9)
        rating_base = rng.randint(4, 8)
        logs = rng.uniform(0.7, 0.95)  # how reliably they log each goal
        mine = [g for g in goals if g.partner in (None, partner)]
        daily = [(g.pk, g.measure) for g in mine if g.is_daily]
        milestones = {g.achieved_on: g.pk for g in mine if g.achieved_on}
        for day in days:
            if day in milestones:  # reaching it is worth logging, even on a missed day
                entries.append((milestones[day], partner, day, Goal.Measure.MILESTONE, 1, "", day))
            if random() < gap_rate:
                continue
            recorded_on = day
            if random() < 0.1:  # logged a day or three late, within the 7-day window
                recorded_on = min(today, day + datetime.timedelta(days=rng.randint(1, 3)))
            is_sober = random() > relapse_rate
            craving = min(10, int(rng.expovariate(1 / craving_mean)) + (0 if is_sober else 5))
            checkins.append(
                (
                    partner,
                    day,
                    is_sober,
                    craving,
                    MOODS[int(random() * len(MOODS))] if is_sober else 1,
                    random() < 0.65,
                    random() < 0.45,
                    NOTES[int(random() * len(NOTES))] if random() < 0.02 else "",
                    recorded_on,
                )
            )
            for goal, measure in daily:
                if random() > logs:
                    continue
                if measure == Goal.Measure.YES_NO:
                    value = int(random() < says_yes)
                elif measure == Goal.Measure.RATING:
                    value = max(1, min(10, rating_base + int(random() * 5) - 2))
                else:
                    value = int(random() < 0.4) + int(random() < 0.05)
                entries.append((goal, partner, day, measure, value, "", recorded_on))
    return checkins, entries
