"""Importing a partner's FHIR record into an empty database (records.fhir.importer): the round
trip of issue 22's acceptance, bad input refused with nothing written, the second partner
joining the same couple, and the `import_record` command.

Jordan (partner A) and Alex (partner B) are a couple. Each test builds their record inside a
transaction, exports it, rolls the transaction back (the database is empty of them again)
and imports what was exported.
"""

import datetime
import json
import re
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import Couple, Partner, User
from goals.models import CheckIn, Goal, GoalAcceptance, ProgressEntry
from measures.instruments import PHQ9
from measures.models import MeasureResponse
from records.fhir.bundle import bundle_json
from records.fhir.collect import record_for_partner
from records.fhir.importer import BundleSource, import_bundle, import_bundles
from tests.factories import CoupleFactory, GoalFactory, PartnerFactory

ZONE = zoneinfo.ZoneInfo("America/New_York")
HOME, GOALS, MEASURES = "/portal/", "/portal/goals/", "/portal/measures/"

pytestmark = pytest.mark.timeshift


@pytest.fixture
def noon(time_machine):
    """Today at noon in the couple's zone: no day turns under a test."""
    moment = datetime.datetime.combine(timezone.localdate(timezone=ZONE), datetime.time(12), ZONE)
    time_machine.move_to(moment, tick=False)
    return moment


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to `total` (item 9 at 0)."""
    answers, left = {"q9": 0, "q10": 0}, total
    for number in range(1, 9):
        answers[f"q{number}"] = min(3, left)
        left -= answers[f"q{number}"]
    return answers


def phq9_done(partner: Partner, *, total: int, weeks_ago: int) -> MeasureResponse:
    """A completed PHQ-9 as the measures service leaves it, scored by the instrument."""
    answers = PHQ9.clean(phq9(total))
    score = PHQ9.score(answers)
    at = timezone.now() - datetime.timedelta(weeks=weeks_ago, hours=1)
    return MeasureResponse.objects.create(
        couple=partner.couple,
        partner=partner,
        instrument="phq9",
        status=MeasureResponse.Status.COMPLETED,
        answers=answers,
        started_at=at,
        completed_at=at,
        total=score.total,
        subscales=score.subscales,
        band_label=score.band.label if score.band else "",
        band_level=score.band.level if score.band else None,
    )


def daily_checkins(partner: Partner, *, days: int, uses: tuple[int, ...] = ()) -> None:
    """A check-in each of the last `days` days, today included; a use `uses` days ago."""
    today = timezone.localdate(timezone=ZONE)
    CheckIn.objects.bulk_create(
        CheckIn(
            partner=partner,
            day=today - datetime.timedelta(days=back),
            is_sober=back not in uses,
            craving=back % 11,
            mood=1 + back % 5,
            had_trust_discussion=back % 2 == 0,
            attended_meeting=back % 3 == 0,
            note="Went to the lake." if back == 4 else "",
            recorded_on=today - datetime.timedelta(days=back),
        )
        for back in range(days)
    )


def logged(goal: Goal, partner: Partner, *, days_ago: int, value: int = 1) -> ProgressEntry:
    day = timezone.localdate(timezone=ZONE) - datetime.timedelta(days=days_ago)
    return ProgressEntry.objects.create(
        goal=goal, partner=partner, day=day, measure=goal.measure, value=value, recorded_on=day
    )


def the_couple(*, checkin_days: int = 60) -> tuple[Partner, Partner]:
    """Jordan and Alex with goals (shared, proposed, each one's own), progress by both,
    daily check-ins (one use 25 days ago), three PHQ-9s over five weeks for Jordan."""
    couple = CoupleFactory(time_zone="America/New_York")
    today = timezone.localdate(timezone=ZONE)
    jordan = PartnerFactory(
        couple=couple,
        user__first_name="Jordan",
        sobriety_date=today - datetime.timedelta(days=checkin_days - 1),
        date_of_birth=datetime.date(1988, 2, 29),
    )
    alex = PartnerFactory(couple=couple, user__first_name="Alex")
    made = {"couple": couple, "created_by": jordan.user}
    shared = GoalFactory(**made, title="Talk after dinner")
    GoalAcceptance.objects.bulk_create(
        [GoalAcceptance(goal=shared, partner=jordan), GoalAcceptance(goal=shared, partner=alex)]
    )
    GoalFactory(
        **made, title="Plan a sober weekend", status="proposed", measure="milestone", target=None
    )
    own = GoalFactory(**made, partner=jordan, title="Call my sponsor", measure="count", target=3)
    theirs = GoalFactory(**made, partner=alex, title="Morning walk")
    logged(shared, jordan, days_ago=1)
    logged(shared, alex, days_ago=1)
    logged(shared, alex, days_ago=2, value=0)
    logged(own, jordan, days_ago=2, value=2)
    logged(theirs, alex, days_ago=1)
    daily_checkins(jordan, days=checkin_days, uses=(25,))
    daily_checkins(alex, days=5)
    for total, weeks_ago in ((16, 5), (11, 3), (6, 1)):
        phq9_done(jordan, total=total, weeks_ago=weeks_ago)
    phq9_done(alex, total=9, weeks_ago=1)
    return jordan, alex


def export(partner: Partner) -> str:
    return bundle_json(record_for_partner(partner=partner))


def streak_of(html: str) -> tuple[str, str]:
    number = re.search(r'class="streak-number">(\d+)<', html)
    longest = re.search(r"Longest so far: (\d+) day", html)
    return (number.group(1) if number else "", longest.group(1) if longest else "")


def results_of(html: str) -> str:
    """The measures page's results: each instrument's latest, its change, the trend chart
    and the table of every score."""
    found = re.search(r'<section aria-labelledby="results-heading">.*?</section>', html, re.S)
    return found.group(0)


def portal(client, user, path: str) -> str:
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_the_record_round_trips_to_the_same_portal(client, staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple()
        data = export(jordan)
        email = jordan.user.email
        before_home = portal(client, jordan.user, HOME)
        before_goals = portal(client, jordan.user, GOALS)
        before_measures = portal(client, jordan.user, MEASURES)
        transaction.set_rollback(True)
    assert not Partner.objects.exists() and not Goal.objects.exists()
    assert not CheckIn.objects.exists() and not MeasureResponse.objects.exists()

    # The copy carries the email, the sobriety date and the couple's zone: nothing to add.
    result = import_bundle(data=data, by=staff)

    (imported,) = result.partners
    assert imported.user.email == email
    assert imported.date_of_birth == datetime.date(1988, 2, 29)
    assert imported.couple.time_zone == "America/New_York"
    assert result.summary() == (
        "1 couple, 1 partner, 2 shared goals, 1 individual goal, 2 progress entries, "
        "60 check-ins, 3 measures"
    )
    assert not imported.user.has_usable_password()
    home = portal(client, imported.user, HOME)
    goals = portal(client, imported.user, GOALS)
    measures = portal(client, imported.user, MEASURES)
    assert streak_of(home) == streak_of(before_home) == ("25", "34")
    for title in ("Talk after dinner", "Plan a sober weekend", "Call my sponsor"):
        assert (title in goals) and (title in before_goals)
    assert "Morning walk" not in goals
    assert results_of(measures) == results_of(before_measures)
    assert "16" in results_of(measures) and "6" in results_of(measures)


def test_the_import_is_audited_with_where_each_row_came_from(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=3)
        data, email = export(jordan), jordan.user.email
        transaction.set_rollback(True)

    result = import_bundle(data=data, by=staff, email=email)

    events = AuditEvent.objects.filter(actor=staff, action=AuditEvent.Action.CREATE)
    imported = {e.target_type for e in events if "imported_from" in e.detail}
    assert imported == {"couples.Couple", "couples.Partner", "goals.Goal"}
    summary = events.get(target_type="couples.Partner", detail__imported__isnull=False)
    assert summary.patient == result.partners[0]
    assert summary.detail["imported"]["check-ins"] == 3


def test_the_second_partner_joins_the_couple_without_duplicate_shared_goals(staff, noon):
    with transaction.atomic():
        jordan, alex = the_couple(checkin_days=10)
        couple_services.consent_grant(
            partner=alex, shares_goals=True, shares_checkins=True, by=alex.user
        )
        jordans, alexs = export(jordan), export(alex)
        emails = jordan.user.email, alex.user.email
        transaction.set_rollback(True)

    first = import_bundle(data=jordans, by=staff, email=emails[0])
    second = import_bundle(data=alexs, by=staff, email=emails[1])

    couple = Couple.objects.get()
    assert first.couple == second.couple == couple
    assert first.skipped["goals of the other partner"] == 1  # Alex's walk, shared by consent
    assert first.skipped["check-ins of the other partner"] == 5
    assert second.created["shared goals"] == 0 and second.created["couples"] == 0
    assert sorted(couple.goals.values_list("title", flat=True)) == [
        "Call my sponsor",
        "Morning walk",
        "Plan a sober weekend",
        "Talk after dinner",
    ]
    shared = couple.goals.get(title="Talk after dinner")
    assert shared.status == Goal.Status.ACTIVE
    assert set(shared.acceptances.values_list("partner__user__email", flat=True)) == set(emails)
    by_whom = sorted(shared.progress_entries.values_list("partner__user__email", "value"))
    assert by_whom == sorted([(emails[0], 1), (emails[1], 1), (emails[1], 0)])
    assert CheckIn.objects.filter(partner__couple=couple).count() == 10 + 5


def test_both_files_import_in_one_transaction(staff, noon):
    with transaction.atomic():
        jordan, alex = the_couple(checkin_days=4)
        sources = [
            BundleSource(data=export(jordan), email=jordan.user.email),
            BundleSource(data=export(alex), email=alex.user.email),
        ]
        transaction.set_rollback(True)

    result = import_bundles(sources=sources, by=staff)

    assert result.summary() == (
        "1 couple, 2 partners, 2 shared goals, 2 individual goals, 5 progress entries, "
        "9 check-ins, 4 measures"
    )


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe not json", b'{"resourceType": "Patient"}', b"[]", b""],
    ids=["bytes", "not-a-bundle", "a-list", "empty"],
)
def test_malformed_input_is_refused_and_nothing_is_written(staff, data):
    users = User.objects.count()
    with pytest.raises(ValidationError, match="not a valid FHIR R4B Bundle"):
        import_bundle(data=data, by=staff, email="new@example.org")
    assert User.objects.count() == users and not Couple.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_invalid_resource_is_refused_naming_its_place_not_its_values(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=2)
        bundle = json.loads(export(jordan))
        transaction.set_rollback(True)
    checkin = next(e for e in bundle["entry"] if "daily-checkin" in json.dumps(e))
    del checkin["resource"]["code"]
    checkin["resource"]["status"] = "secret-value"

    with pytest.raises(ValidationError) as refused:
        import_bundle(data=json.dumps(bundle), by=staff, email="jordan@example.org")

    assert "entry." in str(refused.value) and "secret-value" not in str(refused.value)
    assert not Partner.objects.exists() and not AuditEvent.objects.exists()


def test_a_failure_late_in_the_import_leaves_nothing_behind(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=2)
        bundle = json.loads(export(jordan))
        transaction.set_rollback(True)
    checkin = next(e for e in bundle["entry"] if "daily-checkin" in json.dumps(e))
    checkin["resource"]["component"][1]["valueInteger"] = 11  # a craving past 10

    with pytest.raises(ValidationError, match="Craving"):
        import_bundle(data=json.dumps(bundle), by=staff, email="jordan@example.org")

    assert not Partner.objects.exists() and not Goal.objects.exists()
    assert not User.objects.filter(email="jordan@example.org").exists()


def test_measures_are_scored_by_our_instrument_or_else_taken_from_their_total(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=2)
        bundle = json.loads(export(jordan))
        transaction.set_rollback(True)
    answered = [
        e for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    totals = [e for e in bundle["entry"] if "44261-6" in json.dumps(e)]
    for total in totals:
        total["resource"]["valueInteger"] = 27  # what the answers say wins
    del answered[0]["resource"]["item"]  # the oldest (16): only its total is left

    result = import_bundle(data=json.dumps(bundle), by=staff, email="jordan@example.org")

    rows = result.partners[0].measure_responses.order_by("completed_at")
    assert [(r.total, r.band_label) for r in rows] == [
        (27, "Severe"),
        (11, "Moderate"),
        (6, "Mild"),
    ]
    assert rows[0].answers == {} and sum(rows[2].answers.values()) == 6


def test_a_partner_is_not_imported_over_an_existing_account_nor_twice(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=2)
        data, email = export(jordan), jordan.user.email
        transaction.set_rollback(True)
    User.objects.create_user(email=email.upper())

    with pytest.raises(ValidationError, match="already has an account"):
        import_bundle(data=data, by=staff, email=email)
    import_bundle(data=data, by=staff, email="jordan.new@example.org")
    with pytest.raises(ValidationError, match="imported before"):
        import_bundle(data=data, by=staff, email="someone.else@example.org")
    assert Partner.objects.count() == 1


def test_a_bundle_without_an_email_asks_for_one(staff, noon):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=2)
        bundle = json.loads(export(jordan))
        transaction.set_rollback(True)
    for entry in bundle["entry"]:
        entry["resource"].pop("telecom", None)

    with pytest.raises(ValidationError, match="--email"):
        import_bundle(data=json.dumps(bundle), by=staff)
    assert not Partner.objects.exists()


@pytest.mark.parametrize("days", [1, 365])
def test_queries_do_not_grow_with_the_check_ins(staff, noon, django_assert_num_queries, days):
    with transaction.atomic():
        jordan, _alex = the_couple(checkin_days=days)
        data, email = export(jordan), jordan.user.email
        transaction.set_rollback(True)

    # 2 the transaction's savepoint and its release; the couple: 1 imported before?, 1
    # insert, 3 audited (lock the chain's head, insert, move the head); the user: 3 is the
    # email taken (ours, then full_clean's), 2 inserts (with allauth's address), 3 audited;
    # the partner: 4 full_clean (user, couple, not a clinician, one partner per user), 1
    # insert, 3 audited; 1 is the other partner here already?; goals: 1 shared ones
    # imported before?, then 4 a goal (insert, 3 audited: three goals here), 1 transitions,
    # 1 acceptances; progress: 1 already there?, 1 insert; 1 check-ins; 1 measures; 3 the
    # import's summary audited.
    with django_assert_num_queries(47):
        result = import_bundle(data=data, by=staff, email=email)
    assert result.created["check-ins"] == days


def test_the_command_says_what_it_created(staff, noon, tmp_path, capsys):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    with transaction.atomic():
        jordan, alex = the_couple(checkin_days=3)
        (tmp_path / "a.json").write_text(export(jordan))
        (tmp_path / "b.json").write_text(export(alex))
        emails = [jordan.user.email, alex.user.email]
        transaction.set_rollback(True)

    call_command(
        "import_record",
        str(tmp_path / "a.json"),
        str(tmp_path / "b.json"),
        "--email",
        emails[0],
        "--email",
        emails[1],
    )

    out = capsys.readouterr().out
    assert "Imported: 1 couple, 2 partners, 2 shared goals, 2 individual goals" in out
    assert "8 check-ins, 4 measures." in out
    assert "Not imported:" in out


def test_the_command_fails_with_the_message_on_bad_input(staff, tmp_path):
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    (tmp_path / "bad.json").write_bytes(b"{not json")

    with pytest.raises(CommandError, match="bad.json is not a valid FHIR R4B Bundle") as failed:
        call_command("import_record", str(tmp_path / "bad.json"), "--email", "a@example.org")
    assert failed.value.returncode == 1
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_record", str(tmp_path / "missing.json"))
    assert not Couple.objects.exists()
