import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from couples import services
from couples.models import AuditEvent, Clinician, Couple, Partner, User

pytestmark = pytest.mark.timeshift


def _events(staff, count=3):
    return [services.audit_record(actor=staff, action=AuditEvent.Action.READ) for _ in range(count)]


def _tamper(sql: str, params: list):
    """Change the log behind the application's back, as an attacker with database access would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A superuser can switch off ordinary triggers for the transaction.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def test_audit_verify_accepts_an_intact_log(db, staff, capsys):
    _events(staff)

    call_command("audit_verify")

    assert "3 events verified" in capsys.readouterr().out


def test_audit_verify_detects_a_changed_row(db, staff):
    events = _events(staff)
    _tamper("UPDATE couples_auditevent SET action = 'login' WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="row 2 was changed"):
        call_command("audit_verify")


def test_audit_verify_detects_a_missing_row(db, staff):
    events = _events(staff)
    _tamper("DELETE FROM couples_auditevent WHERE id = %s", [events[1].pk])

    with pytest.raises(CommandError, match="rows 2..2 are missing"):
        call_command("audit_verify")


def test_audit_verify_detects_a_missing_last_row(db, staff):
    events = _events(staff)
    _tamper("DELETE FROM couples_auditevent WHERE id = %s", [events[-1].pk])

    with pytest.raises(CommandError, match="ends at row 2"):
        call_command("audit_verify")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
def test_postgresql_refuses_to_update_or_delete_audit_rows(db, staff):
    from django.db import DatabaseError, transaction

    event = _events(staff, 1)[0]
    for sql in [
        "UPDATE couples_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM couples_auditevent WHERE id = %s",
    ]:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql, [event.pk])


def test_seed_demo_builds_a_small_clinic_and_can_run_twice(db, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")
    call_command("seed_demo")

    assert Couple.objects.count() == 3
    assert Partner.objects.count() == 6
    assert Clinician.objects.filter(can_be_couples_therapist=True).exists()
    assert Clinician.objects.filter(can_be_individual_therapist=True).exists()
    assert Clinician.objects.filter(can_be_counselor=True).exists()
    assert Clinician.objects.filter(can_be_medical_provider=True).exists()
    assert User.objects.filter(is_staff=True).count() == 1
    output = capsys.readouterr().out
    assert "admin@demo.couplesrehab.test" in output
    assert "jordan@demo.couplesrehab.test" in output


def test_seed_demo_refuses_to_run_in_production(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_care_teams_obey_the_rule_and_consent_is_on_for_one_partner(db, settings):
    from couples import queries
    from couples.models import CareAssignment, SharingConsent
    from couples.rules import care_team_conflicts, slot_for

    settings.DEBUG = True

    call_command("seed_demo")
    call_command("seed_demo")

    for couple in Couple.objects.all():
        current = CareAssignment.objects.filter(couple=couple, ended_at__isnull=True)
        assert current.count() == 7  # couples therapist; each partner's three clinicians
        assert care_team_conflicts([slot_for(a) for a in current]) == []
    assert CareAssignment.objects.filter(ended_at__isnull=False).count() == 0
    jordan = Partner.objects.get(user__email="jordan@demo.couplesrehab.test")
    alex = Partner.objects.get(user__email="alex@demo.couplesrehab.test")
    assert queries.consent_active_for(partner=jordan) is not None
    assert queries.consent_active_for(partner=alex) is None
    assert SharingConsent.objects.count() == 1
