"""The partner's "My coverage" page, the coverage card on the portal's More page, and the
caseload's coverage flags."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from insurance import services
from insurance.models import Authorization, Benefit, Coverage, Payer
from sessions import services as session_services
from sessions.models import SessionKind
from tests.auth import sign_in_with_mfa
from tests.factories import CoupleFactory, PartnerFactory
from triage.sweeps import RULES, rule_apply

pytestmark = pytest.mark.timeshift

COVERAGE = "/portal/coverage/"
MORE = "/portal/more/"
CASELOAD = "/clinic/"


def coverage_sweep() -> None:
    """The queue's coverage rule alone, as beat's sweep runs it: the other rules' items
    (silence, no session booked, IOP hours from Thursday) would crowd the queue's first 25
    on some days and not others."""
    rule, now = RULES["coverage"], timezone.now()
    rule_apply(rule=rule, findings=list(rule.find(now)), now=now)


@pytest.fixture
def blue_cross(db):
    return Payer.objects.create(name="Blue Cross")


def coverage_for(partner, payer, **fields):
    values = {
        "member_id": f"M-{partner.pk}",
        "subscriber_name": partner.display_name,
        "effective_on": timezone.localdate() - datetime.timedelta(days=90),
    }
    return Coverage.objects.create(partner=partner, payer=payer, **values | fields)


@pytest.fixture
def jordan(client, partner_a):
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def maya(client, clinician, couple, partner_a, partner_b):
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )
    sign_in_with_mfa(client, clinician.user)
    return client


# My coverage


def test_i_see_my_own_coverage_and_never_my_partners(jordan, partner_a, partner_b, blue_cross):
    coverage_for(partner_a, blue_cross, member_id="JORDAN-111")
    coverage_for(partner_b, blue_cross, member_id="ALEX-222")

    response = jordan.get(COVERAGE)

    assert response.status_code == 200
    assert "JORDAN-111" in response.text
    assert "ALEX-222" not in response.text


def test_on_my_partners_plan_i_see_only_whose_plan_it_is(jordan, partner_a, partner_b, blue_cross):
    coverage_for(partner_b, blue_cross, member_id="ALEX-222", subscriber_name="Alex Miller")
    coverage_for(
        partner_a,
        blue_cross,
        member_id="ALEX-222-01",
        subscriber_name="Alex Miller",
        relationship=Coverage.Relationship.SPOUSE,
    )

    response = jordan.get(COVERAGE)

    assert "Covered on Alex Miller&#x27;s plan" in response.text
    assert "ALEX-222-01" in response.text
    assert "ALEX-222<" not in response.text  # Alex's own membership is not shown


def test_with_no_coverage_on_file_i_am_told_what_to_do(jordan):
    response = jordan.get(COVERAGE)

    assert "We have no insurance on file for you" in response.text


def test_a_verified_coverage_says_with_whom_and_when(jordan, partner_a, blue_cross, staff):
    coverage = coverage_for(partner_a, blue_cross)
    services.coverage_mark_verified(
        coverage=coverage, method="phone", reference_number="REF-1", by=staff
    )
    today = couple_today(couple=partner_a.couple)

    response = jordan.get(COVERAGE)

    assert f"Verified with Blue Cross on {today:%B} {today.day}, {today.year}." in response.text


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("pending", "We are checking your coverage with Blue Cross."),
        ("unverified", "We have not checked your coverage with Blue Cross yet."),
        ("denied", "Blue Cross could not confirm this coverage, so the clinic cannot bill"),
        ("expired", "Your coverage with Blue Cross has ended."),
    ],
)
def test_each_status_is_told_in_plain_words(jordan, partner_a, blue_cross, status, words):
    coverage_for(partner_a, blue_cross, status=status)

    response = jordan.get(COVERAGE)

    assert words in response.text


def verified(partner, payer, **fields):
    evidence = {
        "status": "verified",
        "verified_at": timezone.now(),
        "verification_method": "phone",
        "reference_number": "REF-1",
    }
    return coverage_for(partner, payer, **evidence | fields)


def test_each_session_kind_shows_what_it_costs_me(jordan, partner_a, blue_cross):
    coverage = verified(partner_a, blue_cross)
    Benefit.objects.create(coverage=coverage, category="therapy", copay=Decimal("20.00"))
    Benefit.objects.create(
        coverage=coverage, category="medical", coinsurance_percent=Decimal("20.00")
    )
    Benefit.objects.create(
        coverage=coverage, category="iop", copay=Decimal("12.50"), needs_prior_authorization=True
    )
    Benefit.objects.create(coverage=coverage, category="sober_activities", is_covered=False)

    costs = dict(jordan.get(COVERAGE).context["cards"][0].session_costs)

    assert costs == {
        "Individual therapy": "Copay $20",
        "Couples therapy": "Copay $20",
        "Drug & alcohol counseling": "Copay $20",
        "Group": "Copay $12.50",
        "Medical visit": "20% coinsurance after your deductible",
        "Sober activity": "Not covered",
    }


def test_what_is_covered_lists_each_benefit(jordan, partner_a, blue_cross):
    coverage = verified(partner_a, blue_cross)
    Benefit.objects.create(
        coverage=coverage,
        category="iop",
        copay=Decimal("10"),
        coinsurance_percent=Decimal("10"),
        needs_prior_authorization=True,
        visit_limit=30,
    )

    response = jordan.get(COVERAGE)

    [line] = response.context["cards"][0].benefits
    assert (line.category, line.cost) == (
        "The IOP program",
        "Copay $10, then 10% coinsurance after your deductible",
    )
    assert line.needs_prior_authorization
    assert (
        '<dt class="col-6 col-sm-5 fw-normal">Visit limit</dt><dd class="col-6 col-sm-7">30</dd>'
        in (response.text)
    )


def test_on_a_phone_the_costs_are_stacked_lines_not_a_table_wider_than_the_screen(
    jordan, partner_a, blue_cross
):
    """At 390 px a five-column table was cut off: each benefit is now label-and-value lines
    (one under the other below the sm breakpoint), and no table scrolls sideways."""
    coverage = verified(partner_a, blue_cross)
    Benefit.objects.create(coverage=coverage, category="therapy", copay=Decimal("20"))

    page = jordan.get(COVERAGE).text

    assert "<table" not in page.split("<main")[1]
    assert '<dt class="col-sm-5 fw-normal">Couples therapy</dt>' in page
    assert '<dd class="col-sm-7 fw-semibold">Copay $20</dd>' in page
    assert '<h4 class="small fw-semibold mb-1">Therapy services</h4>' in page


@pytest.mark.parametrize(
    ("status", "words"),
    [
        ("unverified", "once the clinic has verified this plan with your insurer"),
        ("pending", "once the clinic has verified this plan with your insurer"),
        ("denied", "No copay, coinsurance or deductible from this plan applies"),
        ("expired", "This plan&#x27;s copays and deductible no longer apply"),
    ],
)
def test_costs_are_shown_only_for_a_verified_plan(jordan, partner_a, blue_cross, status, words):
    coverage = coverage_for(partner_a, blue_cross, status=status, deductible=Decimal("1500"))
    Benefit.objects.create(coverage=coverage, category="iop", copay=Decimal("10"))

    response = jordan.get(COVERAGE)

    page = response.text
    assert "Copay $10" not in page and "What each session costs you" not in page
    assert "$1,500" not in page and "1500" not in page
    assert words in page
    [card] = response.context["cards"]
    assert card.session_costs == [] and card.benefits == []


def test_a_denied_plan_says_what_it_means_and_what_to_do_next(jordan, partner_a, blue_cross):
    coverage = coverage_for(partner_a, blue_cross, status="denied")
    Benefit.objects.create(coverage=coverage, category="therapy", copay=Decimal("20"))

    page = jordan.get(COVERAGE).text

    assert "<strong>Denied.</strong>" in page
    assert "the clinic cannot bill your sessions to it" in page
    assert "show it to the front desk" in page
    assert "Someone from the clinic will talk with you about what your sessions cost" in page
    assert '<p class="alert alert-warning small mb-0">' in page
    assert "Copay $20" not in page


def test_my_coverage_uses_a_fixed_number_of_queries(
    jordan, partner_a, blue_cross, django_assert_num_queries
):
    for number in range(5):
        coverage = coverage_for(partner_a, blue_cross, member_id=f"M{number}")
        for category in ("therapy", "medical", "iop"):
            Benefit.objects.create(coverage=coverage, category=category)
    jordan.get(COVERAGE)  # the first request stamps the session

    # session, user with roles, partner with couple and user, the couple's partners with
    # users, my coverages with payers, their benefits
    with django_assert_num_queries(6):
        assert jordan.get(COVERAGE).status_code == 200


# The portal's More page


def test_the_more_page_shows_my_coverage_status_and_links_to_it(
    jordan, partner_a, blue_cross, staff
):
    coverage = coverage_for(partner_a, blue_cross)
    services.coverage_mark_verified(
        coverage=coverage, method="phone", reference_number="REF-1", by=staff
    )

    response = jordan.get(MORE)

    assert "Coverage: Verified" in response.text
    assert f'href="{COVERAGE}"' in response.text


def test_the_more_page_says_when_no_coverage_is_on_file(jordan):
    assert "Coverage: None on file" in jordan.get(MORE).text


# The caseload's coverage flags


def test_the_caseload_flags_unverified_and_denied_coverage(maya, partner_a, partner_b, blue_cross):
    coverage_for(partner_a, blue_cross)
    coverage_for(partner_b, blue_cross, status="denied")

    coverage_sweep()
    response = maya.get(CASELOAD)

    assert "Coverage unverified for Jordan" in response.text
    assert "Coverage denied for Alex" in response.text


def test_the_caseload_flags_coverage_ending_within_30_days(maya, partner_a, partner_b, blue_cross):
    today = timezone.localdate()
    coverage_for(
        partner_a, blue_cross, status="pending", terminates_on=today + datetime.timedelta(12)
    )
    coverage_for(
        partner_b, blue_cross, status="pending", terminates_on=today + datetime.timedelta(31)
    )

    coverage_sweep()
    response = maya.get(CASELOAD)

    assert "Coverage for Jordan ends in 12 days" in response.text
    assert "Coverage for Alex" not in response.text


def test_the_caseload_flags_an_authorization_80_percent_used(
    maya, clinician, couple, partner_a, partner_b, blue_cross
):
    today = timezone.localdate()
    coverage = coverage_for(partner_a, blue_cross, status="pending")
    Authorization.objects.create(
        coverage=coverage,
        number="AUTH-1",
        starts_on=today - datetime.timedelta(10),
        ends_on=today + datetime.timedelta(10),
        units_authorized=5,
    )
    zone = datetime.UTC
    for back in range(1, 5):
        day = today - datetime.timedelta(back)
        session = session_services.session_schedule(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=clinician,
            couple=couple,
            starts_at=datetime.datetime(day.year, day.month, day.day, 12, tzinfo=zone),
            duration_minutes=60,
            by=clinician.user,
        )
        session_services.attendance_mark(
            session=session,
            marks={partner_a.pk: ("present", 60), partner_b.pk: ("present", 60)},
            by=clinician.user,
        )

    coverage_sweep()
    response = maya.get(CASELOAD)

    assert "Authorization 80% used for Jordan" in response.text


def test_a_verified_coverage_with_room_left_raises_no_flag(maya, partner_a, blue_cross, staff):
    coverage = coverage_for(partner_a, blue_cross)
    services.coverage_mark_verified(
        coverage=coverage, method="phone", reference_number="REF-1", by=staff
    )

    coverage_sweep()
    response = maya.get(CASELOAD)

    assert "Coverage unverified" not in response.text
    assert "Authorization" not in response.text.split('id="caseload-heading"')[0]


@pytest.mark.parametrize("size", [1, 10])
def test_the_caseloads_coverage_items_cost_no_query_per_couple(
    client, clinician, blue_cross, size, django_assert_num_queries
):
    today = timezone.localdate()
    for _ in range(size):
        couple = CoupleFactory()
        couple_services.care_team_assign(
            couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
        )
        for name in ("Pat", "Lee"):
            coverage = coverage_for(
                PartnerFactory(couple=couple, user__first_name=name), blue_cross
            )
            for back in (0, 40):
                Authorization.objects.create(
                    coverage=coverage,
                    number=f"A-{coverage.pk}-{back}",
                    starts_on=today - datetime.timedelta(back + 5),
                    ends_on=today - datetime.timedelta(back - 5),
                    units_authorized=5,
                )
    coverage_sweep()
    sign_in_with_mfa(client, clinician.user)
    client.get(CASELOAD)  # the first request stamps the session

    # The 13 of tests/couples/test_views_clinic.py: coverage problems are queue items, raised
    # by insurance's triage rule (its own reads are pinned in tests/triage/test_rules.py).
    with django_assert_num_queries(13):
        response = client.get(CASELOAD)
    assert response.text.count("Coverage unverified for Pat") == size
