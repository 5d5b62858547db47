import datetime
import re

import pytest
from django.contrib import admin as django_admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit import services as audit_services
from insurance.admin import CoverageAdmin
from insurance.models import Authorization, Coverage, Payer
from insurance.permissions import insurance_staff_group
from tests.auth import sign_in_with_mfa, totp_ensure
from tests.factories import PartnerFactory, UserFactory


@pytest.fixture
def insurance_staff(db):
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    totp_ensure(user)
    return user


@pytest.fixture
def verifier(client, insurance_staff):
    sign_in_with_mfa(client, insurance_staff)
    return client


def _coverages(count, status="pending"):
    payer = Payer.objects.get_or_create(name="Aetna PPO")[0]
    return [
        Coverage.objects.create(
            partner=PartnerFactory(),
            payer=payer,
            member_id=f"M{n:05}",
            subscriber_name="Sub Scriber",
            effective_on=timezone.localdate() - datetime.timedelta(days=60),
            status=status,
        )
        for n in range(count)
    ]


def test_insurance_staff_filter_pending_coverages(verifier):
    pending = _coverages(2)
    _coverages(1, status="unverified")

    response = verifier.get(
        reverse("admin:insurance_coverage_changelist") + "?status__exact=pending"
    )

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    assert {c.pk for c in response.context["cl"].result_list} == {c.pk for c in pending}


@pytest.mark.parametrize("size", [10, 500])
def test_the_coverage_list_keeps_a_constant_number_of_queries(
    verifier, size, django_assert_max_num_queries
):
    today = timezone.localdate()
    Authorization.objects.bulk_create(
        Authorization(
            coverage=coverage,
            number=f"A{coverage.pk}",
            starts_on=today - datetime.timedelta(days=10),
            ends_on=today + datetime.timedelta(days=10),
            units_authorized=20,
        )
        for coverage in _coverages(size)
    )
    # The audit chains' heads, as migrations leave them (a flush by an earlier test in real
    # transactions empties them, and the first write would make them).
    audit_services.chain_heads_ensure()

    # session, user with roles and authenticator, the permissions (own and groups' at once),
    # the payers for the filter, the count, the page's coverages (partner user and payer
    # joined), current authorizations, their attendance, and the session's first stamp (3:
    # savepoint, update, release), the list view's audit row (lock a chain, insert, move
    # its head); 14 with 10 or 500 rows.
    with django_assert_max_num_queries(14):
        response = verifier.get(reverse("admin:insurance_coverage_changelist"))
    assert response.status_code == 200
    assert "0 of 20 used, 20 left" in response.text


def test_the_coverage_list_shows_25_a_page_with_the_rest_on_the_next(verifier):
    coverages = _coverages(27, status="pending") + _coverages(3, status="unverified")
    url = reverse("admin:insurance_coverage_changelist")

    first = verifier.get(url)
    second = verifier.get(url, {"p": 2})

    assert first.context["cl"].result_count == 30
    assert len(first.context["cl"].result_list) == 25
    assert "?p=2" in first.text
    # In the queue's order (status, then partner), each coverage on exactly one page.
    rest = [coverage.status for coverage in second.context["cl"].result_list]
    assert rest == ["pending", "pending", "unverified", "unverified", "unverified"]
    shown = [c.pk for page in (first, second) for c in page.context["cl"].result_list]
    assert sorted(shown) == sorted(c.pk for c in coverages)


def test_the_coverage_list_marks_each_status_with_a_symbol_and_its_name(verifier):
    _coverages(1, status="pending")
    _coverages(1, status="denied")

    response = verifier.get(reverse("admin:insurance_coverage_changelist"))

    assert "<strong>◐ Verification pending</strong>" in response.text
    assert "<strong>✖ Denied</strong>" in response.text


def test_marking_verified_needs_a_method_and_reference(verifier, insurance_staff):
    coverage = _coverages(1)[0]
    url = reverse("admin:insurance_coverage_verify", args=[coverage.pk])

    response = verifier.post(url, {"method": "phone", "reference_number": ""})
    assert response.status_code == 200
    coverage.refresh_from_db()
    assert coverage.status == "pending"

    response = verifier.post(url, {"method": "phone", "reference_number": "CALL-2231"})
    assert response.status_code == 302
    coverage.refresh_from_db()
    assert (coverage.status, coverage.reference_number, coverage.verified_by) == (
        "verified",
        "CALL-2231",
        insurance_staff,
    )


def test_marking_denied_needs_a_reason(verifier):
    coverage = _coverages(1)[0]
    url = reverse("admin:insurance_coverage_deny", args=[coverage.pk])

    assert verifier.post(url, {"reason": ""}).status_code == 200
    assert verifier.post(url, {"reason": "Not eligible on the date of service"}).status_code == 302
    coverage.refresh_from_db()
    assert coverage.status == "denied"


