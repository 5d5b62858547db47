import pytest
from django.core.management import CommandError, call_command

from couples.models import Clinician, Couple, Partner, User

pytestmark = pytest.mark.timeshift


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
