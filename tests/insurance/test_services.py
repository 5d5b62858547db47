import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from insurance import queries, services
from insurance.models import Authorization, Benefit, Coverage, Payer
from sessions import services as session_services
from sessions.models import SessionKind
from tests.factories import ClinicianFactory

# The clock starts on Wednesday 1 July 2026, noon in New York: the March sessions below have
# been held (attendance is marked once a session has started), and the expiry task, which
# reads today, runs on the day the test's first plan is over.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 7, 1, 16, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]


@pytest.fixture
def coverage(partner_a):
    return Coverage.objects.create(
        partner=partner_a,
        payer=Payer.objects.create(name="Blue Cross PPO"),
        member_id="XJ123456",
        subscriber_name="Jordan Miller",
        effective_on=datetime.date(2026, 1, 1),
    )


def test_verifying_records_method_reference_and_history(coverage, staff):
    coverage = services.coverage_mark_verified(
        coverage=coverage, method="phone", reference_number=" REF-889 ", by=staff
    )

    assert coverage.status == Coverage.Status.VERIFIED
    assert (coverage.reference_number, coverage.verified_by) == ("REF-889", staff)
    assert coverage.reverify_on is not None
    change = coverage.status_changes.get()
    assert (change.from_status, change.to_status, change.by) == ("unverified", "verified", staff)
    assert AuditEvent.objects.filter(
        target_type="insurance.Coverage", patient=coverage.partner
    ).exists()


def test_verifying_without_a_reference_number_is_refused_and_changes_nothing(coverage, staff):
    with pytest.raises(ValidationError, match="reference number"):
        services.coverage_mark_verified(
            coverage=coverage, method="phone", reference_number=" ", by=staff
        )

    coverage.refresh_from_db()
    assert coverage.status == Coverage.Status.UNVERIFIED
    assert not coverage.status_changes.exists()


def test_denying_needs_a_reason(coverage, staff):
    with pytest.raises(ValidationError, match="why"):
        services.coverage_mark_denied(coverage=coverage, reason="", by=staff)

    services.coverage_mark_denied(coverage=coverage, reason="Plan terminated in March", by=staff)
    coverage.refresh_from_db()
    assert coverage.status == Coverage.Status.DENIED
    assert coverage.status_changes.get().note == "Plan terminated in March"


def test_reverification_sends_a_verified_coverage_back_to_pending(coverage, staff):
    services.coverage_mark_verified(
        coverage=coverage, method="portal", reference_number="A1", by=staff
    )

    services.coverage_request_reverification(coverage=coverage, by=staff)

    coverage.refresh_from_db()
    assert coverage.status == Coverage.Status.PENDING
    assert [c.to_status for c in coverage.status_changes.all()] == ["pending", "verified"]


def test_the_database_refuses_a_verified_coverage_without_evidence(coverage):
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.filter(pk=coverage.pk).update(status="verified")


@pytest.mark.parametrize(
    ("field", "value"),
    [("deductible", Decimal("-1")), ("terminates_on", datetime.date(2025, 12, 31))],
)
def test_negative_amounts_and_an_end_before_the_start_are_refused(coverage, field, value):
    setattr(coverage, field, value)

    with pytest.raises(ValidationError):
        coverage.full_clean()


@pytest.mark.parametrize("percent", [Decimal("-1"), Decimal("100.5")])
def test_coinsurance_outside_0_to_100_is_refused(coverage, percent):
    benefit = Benefit(coverage=coverage, category="iop", coinsurance_percent=percent)

    with pytest.raises(ValidationError, match="0 to 100"):
        benefit.full_clean()


def test_units_used_count_attended_days_inside_the_authorizations_dates(
    coverage, partner_a, partner_b, staff
):
    therapist = ClinicianFactory()
    couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=therapist, by=staff
    )
    authorization = Authorization.objects.create(
        coverage=coverage,
        number="AUTH-1",
        starts_on=datetime.date(2026, 3, 2),
        ends_on=datetime.date(2026, 3, 4),
        units_authorized=10,
    )
    zone = datetime.timezone(datetime.timedelta(hours=-5))  # New York in March, before DST
    # The evening before, two on one day, the last day late in the evening, the day after.
    for day, hour, present in [
        (1, 18, True),
        (2, 10, True),
        (2, 18, True),
        (3, 18, False),
        (4, 23, True),
        (5, 9, True),
    ]:
        session = session_services.session_schedule(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=therapist,
            couple=partner_a.couple,
            starts_at=datetime.datetime(2026, 3, day, hour, 0, tzinfo=zone),
            duration_minutes=30,
            by=staff,
        )
        status = "present" if present else "absent"
        minutes = 30 if present else 0
        session_services.attendance_mark(
            session=session,
            marks={partner_a.pk: (status, minutes), partner_b.pk: ("present", 30)},
            by=staff,
        )

    used = queries.units_used_for_authorizations(authorizations=[authorization])

    assert used == {authorization.pk: 2}  # 2 March (twice) and 4 March at 23:00 local


def test_verified_coverage_past_its_end_expires_once_with_history(coverage, staff):
    from insurance.tasks import coverages_expire_task

    services.coverage_mark_verified(
        coverage=coverage, method="edi", reference_number="271-9", by=staff
    )
    Coverage.objects.filter(pk=coverage.pk).update(terminates_on=datetime.date(2026, 6, 30))
    still_running = Coverage.objects.create(
        partner=coverage.partner,
        payer=coverage.payer,
        member_id="NEW-1",
        subscriber_name="Jordan Miller",
        effective_on=datetime.date(2026, 7, 1),
    )

    assert services.coverages_expire(today=datetime.date(2026, 7, 1)) == 1
    assert services.coverages_expire(today=datetime.date(2026, 7, 1)) == 0
    assert coverages_expire_task.apply().get() == 0

    coverage.refresh_from_db()
    assert coverage.status == Coverage.Status.EXPIRED
    assert coverage.status_changes.first().note == "The plan ended on June 30."
    still_running.refresh_from_db()
    assert still_running.status == Coverage.Status.UNVERIFIED