def test_insurance_staff_cannot_open_clinical_admin_pages(verifier, partner_a):
    for url in [
        reverse("admin:couples_couple_change", args=[partner_a.couple_id]),
        reverse("admin:couples_careassignment_changelist"),
        reverse("admin:audit_auditevent_changelist"),
    ]:
        assert verifier.get(url).status_code == 403, url


def test_someone_without_insurance_permissions_cannot_verify(client, db):
    user = UserFactory(is_staff=True)
    sign_in_with_mfa(client, user)
    coverage = _coverages(1)[0]

    response = client.post(
        reverse("admin:insurance_coverage_verify", args=[coverage.pk]),
        {"method": "phone", "reference_number": "X"},
    )

    assert response.status_code == 403
    coverage.refresh_from_db()
    assert coverage.status == "pending"


def test_opening_a_coverage_in_admin_is_audited_as_a_read_of_the_patients_record(
    verifier, insurance_staff
):
    from audit.models import AuditEvent

    coverage = _coverages(1)[0]

    response = verifier.get(reverse("admin:insurance_coverage_change", args=[coverage.pk]))

    assert response.status_code == 200
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ, actor=insurance_staff)
    assert (read.patient, read.target_type) == (coverage.partner, "insurance.Coverage")


@pytest.mark.parametrize("count", [1, 6])
def test_a_coverage_page_reads_authorization_use_once_for_all_its_authorizations(
    verifier, count, django_assert_max_num_queries
):
    coverage = _coverages(1)[0]
    today = timezone.localdate()
    for n in range(count):
        Authorization.objects.create(
            coverage=coverage, number=f"A{n}", starts_on=today, ends_on=today, units_authorized=5
        )

    # The change page with its inlines; the same for 1 or 6 authorizations.
    with django_assert_max_num_queries(32):
        response = verifier.get(reverse("admin:insurance_coverage_change", args=[coverage.pk]))

    assert response.status_code == 200
    assert response.text.count("0 of 5 used, 5 left") == count


@pytest.mark.parametrize(("action", "form"), [("mark_verified", "verify"), ("mark_denied", "deny")])
def test_the_list_actions_open_the_form_for_the_one_selected_coverage(verifier, action, form):
    coverage = _coverages(1)[0]

    response = verifier.post(
        reverse("admin:insurance_coverage_changelist"),
        {"action": action, "_selected_action": [coverage.pk]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(f"admin:insurance_coverage_{form}", args=[coverage.pk])


@pytest.mark.parametrize("action", ["mark_verified", "mark_denied"])
def test_the_list_actions_refuse_several_coverages_at_once_and_change_nothing(verifier, action):
    coverages = _coverages(2)

    response = verifier.post(
        reverse("admin:insurance_coverage_changelist"),
        {"action": action, "_selected_action": [c.pk for c in coverages]},
        follow=True,
    )

    assert "Select one coverage" in response.text
    assert set(Coverage.objects.values_list("status", flat=True)) == {"pending"}


def test_the_coverage_list_is_not_shown_to_anyone_without_the_permission(
    verifier, client, clinician
):
    coverage = _coverages(1)[0]
    url = reverse("admin:insurance_coverage_changelist")
    email = coverage.partner.user.email
    assert email in verifier.get(url).text
    staff = UserFactory(is_staff=True)

    for person in (staff, clinician.user):
        sign_in_with_mfa(client, person)
        response = client.get(url)
        assert response.status_code in (302, 403), person
        assert email not in response.text


def test_the_coverage_list_has_each_requests_own_token_and_its_actions_work(
    insurance_staff,
):
    coverage = _coverages(1)[0]
    client = Client(enforce_csrf_checks=True)
    sign_in_with_mfa(client, insurance_staff)
    url = reverse("admin:insurance_coverage_changelist")
    first = client.get(url).text
    second = client.get(url).text

    nonces = [set(re.findall(r'nonce="([^"]+)"', page)) for page in (first, second)]
    assert all(len(found) == 1 for found in nonces) and nonces[0] != nonces[1]
    token = re.search(r'id="changelist-form".*?value="([^"]+)"', second, re.S).group(1)
    response = client.post(
        url,
        {"csrfmiddlewaretoken": token, "action": "mark_verified", "_selected_action": coverage.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:insurance_coverage_verify", args=[coverage.pk])


def test_the_coverage_lists_row_checkbox_is_the_one_django_draws(verifier):
    coverage = _coverages(1)[0]
    ours = CoverageAdmin(Coverage, django_admin.site).action_checkbox(coverage)
    djangos = django_admin.ModelAdmin.action_checkbox(None, coverage)

    assert str(ours) == str(djangos)
    assert (
        'name="_selected_action"'
        in verifier.get(reverse("admin:insurance_coverage_changelist")).text
    )
