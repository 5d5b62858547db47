import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from insurance.models import Authorization, Coverage, CoverageStatusChange
from insurance.queries import units_used_for_authorizations

pytestmark = pytest.mark.timeshift


@pytest.fixture
def demo(demo_seeded_once, db):
    pass


def test_the_demo_has_a_coverage_for_every_partner_in_each_status(demo):
    statuses = set(Coverage.objects.values_list("status", flat=True))

    assert Coverage.objects.count() == 6
    assert {"verified", "pending", "denied"} <= statuses


def test_one_partner_is_covered_on_the_other_partners_plan(demo):
    dependent = Coverage.objects.get(relationship=Coverage.Relationship.SPOUSE)

    other = dependent.partner.couple.partners.exclude(pk=dependent.partner_id).get()
    assert dependent.subscriber_name == other.user.get_full_name()


def test_one_coverage_ends_within_30_days(demo):
    today = timezone.localdate()
    ending = Coverage.objects.filter(terminates_on__isnull=False).get()
    assert 0 <= (ending.terminates_on - today).days <= 30


def test_every_coverage_has_every_benefit_and_a_history(demo):
    for coverage in Coverage.objects.exclude(status="unverified"):
        assert coverage.benefits.count() == 7
        assert coverage.status_changes.filter(to_status=coverage.status).exists()
    assert CoverageStatusChange.objects.filter(to_status="verified").count() == 3


def test_authorizations_are_partly_used(demo):
    authorizations = list(Authorization.objects.select_related("coverage"))
    used = units_used_for_authorizations(authorizations=authorizations)

    assert authorizations
    assert any(0 < used[a.pk] < a.units_authorized for a in authorizations)


def test_seeding_twice_adds_nothing(demo):
    counts = (Coverage.objects.count(), Authorization.objects.count())

    call_command("seed_demo", allow_production=True, stdout=io.StringIO())

    assert (Coverage.objects.count(), Authorization.objects.count()) == counts
