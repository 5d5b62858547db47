"""Releasing a signed treatment plan version (records.views.plan_release)."""

import pytest

from audit.models import AuditEvent
from plans import services as plan_services
from records.models import Disclosure
from records.notices import part2_notice_text
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory
from tests.plans.conftest import plan_tree
from tests.records.conftest import RELEASE, document_text, signed_in


def _url(version) -> str:
    return f"/clinic/plans/{version.plan_id}/versions/{version.number}/release/"


@pytest.fixture
def jordans_plan(jordans_therapist, partner_a):
    return plan_tree(partner_a, jordans_therapist, problems=2, sign=True)


def test_releasing_a_partners_plan_records_it_for_that_partner_only(
    client, jordans_plan, jordans_therapist, partner_a, partner_b, laid_out
):
    response = signed_in(client, jordans_therapist).post(_url(jordans_plan), RELEASE)

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="record-plan-{jordans_plan.plan_id}-v1.pdf"'
    )
    (disclosure,) = Disclosure.objects.all()
    assert (disclosure.partner, disclosure.kind, disclosure.plan_version) == (
        partner_a,
        "plan",
        jordans_plan,
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert (event.patient_id, event.target_type) == (partner_a.pk, "plans.PlanVersion")
    text = document_text(laid_out[-1])
    assert part2_notice_text() in text
    assert "Problem 1: Problem 1" in text and "Problem 2: Problem 2" in text
    assert text.count("Intervention: Intervention 1 · Weekly") == 2
    assert f"Electronically signed by {jordans_therapist}" in text
    assert "(current)" in text
    assert partner_b.user.get_full_name() not in text


def test_the_couple_plan_names_both_partners_and_their_acknowledgements(
    client, couple, partner_a, partner_b, couples_therapist, laid_out
):
    version = plan_tree(None, couples_therapist, couple=couple, sign=True)
    plan_services.plan_version_acknowledge(version=version, partner=partner_a)

    signed_in(client, couples_therapist).post(_url(version), RELEASE)

    assert sorted(Disclosure.objects.values_list("partner_id", flat=True)) == [
        partner_a.pk,
        partner_b.pk,
    ]
    text = document_text(laid_out[-1])
    assert f"Acknowledged by {partner_a.user.get_full_name()} on the patient portal" in text
    assert f"Acknowledged by {partner_b.user.get_full_name()}" not in text


def test_a_superseded_version_says_so(client, jordans_plan, jordans_therapist, laid_out):
    by = jordans_therapist.user
    review = plan_services.plan_review_start(plan=jordans_plan.plan, by=by)
    plan_services.plan_version_sign(version=review, by=by)

    signed_in(client, jordans_therapist).post(_url(jordans_plan), RELEASE)

    assert "superseded by version 2" in document_text(laid_out[-1])


def test_a_draft_version_is_refused(client, partner_a, jordans_therapist):
    draft = plan_tree(partner_a, jordans_therapist)

    response = signed_in(client, jordans_therapist).post(_url(draft), RELEASE)

    assert response.status_code == 200
    assert "Version 1 is a draft: only a signed version can be released." in response.text
    assert not Disclosure.objects.exists()


def test_a_version_the_plan_lacks_is_not_found(client, jordans_plan, jordans_therapist):
    response = signed_in(client, jordans_therapist).get(
        f"/clinic/plans/{jordans_plan.plan_id}/versions/9/release/"
    )

    assert response.status_code == 404


@pytest.mark.parametrize("visitor", ["alexs_therapist", "partner_a", "outsider", "off_team"])
def test_anyone_who_may_not_read_the_plan_gets_the_audited_404(
    client, jordans_plan, visitor, alexs_therapist, partner_a, outsider
):
    user = {
        "alexs_therapist": alexs_therapist.user,
        "partner_a": partner_a.user,
        "outsider": outsider.user,
        "off_team": ClinicianFactory().user,
    }[visitor]
    sign_in_with_mfa(client, user)

    shown = client.get(_url(jordans_plan))
    posted = client.post(_url(jordans_plan), RELEASE)

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert AuditEvent.objects.filter(actor=user, allowed=False).count() == 2
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize("problems", [1, 4])
def test_release_queries_stay_the_same_with_more_problems(
    client, partner_a, jordans_therapist, problems, laid_out, django_assert_num_queries
):
    version = plan_tree(partner_a, jordans_therapist, problems=problems, sign=True)
    client = signed_in(client, jordans_therapist)

    # The session and the user (2); the plan, the reader's coverage, the version, a later
    # signed one, the acknowledgements, the tree's four levels (9); the release in its
    # transaction: its rows, then its audit events (lock a chain head, insert, move the
    # head), within a savepoint here (2 + 1 + 3); the session's last-seen write (3).
    with django_assert_num_queries(20):
        response = client.post(_url(version), RELEASE)

    assert response.status_code == 200


def test_the_plan_page_offers_the_release_of_a_signed_version_only(
    client, jordans_therapist, partner_a
):
    draft = plan_tree(partner_a, jordans_therapist)
    page_url = f"/clinic/couples/{partner_a.couple_id}/plans/partner/{partner_a.pk}/"
    signed_in(client, jordans_therapist)
    assert "Print for a records request" not in client.get(page_url).text

    version = plan_services.plan_version_sign(version=draft, by=jordans_therapist.user)
    page = client.get(page_url).text

    assert "Print for a records request" in page
    assert _url(version) in page
