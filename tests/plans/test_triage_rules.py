import datetime

import pytest
from django.test import override_settings

from plans import services
from plans.triage_rules import reviews_due
from tests.plans.conftest import NOW
from triage.models import TriageItem
from triage.sweeps import RULES, rule_apply


def _signed_plan(partner, responsible):
    plan = services.plan_create(
        couple=partner.couple, partner=partner, responsible=responsible, by=responsible.user
    )
    version = plan.versions.get()
    services.problem_add(version=version, dimension=5, description="p", by=responsible.user)
    services.plan_version_sign(version=version, by=responsible.user)
    return plan


def _sweep(now):
    rule = RULES[TriageItem.Kind.PLAN_REVIEW]
    return rule_apply(rule=rule, findings=list(reviews_due(now)), now=now)


@override_settings(PLAN_REVIEW_DAYS=30)
def test_a_due_review_raises_one_routine_item_about_the_partner_until_the_review_is_signed(
    time_machine, partner_a, jordans_therapist, django_assert_max_num_queries
):
    time_machine.move_to(NOW, tick=False)
    plan = _signed_plan(partner_a, jordans_therapist)
    assert _sweep(NOW + datetime.timedelta(days=29)) == (0, 0)

    due = NOW + datetime.timedelta(days=30)
    with django_assert_max_num_queries(2):  # the latest signed numbers; those due with names
        findings = list(reviews_due(due))
    assert len(findings) == 1
    assert _sweep(due) == (1, 0)
    assert _sweep(due) == (0, 0)  # the same state never raises a second item
    item = TriageItem.objects.get()
    assert (item.severity, item.partner_id) == (TriageItem.Severity.ROUTINE, partner_a.pk)
    assert "Jordan’s treatment plan review is due" in item.summary

    time_machine.move_to(due, tick=False)
    draft = services.plan_review_start(plan=plan, by=jordans_therapist.user)
    assert _sweep(due) == (0, 0)  # a review under way is not done yet
    services.plan_version_sign(version=draft, by=jordans_therapist.user)
    assert _sweep(due) == (0, 1)
    item.refresh_from_db()
    assert item.resolution == "The review was signed"


@pytest.mark.usefixtures("frozen")
def test_the_couple_plans_review_is_for_the_whole_care_team(partner_a, couples_therapist):
    plan = services.plan_create(
        couple=partner_a.couple,
        partner=None,
        responsible=couples_therapist,
        by=couples_therapist.user,
    )
    version = plan.versions.get()
    services.problem_add(version=version, dimension=6, description="p", by=couples_therapist.user)
    services.plan_version_sign(version=version, by=couples_therapist.user)

    (finding,) = reviews_due(NOW + datetime.timedelta(days=31))

    assert finding.partner_id is None and finding.summary.startswith("The couple’s")
