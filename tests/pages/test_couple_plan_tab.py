"""The couple page's Plan tab: each covered partner's current ASAM assessment and plan, and
the couple plan; the other partner's read "Not shared with you" and are not read."""

import pytest

from audit.models import AuditEvent
from couples.models import CareRole
from plans import services
from plans.models import LevelOfCare
from tests.couples.test_views_clinic import sign_in, treat
from tests.factories import ClinicianFactory
from tests.plans.conftest import NOW, RATINGS, TODAY


@pytest.fixture(autouse=True)
def frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


def tab_url(couple) -> str:
    return f"/clinic/couples/{couple.pk}/plan/"


def _signed_assessment(partner, assessor, level=LevelOfCare.IOP):
    assessment = services.assessment_save(
        partner=partner,
        assessor=assessor,
        assessed_on=TODAY,
        recommended_level=level,
        ratings=RATINGS,
        narratives={},
        by=assessor.user,
    )
    return services.assessment_sign(assessment=assessment, by=assessor.user)


def _signed_plan(partner, responsible, *, reviews=0):
    plan = services.plan_create(
        couple=partner.couple, partner=partner, responsible=responsible, by=responsible.user
    )
    version = plan.versions.get()
    services.problem_add(version=version, dimension=5, description="p", by=responsible.user)
    services.plan_version_sign(version=version, by=responsible.user)
    for _ in range(reviews):
        version = services.plan_review_start(plan=plan, by=responsible.user)
        services.plan_version_sign(version=version, by=responsible.user)
    return plan


@pytest.fixture
def jordans_therapist(couple, partner_a):
    priya = ClinicianFactory(can_be_couples_therapist=False, can_be_individual_therapist=True)
    treat(priya, couple, role=CareRole.INDIVIDUAL_THERAPIST, partner=partner_a)
    return priya


@pytest.fixture
def jordans_records(partner_a, partner_b, jordans_therapist, alexs_therapist):
    _signed_assessment(partner_a, jordans_therapist)
    _signed_assessment(partner_b, alexs_therapist, level=LevelOfCare.PHP)


def test_the_couples_therapist_sees_both_partners_assessments_and_the_read_is_audited(
    client, couple, couples_therapist, partner_a, partner_b, jordans_records
):
    sign_in(client, couples_therapist.user)

    page = client.get(tab_url(couple)).text

    assert "2.1 Intensive outpatient services" in page
    assert "2.5 Partial hospitalization services" in page
    assert "Not shared with you" not in page
    read = AuditEvent.objects.filter(actor=couples_therapist.user, action="read")
    assert set(read.values_list("patient_id", flat=True)) == {partner_a.pk, partner_b.pk}


def test_alexs_therapist_sees_only_alexs_assessment(
    client, couple, alexs_therapist, partner_a, partner_b, jordans_records
):
    sign_in(client, alexs_therapist.user)

    page = client.get(tab_url(couple)).text

    assert "2.5 Partial hospitalization services" in page
    assert "2.1 Intensive outpatient services" not in page
    assert "Not shared with you: Jordan’s assessment and plan" in page
    read = AuditEvent.objects.filter(actor=alexs_therapist.user, action="read")
    assert list(read.values_list("patient_id", flat=True)) == [partner_b.pk]


def test_an_off_team_clinician_gets_the_audited_404(client, couple, partner_a):
    outsider = ClinicianFactory()
    sign_in(client, outsider.user)

    assert client.get(tab_url(couple)).status_code == 404
    assert AuditEvent.objects.filter(actor=outsider.user, allowed=False).exists()


@pytest.mark.parametrize("reviews", [0, 5])
def test_the_tab_takes_the_same_queries_however_many_versions(
    client,
    couple,
    couples_therapist,
    partner_a,
    partner_b,
    jordans_therapist,
    jordans_records,
    reviews,
    django_assert_num_queries,
):
    _signed_plan(partner_a, jordans_therapist, reviews=reviews)
    sign_in(client, couples_therapist.user)
    client.get(tab_url(couple))

    # session, user (with the top bar's unread count), couple, partners, coverage; the audit
    # rows (lock the chain head, insert, move the head); the current assessments, the plans,
    # their versions.
    with django_assert_num_queries(11):
        page = client.get(tab_url(couple)).text
    assert f"version {reviews + 1} signed" in page
