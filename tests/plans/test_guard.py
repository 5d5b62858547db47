"""A signed assessment or plan version cannot change by any path: the services refuse with
a clear message, the ORM and raw SQL are refused by the database (triggers on PostgreSQL and
SQLite, plans/migrations/0002), and the admin does not offer them."""

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from plans import services, services_items
from plans.models import (
    Assessment,
    Intervention,
    Objective,
    PlanAcknowledgement,
    PlanGoal,
    PlanVersion,
    Problem,
    TreatmentPlan,
)
from tests.plans.conftest import TODAY, plan_tree
from tests.plans.test_services import _assess

pytestmark = pytest.mark.usefixtures("frozen")

GUARD = __import__("plans.migrations.0002_signed_plans_guard", fromlist=["x"])


def _refused(sql, params=(), *, match):
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def _run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


@pytest.fixture
def signed_assessment(partner_a, jordans_therapist):
    draft = _assess(partner_a, jordans_therapist)
    return services.assessment_sign(assessment=draft, by=jordans_therapist.user)


@pytest.fixture
def signed_version(partner_a, jordans_therapist):
    return plan_tree(partner_a, jordans_therapist, sign=True)


# Assessments


def test_the_database_refuses_to_change_or_remove_a_signed_assessment(signed_assessment):
    pk = signed_assessment.pk
    _refused(
        "UPDATE plans_assessment SET dimension3_narrative = 'rewritten' WHERE id = %s",
        [pk],
        match=GUARD.ASSESSMENT,
    )
    _refused(
        "UPDATE plans_assessment SET signed_at = NULL, signed_by_id = NULL WHERE id = %s",
        [pk],
        match=GUARD.ASSESSMENT,
    )
    _refused("DELETE FROM plans_assessment WHERE id = %s", [pk], match=GUARD.ASSESSMENT)

    assessment = Assessment.objects.get(pk=pk)
    assert assessment.dimension3_narrative == "Low mood since the relapse in January."
    assert assessment.is_signed


def test_a_draft_assessment_changes_freely_and_is_signed_in_one_update(
    partner_a, jordans_therapist
):
    draft = _assess(partner_a, jordans_therapist)

    assert _run("UPDATE plans_assessment SET dimension3_narrative = 'x' WHERE id = %s", [draft.pk])
    assert services.assessment_sign(assessment=draft, by=jordans_therapist.user).is_signed


def test_the_orm_cannot_save_a_signed_assessment_either(signed_assessment):
    signed_assessment.recommended_level = "ASAM 1 OP"

    with pytest.raises(DatabaseError, match=GUARD.ASSESSMENT), transaction.atomic():
        signed_assessment.save()


def test_the_services_refuse_a_signed_assessment_with_a_clear_message(
    signed_assessment, jordans_therapist
):
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services.assessment_sign(assessment=signed_assessment, by=jordans_therapist.user)
    # Saving again writes a new draft beside it; the signed one stays as it was.
    draft = _assess(signed_assessment.partner, jordans_therapist, narratives={})

    assert draft.pk != signed_assessment.pk
    assert Assessment.objects.get(pk=signed_assessment.pk).dimension3_narrative


# Plan versions


def test_the_database_refuses_to_change_or_remove_a_signed_version(signed_version):
    pk = signed_version.pk
    _refused(
        "UPDATE plans_planversion SET review_due_on = review_due_on + 30 WHERE id = %s"
        if connection.vendor == "postgresql"
        else "UPDATE plans_planversion SET review_due_on = '2026-12-31' WHERE id = %s",
        [pk],
        match=GUARD.VERSION,
    )
    _refused(
        "UPDATE plans_planversion SET signed_at = NULL, signed_by_id = NULL, "
        "review_due_on = NULL WHERE id = %s",
        [pk],
        match=GUARD.VERSION,
    )
    _refused("DELETE FROM plans_planversion WHERE id = %s", [pk], match=GUARD.VERSION)

    assert PlanVersion.objects.get(pk=pk).is_signed


def _tree_rows(version):
    problem = Problem.objects.get(version=version)
    goal = PlanGoal.objects.get(problem=problem)
    objective = Objective.objects.get(goal=goal)
    intervention = Intervention.objects.get(objective=objective)
    return {
        "plans_problem": problem,
        "plans_plangoal": goal,
        "plans_objective": objective,
        "plans_intervention": intervention,
    }


@pytest.mark.parametrize("table", list(GUARD.ITEMS))
def test_the_database_refuses_to_change_or_remove_the_items_of_a_signed_version(
    signed_version, table
):
    row = _tree_rows(signed_version)[table]
    _refused(f"UPDATE {table} SET description = 'x' WHERE id = %s", [row.pk], match=GUARD.ITEM)
    _refused(f"DELETE FROM {table} WHERE id = %s", [row.pk], match=GUARD.ITEM)

    assert type(row).objects.get(pk=row.pk).description == row.description


