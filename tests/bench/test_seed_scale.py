"""seed_scale (python -m bench.scale), scaled down: the counts, the rules, the logins."""

import datetime
import io
import json

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from bench.scale import data
from bench.scale.command import Command as SeedScale
from couples.models import CareAssignment, Clinician, Couple, Partner, SharingConsent, User
from couples.queries import caseload_for_clinician, couple_today
from couples.rules import care_team_conflicts, slot_for
from goals.models import EDIT_WINDOW_DAYS, CheckIn, Goal, ProgressEntry
from insurance.models import Authorization, Benefit, Coverage
from insurance.permissions import INSURANCE_STAFF
from sessions.models import Attendance, SessionKind, TherapySession
from tests.auth import sign_in_with_mfa
from tests.factories import CoupleFactory

SMALL = ["--couples", "10", "--clinicians", "6", "--days", "14", "--sessions", "200"]


def _seed(*extra: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(SeedScale(), *SMALL, *extra, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.fixture(params=["copy", "bulk_create"])
def seeded(request, db, settings, tmp_path):
    """The small clinic, written once through COPY (PostgreSQL only) and once by bulk_create."""
    settings.DEBUG = True
    path = tmp_path / "scale.json"
    extra = ["--no-copy"] if request.param == "bulk_create" else []
    _, stderr = _seed("--seed", "7", "--json", str(path), *extra)
    return {**json.loads(path.read_text()), "asked": request.param, "stderr": stderr}


def test_small_run_creates_the_expected_counts(seeded):
    assert Couple.objects.count() == 10
    assert Partner.objects.count() == 20
    assert Clinician.objects.count() == 6
    assert User.objects.count() == 6 + 20 + 3
    assert TherapySession.objects.count() == 200
    assert Attendance.objects.count() >= 200
    # Every partner has coverage, each coverage all its benefit categories.
    assert Coverage.objects.count() == 20
    assert not Partner.objects.filter(coverages__isnull=True).exists()
    assert Benefit.objects.count() == 20 * len(Benefit.Category)
    assert Authorization.objects.exists()
    # At most one check-in per partner per day, with gaps and couples still at intake.
    assert 0 < CheckIn.objects.count() < 20 * 14
    assert ProgressEntry.objects.count() > CheckIn.objects.count()
    assert seeded["counts"]["goals_checkin"] == CheckIn.objects.count()
    assert "check-ins + progress" in seeded["stderr"]


def test_big_tables_go_through_copy_on_postgresql_unless_told_not_to(seeded):
    on_postgresql = connection.vendor == "postgresql"
    expected = "copy" if on_postgresql and seeded["asked"] == "copy" else "bulk_create"

    assert seeded["method"] == expected


def test_checkins_and_progress_keep_the_dates_and_measures_of_real_entries(seeded):
    for entry in ProgressEntry.objects.select_related("goal", "partner__couple"):
        assert entry.measure == entry.goal.measure
        assert entry.goal.partner_id in (None, entry.partner_id)
        assert entry.goal.couple_id == entry.partner.couple_id
        assert entry.day <= entry.recorded_on <= entry.day + datetime.timedelta(EDIT_WINDOW_DAYS)
        assert entry.recorded_on <= couple_today(couple=entry.partner.couple)
    for checkin in CheckIn.objects.select_related("partner__couple"):
        assert checkin.day <= checkin.recorded_on <= couple_today(couple=checkin.partner.couple)


def test_care_teams_keep_the_care_team_rule(seeded):
    current = CareAssignment.objects.filter(ended_at__isnull=True).select_related(
        "clinician__user", "partner__user"
    )
    teams = {}
    for assignment in current:
        teams.setdefault(assignment.couple_id, []).append(slot_for(assignment))

    assert all(care_team_conflicts(team) == [] for team in teams.values())
    not_discharged = Couple.objects.exclude(status=Couple.Status.DISCHARGED)
    assert set(teams) == set(not_discharged.values_list("pk", flat=True))


def test_every_row_passes_the_models_own_validation(seeded):
    for model in [
        Couple, Partner, CareAssignment, SharingConsent, Goal, CheckIn, ProgressEntry,
        TherapySession, Attendance, Coverage, Benefit, Authorization,
    ]:  # fmt: skip
        for row in model.objects.all()[:40]:
            row.full_clean()


def test_past_sessions_have_attendance_and_future_ones_are_scheduled(seeded):
    now = timezone.now()
    past = TherapySession.objects.filter(ends_at__lte=now).exclude(status="cancelled")
    future = TherapySession.objects.filter(starts_at__gt=now)

    assert past.exists() and future.exists()
    assert not Attendance.objects.filter(session__in=past, status="").exists()
    assert not Attendance.objects.filter(session__in=future).exclude(status="").exists()
    assert set(future.values_list("status", flat=True)) <= {"scheduled", "cancelled"}
    assert not Attendance.objects.filter(status__in=["absent", "excused"], minutes_attended__gt=0)
    for session in TherapySession.objects.filter(kind=SessionKind.COUPLES_THERAPY):
        partners = {a.partner.couple_id for a in session.attendances.select_related("partner")}
        assert partners == {session.couple_id}


def test_clinician_login_has_a_caseload_and_reaches_the_clinic(seeded, client):
    login = seeded["logins"]["clinician"]
    user = User.objects.get(email=login["email"])
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)

    assert user.check_password(seeded["password"])
    assert login["caseload"] > 0
    assert caseload_for_clinician(user=user).count() == login["caseload"]
    assert decrypt(totp.data["secret"]) == login["totp_secret"]
    sign_in_with_mfa(client, user)
    assert client.get(reverse("pages:clinic_home")).status_code == 200


def test_partner_and_insurance_staff_logins_work(seeded, client):
    partner = User.objects.get(email=seeded["logins"]["partner"]["email"])
    staff = User.objects.get(email=seeded["logins"]["insurance_staff"]["email"])

    assert partner.check_password(seeded["password"])
    client.force_login(partner)
    assert client.get(reverse("pages:portal_home")).status_code == 200
    assert staff.is_staff and staff.groups.filter(name=INSURANCE_STAFF).exists()
    sign_in_with_mfa(client, staff)
    assert client.get(reverse("admin:insurance_coverage_changelist")).status_code == 200


def test_refuses_a_database_that_already_has_couples(db, settings):
    settings.DEBUG = True
    CoupleFactory()
    users = User.objects.count()

    with pytest.raises(CommandError, match="already has couples"):
        _seed()

    assert Couple.objects.count() == 1
    assert User.objects.count() == users


def test_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        _seed()

    assert not Couple.objects.exists()


def test_the_same_seed_plans_the_same_clinic():
    def plans(seed):
        clinic = data.Clinic(couples=50, clinicians=6, days=30, sessions=0, seed=seed)
        return [data.couple_plan(clinic, number) for number in range(50)]

    assert plans(3) == plans(3)
    assert plans(3) != plans(4)
