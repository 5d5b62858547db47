import pytest

from audit.models import AuditEvent
from plans import services
from plans.models import Assessment, LevelOfCare, PlanVersion, Problem
from tests.couples.test_views_clinic import sign_in
from tests.factories import ClinicianFactory
from tests.plans.conftest import RATINGS, TODAY

pytestmark = pytest.mark.usefixtures("frozen")


def assessment_url(partner):
    return f"/clinic/couples/{partner.couple_id}/partners/{partner.pk}/assessment/"


def plan_url(partner):
    return f"/clinic/couples/{partner.couple_id}/plans/partner/{partner.pk}/"


def _posted_assessment(**changes):
    data = {"assessed_on": TODAY.isoformat(), "recommended_level": LevelOfCare.IOP}
    for number, rating in RATINGS.items():
        data[f"dimension{number}_rating"] = rating
        data[f"dimension{number}_narrative"] = ""
    return {**data, **changes}


def test_the_partners_therapist_saves_and_signs_an_assessment(client, partner_a, jordans_therapist):
    sign_in(client, jordans_therapist.user)

    response = client.post(assessment_url(partner_a), _posted_assessment())
    assert response.status_code == 302
    response = client.post(assessment_url(partner_a) + "sign/")

    assert response.status_code == 302
    assert Assessment.objects.get().is_signed
    page = client.get(assessment_url(partner_a)).text
    assert "2.1 Intensive outpatient services" in page


def test_a_too_long_narrative_and_a_future_date_come_back_with_clear_errors(
    client, partner_a, jordans_therapist
):
    sign_in(client, jordans_therapist.user)

    too_long = client.post(
        assessment_url(partner_a), _posted_assessment(dimension3_narrative="x" * 1001)
    )
    tomorrow = client.post(assessment_url(partner_a), _posted_assessment(assessed_on="2026-03-11"))

    assert (too_long.status_code, tomorrow.status_code) == (200, 200)
    assert "to 1000 characters or fewer" in too_long.text
    assert "Choose the date between March 10, 2025 and March 10, 2026." in tomorrow.text
    assert not Assessment.objects.exists()


def test_the_couples_therapist_reads_a_partners_assessment_and_the_read_is_audited(
    client, partner_a, couples_therapist
):
    sign_in(client, couples_therapist.user)

    assert client.get(assessment_url(partner_a)).status_code == 200
    assert AuditEvent.objects.filter(
        actor=couples_therapist.user, action="read", patient=partner_a, allowed=True
    ).exists()


def test_the_other_partners_therapist_and_an_outsider_get_the_audited_404(
    client, partner_a, alexs_therapist
):
    for user in (alexs_therapist.user, ClinicianFactory().user):
        sign_in(client, user)
        assert client.get(assessment_url(partner_a)).status_code == 404
        assert client.get(plan_url(partner_a)).status_code == 404
        assert AuditEvent.objects.filter(actor=user, allowed=False).count() == 2


def test_the_couples_own_partner_gets_403(client, partner_a):
    sign_in(client, partner_a.user)

    assert client.get(assessment_url(partner_a)).status_code == 403


def test_a_plan_is_started_built_and_signed_on_its_page(
    client, partner_a, jordans_therapist, django_assert_max_num_queries
):
    sign_in(client, jordans_therapist.user)
    url = plan_url(partner_a)
    client.post(url + "start/")
    client.post(url + "add/problem/", {"problem-dimension": 5, "problem-description": "Relapse"})
    problem = Problem.objects.get()
    client.post(url + "add/goal/", {"goal-problem": problem.pk, "goal-description": "Sober"})
    goal = problem.goals.get()
    client.post(
        url + "add/objective/",
        {
            "objective-goal": goal.pk,
            "objective-description": "7 days",
            "objective-target_on": "2026-04-10",
        },
    )
    objective = goal.objectives.get()
    client.post(
        url + "add/intervention/",
        {
            "intervention-objective": objective.pk,
            "intervention-description": "CBT",
            "intervention-frequency": "weekly",
            "intervention-responsible": jordans_therapist.pk,
        },
    )
    assert objective.interventions.count() == 1

    # session, user, couple, role, coverage, partner, plan, versions, the tree (4), the add
    # forms' team and recovery goals, the audit (3).
    with django_assert_max_num_queries(19):
        page = client.get(url).text
    assert "Intervention: CBT · Weekly" in page
    assert client.post(url + "sign/").status_code == 302
    assert PlanVersion.objects.get().is_signed


def test_an_empty_problem_is_refused_with_a_message(client, partner_a, jordans_therapist):
    sign_in(client, jordans_therapist.user)
    client.post(plan_url(partner_a) + "start/")

    response = client.post(
        plan_url(partner_a) + "add/problem/", {"problem-dimension": 5}, follow=True
    )

    assert "Not added. Write the problem." in response.text
    assert not Problem.objects.exists()


def test_a_signed_version_keeps_its_history_after_a_review(client, partner_a, jordans_therapist):
    plan = services.plan_create(
        couple=partner_a.couple,
        partner=partner_a,
        responsible=jordans_therapist,
        by=jordans_therapist.user,
    )
    version = plan.versions.get()
    services.problem_add(
        version=version, dimension=2, description="Liver", by=jordans_therapist.user
    )
    services.plan_version_sign(version=version, by=jordans_therapist.user)
    sign_in(client, jordans_therapist.user)

    client.post(plan_url(partner_a) + "review/")

    assert plan.versions.count() == 2
    old = client.get(plan_url(partner_a) + "?version=1").text
    assert "version 1" in old and "review due" in old and "Liver" in old