def test_the_database_refuses_to_add_items_to_a_signed_version(signed_version, jordans_therapist):
    rows = _tree_rows(signed_version)
    _refused(
        "INSERT INTO plans_problem (version_id, dimension, description) VALUES (%s, 1, 'x')",
        [signed_version.pk],
        match=GUARD.ITEM,
    )
    _refused(
        "INSERT INTO plans_plangoal (problem_id, description) VALUES (%s, 'x')",
        [rows["plans_problem"].pk],
        match=GUARD.ITEM,
    )
    _refused(
        "INSERT INTO plans_objective (goal_id, description, target_on) VALUES (%s, 'x', %s)",
        [rows["plans_plangoal"].pk, TODAY],
        match=GUARD.ITEM,
    )
    _refused(
        "INSERT INTO plans_intervention (objective_id, description, frequency, responsible_id) "
        "VALUES (%s, 'x', 'weekly', %s)",
        [rows["plans_objective"].pk, jordans_therapist.pk],
        match=GUARD.ITEM,
    )

    assert Intervention.objects.count() == 1


def test_an_item_moves_neither_into_nor_out_of_a_signed_version(signed_version, jordans_therapist):
    draft = services.plan_review_start(plan=signed_version.plan, by=jordans_therapist.user)
    signed_problem = Problem.objects.get(version=signed_version)
    draft_problem = Problem.objects.get(version=draft)

    _refused(
        "UPDATE plans_problem SET version_id = %s WHERE id = %s",
        [draft.pk, signed_problem.pk],
        match=GUARD.ITEM,
    )
    _refused(
        "UPDATE plans_problem SET version_id = %s WHERE id = %s",
        [signed_version.pk, draft_problem.pk],
        match=GUARD.ITEM,
    )
    _refused(
        "UPDATE plans_plangoal SET problem_id = %s WHERE problem_id = %s",
        [signed_problem.pk, draft_problem.pk],
        match=GUARD.ITEM,
    )

    assert Problem.objects.filter(version=signed_version).get() == signed_problem


def test_a_drafts_items_change_freely_and_a_draft_version_can_be_removed(
    signed_version, jordans_therapist
):
    draft = services.plan_review_start(plan=signed_version.plan, by=jordans_therapist.user)
    for table, row in _tree_rows(draft).items():
        assert _run(f"UPDATE {table} SET description = 'edited' WHERE id = %s", [row.pk]) == 1

    Problem.objects.filter(version=draft).delete()  # its goals, objectives, interventions too
    draft.delete()

    assert list(PlanVersion.objects.all()) == [signed_version]
    assert Intervention.objects.get().description == "Intervention 1"


def test_a_partner_acknowledges_a_signed_version_but_never_changes_the_acknowledgement(
    signed_version, partner_a
):
    acknowledgement = services.plan_version_acknowledge(version=signed_version, partner=partner_a)
    pk = acknowledgement.pk

    _refused(
        "UPDATE plans_planacknowledgement SET acknowledged_at = acknowledged_at WHERE id = %s",
        [pk],
        match=GUARD.ACKNOWLEDGEMENT,
    )
    _refused(
        "DELETE FROM plans_planacknowledgement WHERE id = %s", [pk], match=GUARD.ACKNOWLEDGEMENT
    )

    assert PlanAcknowledgement.objects.filter(pk=pk).exists()


def test_the_services_refuse_a_signed_version_with_a_clear_message(
    signed_version, jordans_therapist
):
    rows = _tree_rows(signed_version)
    by = jordans_therapist.user

    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services.plan_version_sign(version=signed_version, by=by)
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services.problem_add(version=signed_version, dimension=1, description="x", by=by)
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.problem_edit(
            problem=rows["plans_problem"], dimension=2, description="x", by=by
        )
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.problem_remove(problem=rows["plans_problem"], by=by)
    with pytest.raises(ValidationError, match="Signed: it cannot change"):
        services_items.intervention_remove(intervention=rows["plans_intervention"], by=by)


def test_the_orm_cannot_change_a_signed_versions_items_either(signed_version):
    with pytest.raises(DatabaseError, match=GUARD.ITEM), transaction.atomic():
        Objective.objects.filter(goal__problem__version=signed_version).update(description="x")
    with pytest.raises(DatabaseError, match=GUARD.ITEM), transaction.atomic():
        Problem.objects.filter(version=signed_version).delete()


def test_plans_are_not_in_the_admin_so_it_offers_no_way_to_change_them():
    """Staff find no assessment or plan in the admin (the care team's pages are the way in);
    were one registered, the database would still refuse a signed one (above)."""
    models = [
        Assessment,
        TreatmentPlan,
        PlanVersion,
        PlanAcknowledgement,
        Problem,
        PlanGoal,
        Objective,
        Intervention,
    ]

    assert [model for model in models if admin.site.is_registered(model)] == []


def test_flush_lifts_the_guard_on_sqlite_and_puts_it_back(signed_version, transactional_db):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's flush truncates, which fires no row trigger")

    call_command("flush", "--no-input", verbosity=0)

    assert not PlanVersion.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        names = {name for (name,) in cursor.fetchall()}
    assert set(GUARD.SQLITE_TRIGGERS) <= names
