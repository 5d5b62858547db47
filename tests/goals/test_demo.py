from django.core.management import call_command

from couples.models import Couple
from couples.queries import couple_today
from goals import queries
from goals.models import CheckIn, Goal, ProgressEntry


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
            assert 45 <= len(days) <= 60
            assert 55 <= (couple_today(couple=couple) - min(days)).days <= 59


def test_seed_demo_includes_a_couple_that_needs_attention(db, settings):
    settings.DEBUG = True
    call_command("seed_demo")
    couples = list(Couple.objects.prefetch_related("partners__user"))

    attention = queries.needs_attention(couples=couples, today=couple_today(couple=couples[0]))

    riley_couple = Couple.objects.get(partners__user__email="riley@demo.couplesrehab.test")
    reasons = attention[riley_couple.pk]
    assert any(reason.startswith("No check-in from Riley") for reason in reasons)
    assert any("craving" in reason for reason in reasons)
