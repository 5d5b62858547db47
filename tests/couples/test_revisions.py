"""The database raises a couple's revision with every change to what is shown about it."""

import datetime
import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from couples import migrations, revisions
from couples.models import CareAssignment, CareRole, Couple, CoupleRevision, Partner, User
from couples.queries import REVISION
from goals import services as goal_services
from goals.models import CheckIn, Goal, ProgressEntry
from insurance.models import Authorization, Coverage, Payer
from sessions.models import Attendance, SessionKind, TherapySession
from tests.factories import ClinicianFactory, CoupleFactory, GoalFactory, PartnerFactory

pytestmark = pytest.mark.django_db


def checkin(partner, day, **fields) -> CheckIn:
    values = {"is_sober": True, "craving": 2, "mood": 4, "recorded_on": day} | fields
    return CheckIn(
        partner=partner, day=day, had_trust_discussion=False, attended_meeting=False, **values
    )


def revisions_for(couple_ids) -> dict[int, int]:
    found = dict(CoupleRevision.objects.filter(couple_id__in=couple_ids).values_list("pk", "value"))
    return {pk: found.get(pk, 0) for pk in couple_ids}


def revision(couple) -> int:
    # As the pages read it, with the couple.
    value = Couple.objects.annotate(revision_value=REVISION).get(pk=couple.pk).revision_value
    assert value == revisions_for([couple.pk])[couple.pk]
    return value


@pytest.fixture
def other_couple(db):
    couple = CoupleFactory()
    PartnerFactory(couple=couple)
    return couple


def test_every_table_of_the_apps_is_watched_or_set_aside_with_a_reason():
    tables = {
        model._meta.db_table
        for label in ("couples", "audit", "goals", "therapy_sessions", "insurance")
        for model in apps.get_app_config(label).get_models()
    }
    assert tables - set(revisions.REVISION_SOURCES) - set(revisions.NOT_SHOWN) == set()
    assert set(revisions.REVISION_SOURCES) <= tables
    assert set(revisions.NOT_SHOWN) <= tables


def test_the_last_migration_installing_triggers_installed_the_current_sources():
    # A change to REVISION_SOURCES needs a migration installing its frozen copy, as 0006 does.
    names = sorted(p.stem for p in Path(migrations.__file__).parent.glob("0*.py"))
    installing = [
        module
        for module in (importlib.import_module(f"couples.migrations.{name}") for name in names)
        if hasattr(module, "SOURCES")
    ]
    assert installing[-1].SOURCES == revisions.REVISION_SOURCES
    assert installing[-1].IGNORED == revisions.IGNORED_COLUMNS


def test_a_check_in_raises_its_couples_revision_only(couple, partner_a, other_couple):
    before, other = revision(couple), revision(other_couple)
    checkin(partner_a, timezone.localdate()).save()
    assert revision(couple) > before
    assert revision(other_couple) == other


def test_a_correction_and_a_deletion_raise_it_too(couple, partner_a):
    entry = checkin(partner_a, timezone.localdate())
    entry.save()
    created = revision(couple)
    CheckIn.objects.filter(pk=entry.pk).update(craving=9)  # no signal, no save()
    updated = revision(couple)
    CheckIn.objects.filter(pk=entry.pk).delete()
    assert created < updated < revision(couple)


def test_progress_on_a_goal_raises_the_goals_couple(couple, partner_a):
    goal = GoalFactory(couple=couple, measure=Goal.Measure.COUNT, target=5)
    before = revision(couple)
    ProgressEntry.objects.create(
        goal=goal,
        partner=partner_a,
        day=timezone.localdate(),
        measure=Goal.Measure.COUNT,
        value=1,
        recorded_on=timezone.localdate(),
    )
    assert revision(couple) > before


def test_a_bulk_insert_raises_each_couple(couple, partner_a, other_couple):
    other_partner = other_couple.partners.get()
    before = revisions_for([couple.pk, other_couple.pk])
    today = timezone.localdate()
    CheckIn.objects.bulk_create(
        [checkin(partner_a, today - datetime.timedelta(days=n)) for n in range(5)]
        + [checkin(other_partner, today)]
    )
    after = revisions_for([couple.pk, other_couple.pk])
    assert after[couple.pk] > before[couple.pk]
    assert after[other_couple.pk] > before[other_couple.pk]


