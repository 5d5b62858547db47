import io

import pytest
from django.core.management import call_command

from plans.models import Assessment, PlanVersion, TreatmentPlan

pytestmark = pytest.mark.timeshift


@pytest.fixture
def demo(demo_seeded_once, db):
    pass


def test_every_demo_partner_has_a_signed_assessment_and_plan_and_each_couple_a_plan(demo):
    assert Assessment.objects.filter(signed_at__isnull=False).count() == 6
    assert TreatmentPlan.objects.filter(partner__isnull=False).count() == 6
    assert TreatmentPlan.objects.filter(partner__isnull=True).count() == 3
    assert not PlanVersion.objects.filter(signed_at__isnull=True).exists()


def test_seeding_twice_adds_nothing(demo):
    call_command("seed_demo", allow_production=True, stdout=io.StringIO())

    assert TreatmentPlan.objects.count() == 9
