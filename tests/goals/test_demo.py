import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from couples.models import Couple, Partner
from couples.queries import couple_today
from goals.models import CheckIn, Goal, ProgressEntry
from triage.models import TriageItem

pytestmark = pytest.mark.timeshift

CLINIC = ZoneInfo("America/New_York")
GOALS_OF_A_COUPLE = 3 + 3 * 2 + 1  # three shared, three each, one proposed


def test_seed_demo_gives_every_couple_goals_of_every_measure_and_sixty_days(db, settings):
    settings.DEBUG = True

    call_command("seed_demo")
    counts = (Goal.objects.count(), CheckIn.objects.count(), ProgressEntry.objects.count())
    call_command("seed_demo")

    assert (Goal.objects.count(), CheckIn.objects.count(), ProgressEntry.objects.count()) == counts
    for couple in Couple.objects.all():
        assert set(couple.goals.values_list("measure", flat=True)) == set(Goal.Measure.values)
        for partner in couple.partners.all():
            days = partner.checkins.values_list("day", flat=True)
            today = couple_today(couple=couple)
            assert 45 <= len(days) <= 59
            assert 55 <= (today - min(days)).days <= 59
            assert max(days) < today  # today's check-in is the partner's to make


def test_seed_demo_includes_a_couple_that_needs_attention(db, settings, time_machine):
    settings.DEBUG = True
    time_machine.move_to(datetime.datetime(2026, 12, 7, 9, 0, tzinfo=CLINIC), tick=False)

    call_command("seed_demo", stdout=io.StringIO())  # ends with a triage sweep

    riley = Partner.objects.get(user__email="riley@demo.couplesrehab.test")
    open_items = TriageItem.objects.filter(
        couple=riley.couple, acknowledged_at__isnull=True, resolved_at__isnull=True
    )
    # Riley stopped checking in 3 days ago (the strong cravings before that are older than
    # the last 3 days that hard_days reads).
    silent = open_items.get(kind=TriageItem.Kind.CHECKINS_MISSED)
    assert silent.partner == riley
    assert silent.summary == "No check-in from Riley since Dec 4 (3 days)"
    assert not open_items.filter(kind=TriageItem.Kind.CHECKINS_MISSED).exclude(partner=riley)


def test_a_later_run_fills_the_days_since_without_touching_the_earlier_ones(
    db, settings, time_machine
):
    settings.DEBUG = True
    time_machine.move_to(datetime.datetime(2026, 12, 6, 23, 30, tzinfo=CLINIC), tick=False)
    call_command("seed_demo", stdout=io.StringIO())
    jordan = Partner.objects.get(user__email="jordan@demo.couplesrehab.test")
    riley = Partner.objects.get(user__email="riley@demo.couplesrehab.test")
    first_run = {p.pk: list(p.checkins.values_list("day", "craving")) for p in (jordan, riley)}

    time_machine.move_to(datetime.datetime(2026, 12, 11, 8, 0, tzinfo=CLINIC), tick=False)
    call_command("seed_demo", stdout=io.StringIO())

    today = datetime.date(2026, 12, 11)
    for partner in (jordan, riley):
        assert set(first_run[partner.pk]) <= set(partner.checkins.values_list("day", "craving"))
    assert jordan.checkins.filter(day__gte=datetime.date(2026, 12, 6)).count() >= 3
    assert jordan.checkins.filter(day=today).count() == 0
    assert riley.checkins.latest("day").day <= today - datetime.timedelta(days=3)
    assert Goal.objects.filter(couple=jordan.couple).count() == GOALS_OF_A_COUPLE
