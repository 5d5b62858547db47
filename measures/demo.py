"""Demo measures (seed_demo calls seed()): each partner of every demo couple is asked for
the PHQ-9, GAD-7 and BAM weekly and the CSI-4 every two weeks, from six weeks ago, and has
filled every earlier occurrence; this week's are left for them to fill.

Random but repeatable (a generator seeded by the partner and the measure), so a second run
adds nothing. Most partners improve; Riley (who also stopped checking in) gets worse, so the
care team's trend shows a meaningful change. History is written directly: the services date
a completion now.
"""

import datetime
import random

from django.utils import timezone

from couples.management.commands.seed_demo import demo_couples
from couples.models import CareAssignment, CareRole
from couples.notifications import local_moment
from couples.queries import couple_time_zone, couple_today
from measures.instruments import SCHEDULED
from measures.models import MeasureResponse, MeasureSchedule
from measures.schedule import occurrence_on_or_before
from measures.services import response_items_raise

WEEKS = 6
CADENCE = {"phq9": "weekly", "gad7": "weekly", "bam": "weekly", "csi4": "fortnightly"}
WORSENING = {"riley"}
# Where each partner starts and ends, as a share of the instrument's range (higher = worse).
START, END, END_WORSE = 0.55, 0.25, 0.75


def seed() -> None:
    for couple in demo_couples():
        if MeasureSchedule.objects.filter(partner__couple=couple).exists():
            continue
        therapist = (
            CareAssignment.objects.filter(
                couple=couple, role=CareRole.COUPLES_THERAPIST, ended_at__isnull=True
            )
            .select_related("clinician__user")
            .first()
        )
        if therapist is None:
            continue
        today = couple_today(couple=couple)
        starts_on = today - datetime.timedelta(days=7 * WEEKS)
        for partner in couple.partners.select_related("user").order_by("pk"):
            for instrument in SCHEDULED:
                _history(partner, instrument, starts_on, today, therapist.clinician.user)


def _history(partner, instrument, starts_on, today, set_by) -> None:
    schedule = MeasureSchedule.objects.create(
        partner=partner,
        instrument=instrument.code,
        cadence=CADENCE[instrument.code],
        starts_on=starts_on,
        set_by=set_by,
        set_at=timezone.now(),
    )
    handle = partner.user.email.split("@")[0]
    # Seeded by who and what, never by an id: ids differ from one database to another.
    rng = random.Random(f"{handle}:{instrument.code}")
    end = END_WORSE if handle in WORSENING else END
    this_time = occurrence_on_or_before(
        starts_on=starts_on, interval_days=schedule.interval_days, day=today
    )
    due_on, step = starts_on, 0
    zone = couple_time_zone(couple=partner.couple)
    steps = (this_time - starts_on).days // schedule.interval_days
    while due_on < this_time:
        share = START + (end - START) * step / max(1, steps - 1)
        answers = _answers(instrument, share, rng)
        score = instrument.score(answers)
        at = local_moment(due_on, datetime.time(19, rng.randrange(60)), zone)
        response = MeasureResponse.objects.create(
            couple_id=partner.couple_id,
            partner=partner,
            instrument=instrument.code,
            status=MeasureResponse.Status.COMPLETED,
            due_on=due_on,
            answers=answers,
            started_at=at - datetime.timedelta(minutes=2),
            completed_at=at,
            total=score.total,
            subscales=score.subscales,
            band_label=score.band.label if score.band else "",
            band_level=score.band.level if score.band else None,
            flags=list(score.flags),
        )
        due_on += datetime.timedelta(days=schedule.interval_days)
        step += 1
    if handle in WORSENING and step:
        # The last one reaches the care team's queue as a filled one would.
        response_items_raise(response)


def _answers(instrument, share: float, rng: random.Random) -> dict[str, int]:
    """Answers whose score sits near `share` of the way from best to worst. Never the
    safety question: a demo does not invent a patient at risk."""
    answers = {}
    for item in instrument.items:
        if item.optional:
            continue
        values = [value for value, _ in item.choices]
        worst_first = values if instrument.higher_is_worse else values[::-1]
        position = min(
            len(values) - 1, max(0, round(share * (len(values) - 1) + rng.uniform(-0.6, 0.6)))
        )
        answers[item.key] = worst_first[position]
    if instrument.code == "phq9":
        answers["q9"] = 0
    if instrument.code == "bam":
        # Few days of use in recovery, a yes to enough income, and protective items the
        # better way round (they are scored higher = better).
        for key in ("q4", "q5", "q6"):
            answers[key] = 0
        answers["q14"] = 4
        for key in ("q9", "q10", "q12", "q13", "q16", "q17"):
            answers[key] = 4 - answers[key]
    return answers