def test_a_group_session_raises_every_couple_in_it(partner_a, other_couple):
    clinician = ClinicianFactory()
    other_partner = other_couple.partners.get()
    start = timezone.now() + datetime.timedelta(days=2)
    session = TherapySession.objects.create(
        kind=SessionKind.GROUP,
        clinician=clinician,
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=1),
        time_zone="America/New_York",
        created_by=clinician.user,
    )
    Attendance.objects.create(session=session, partner=partner_a)
    Attendance.objects.create(session=session, partner=other_partner)
    before = revisions_for([partner_a.couple_id, other_couple.pk])
    TherapySession.objects.filter(pk=session.pk).update(status=TherapySession.Status.CANCELLED)
    after = revisions_for([partner_a.couple_id, other_couple.pk])
    assert all(after[pk] > before[pk] for pk in before)


def test_a_rename_raises_the_couple_and_the_clinicians_caseload(couple, partner_a, other_couple):
    clinician = ClinicianFactory()
    CareAssignment.objects.create(
        couple=other_couple, clinician=clinician, role=CareRole.COUPLES_THERAPIST
    )
    before = revisions_for([couple.pk, other_couple.pk])
    User.objects.filter(pk=partner_a.user_id).update(first_name="Jo")
    User.objects.filter(pk=clinician.user_id).update(last_name="Rivera")
    after = revisions_for([couple.pk, other_couple.pk])
    assert after[couple.pk] > before[couple.pk]
    assert after[other_couple.pk] > before[other_couple.pk]


def test_signing_in_changes_nothing_shown(couple, partner_a):
    before = revision(couple)
    User.objects.filter(pk=partner_a.user_id).update(last_login=timezone.now())
    assert revision(couple) == before


def test_insurance_changes_raise_the_partners_couple(couple, partner_a):
    payer = Payer.objects.create(name="Aetna PPO")
    effective_on = timezone.localdate() - datetime.timedelta(days=60)
    coverage = Coverage.objects.create(
        partner=partner_a,
        payer=payer,
        member_id="W1",
        subscriber_name="Jordan",
        effective_on=effective_on,
    )
    created = revision(couple)
    Authorization.objects.create(
        coverage=coverage,
        number="A-1",
        units_authorized=12,
        starts_on=effective_on,
        ends_on=effective_on + datetime.timedelta(days=89),
    )
    authorized = revision(couple)
    Payer.objects.filter(pk=payer.pk).update(name="Aetna Choice PPO")
    assert created < authorized < revision(couple)


def test_a_couple_saved_from_an_old_copy_still_moves_forward(couple, partner_a):
    stale = type(couple).objects.get(pk=couple.pk)
    checkin(partner_a, timezone.localdate()).save()
    seen = revision(couple)
    stale.status = stale.Status.ACTIVE
    stale.save()
    assert revision(couple) > seen


def test_the_service_path_raises_it_in_its_transaction(couple, partner_a):
    before = revision(couple)
    goal_services.checkin_record(
        partner=partner_a,
        day=timezone.localdate(),
        is_sober=True,
        craving=2,
        mood=4,
        had_trust_discussion=False,
        attended_meeting=False,
    )
    assert revision(couple) > before
    assert CoupleRevision.objects.filter(couple=couple).exists()


def test_revisions_start_at_zero_for_a_couple_never_changed_since(db):
    assert revisions_for([10**9]) == {10**9: 0}


def test_the_triggers_exist_on_this_database():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE %s AND NOT tgisinternal",
                ["%\\_revision\\_%"],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["%_revision_%"],
            )
        (count,) = cursor.fetchone()
    # Three changes per table, but nothing to do when a couple is deleted.
    assert count == 3 * len(revisions.REVISION_SOURCES) - 1


def test_partner_rows_are_watched_for_a_move_between_couples(couple, partner_a, other_couple):
    before = revisions_for([couple.pk, other_couple.pk])
    Partner.objects.filter(pk=partner_a.pk).update(couple=other_couple)
    after = revisions_for([couple.pk, other_couple.pk])
    assert after[couple.pk] > before[couple.pk]  # the couple it left
    assert after[other_couple.pk] > before[other_couple.pk]
