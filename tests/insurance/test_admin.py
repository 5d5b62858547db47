import datetime
import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples import fragments
from insurance.models import Authorization, Coverage, Payer
from insurance.permissions import insurance_staff_group
from tests.factories import PartnerFactory, UserFactory


@pytest.fixture
def insurance_staff(db):
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def verifier(client, insurance_staff):
    client.force_login(insurance_staff)
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

    # session, user with roles and authenticator, the permissions (own and groups' at once),
    # the payers for the filter, the count, the page's coverages with their revisions, then
    # the rows to draw (partner user and payer joined), current authorizations, their
    # attendance, and the session's first stamp (3: savepoint, update, release); 12 with 10
    # or 500 rows. Kept rows: see below.
    with django_assert_max_num_queries(12):
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
    TOTP.activate(user, generate_totp_secret())
    client.force_login(user)
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


def _tbody(html: str) -> str:
    return html[html.index("<tbody>") : html.index("</tbody>")]


def test_the_coverage_list_draws_its_rows_as_djangos_own_list_does(verifier, monkeypatch):
    from insurance.admin import CoverageAdmin

    _coverages(2, status="pending")
    _coverages(1, status="denied")
    url = reverse("admin:insurance_coverage_changelist")

    drawn = verifier.get(url).text
    kept = verifier.get(url).text
    monkeypatch.setattr(CoverageAdmin, "change_list_template", "admin/change_list.html")
    djangos = verifier.get(url).text

    assert _tbody(kept) == _tbody(drawn) == _tbody(djangos)
    assert _tbody(drawn).count("<tr>") == 3


def test_a_change_to_a_kept_coverage_row_shows_on_the_next_view(verifier, insurance_staff):
    from insurance import services

    coverage = _coverages(1)[0]
    url = reverse("admin:insurance_coverage_changelist")
    assert "◐ Verification pending" in verifier.get(url).text
    assert "◐ Verification pending" in verifier.get(url).text  # kept

    services.coverage_mark_verified(
        coverage=coverage, method="phone", reference_number="R-1", by=insurance_staff
    )
    user = coverage.partner.user
    user.first_name = "Renamed"
    user.save()

    text = verifier.get(url).text
    assert "✔ Verified" in text
    assert "◐ Verification pending" not in text
    assert "Renamed" in text


def test_kept_coverage_rows_link_back_to_the_list_they_were_listed_in(verifier):
    _coverages(1)
    url = reverse("admin:insurance_coverage_changelist")

    filtered = verifier.get(url, {"status__exact": "pending"}).text
    plain = verifier.get(url).text

    assert "_changelist_filters=status__exact%3Dpending" in _tbody(filtered)
    assert "_changelist_filters" not in _tbody(plain)


def test_a_kept_coverage_list_reads_no_authorizations(verifier, django_assert_max_num_queries):
    today = timezone.localdate()
    for coverage in _coverages(3):
        Authorization.objects.create(
            coverage=coverage,
            number=f"A{coverage.pk}",
            starts_on=today,
            ends_on=today,
            units_authorized=4,
        )
    url = reverse("admin:insurance_coverage_changelist")
    verifier.get(url)

    # Session, user, permissions, payers, count, the page's coverages with their revisions.
    with django_assert_max_num_queries(6):
        response = verifier.get(url)
    assert response.text.count("0 of 4 used, 4 left") == 3


def test_a_kept_coverage_list_is_not_shown_to_anyone_without_the_permission(
    verifier, client, clinician
):
    coverage = _coverages(1)[0]
    url = reverse("admin:insurance_coverage_changelist")
    email = coverage.partner.user.email
    assert email in verifier.get(url).text  # drawn and kept for the verifier
    staff = UserFactory(is_staff=True)
    TOTP.activate(staff, generate_totp_secret())
    TOTP.activate(clinician.user, generate_totp_secret())

    for person in (staff, clinician.user):
        client.force_login(person)
        response = client.get(url)
        assert response.status_code in (302, 403), person
        assert email not in response.text


def _tokens_out(html: str) -> str:
    """The page without what differs between requests: its CSRF tokens and CSP nonces."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
    return re.sub(r'nonce="[^"]*"', "nonce", html)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status__exact": "pending"},
        {"q": "M00003"},
        {"o": "-2"},
        {"p": "2"},
        {"reverify": "due"},
        {"_popup": "1"},
    ],
)
def test_a_kept_coverage_list_page_is_the_page_django_draws(verifier, monkeypatch, query):
    from insurance.admin import CoverageAdmin

    pending = _coverages(27)
    _coverages(1, status="denied")
    Coverage.objects.filter(pk__in=[c.pk for c in pending[:3]]).update(
        reverify_on=timezone.localdate()
    )
    url = reverse("admin:insurance_coverage_changelist")

    drawn = verifier.get(url, query)
    kept = verifier.get(url, query)
    caches["fragments"].clear()
    monkeypatch.setattr(CoverageAdmin, "change_list_template", "admin/change_list.html")
    djangos = verifier.get(url, query)

    assert drawn.templates and not kept.templates  # the second was not drawn
    assert _tokens_out(kept.text) == _tokens_out(drawn.text)
    # Our template draws the rows in a block of its own: the same, but for whitespace.
    assert _tokens_out(drawn.text).split() == _tokens_out(djangos.text).split()
    assert 'id="result_list"' in kept.text


def _add_coverage(staff):
    return _coverages(1)[0].partner.user.email, None


def _add_payer(staff):
    Payer.objects.create(name="Cigna Open Access")
    return "Cigna Open Access", None  # in the payer filter


def _rename_viewer(staff):
    staff.first_name = "Robin"
    staff.save()
    return "<strong>Robin</strong>", None


def _take_change_permission(staff):
    from django.contrib.auth.models import Permission

    staff.groups.clear()
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_coverage", "view_payer"])
    )
    return None, "Mark verified"  # the actions go with the change permission


@pytest.mark.parametrize(
    "change", [_add_coverage, _add_payer, _rename_viewer, _take_change_permission]
)
def test_a_change_to_a_kept_coverage_list_page_shows_on_the_next_view(
    verifier, insurance_staff, change
):
    _coverages(2)
    url = reverse("admin:insurance_coverage_changelist")
    verifier.get(url)
    page = verifier.get(url).text  # kept
    assert "Mark verified" in page

    shown, gone = change(insurance_staff)

    page = verifier.get(url).text
    if shown:
        assert shown in page
    if gone:
        assert gone not in page


def test_a_coverage_added_beyond_a_kept_list_page_is_counted_on_the_next_view(verifier):
    _coverages(26)
    url = reverse("admin:insurance_coverage_changelist")
    by_name = {"o": "1"}  # partner's last name: the one added below comes last
    verifier.get(url, by_name)
    assert "26 coverages" in verifier.get(url, by_name).text  # kept

    last = _coverages(1)[0].partner.user
    last.last_name = "Zzyzx"
    last.save()

    page = verifier.get(url, by_name).text
    assert "27 coverages" in page
    assert "Zzyzx" not in page  # on page 2


def test_a_kept_coverage_list_page_has_each_requests_own_token_and_its_actions_work(
    insurance_staff,
):
    coverage = _coverages(1)[0]
    client = Client(enforce_csrf_checks=True)
    client.force_login(insurance_staff)
    url = reverse("admin:insurance_coverage_changelist")
    first = client.get(url).text
    second = client.get(url).text  # kept

    for page in (first, second):
        assert fragments.CSRF_PLACEHOLDER not in page
        assert fragments.NONCE_PLACEHOLDER not in page
    nonces = [set(re.findall(r'nonce="([^"]+)"', page)) for page in (first, second)]
    assert all(len(found) == 1 for found in nonces) and nonces[0] != nonces[1]
    token = re.search(r'id="changelist-form".*?value="([^"]+)"', second, re.S).group(1)
    response = client.post(
        url,
        {"csrfmiddlewaretoken": token, "action": "mark_verified", "_selected_action": coverage.pk},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:insurance_coverage_verify", args=[coverage.pk])


def test_a_message_shows_once_on_a_kept_coverage_list_page(verifier):
    coverages = _coverages(2)
    url = reverse("admin:insurance_coverage_changelist")
    verifier.get(url)
    verifier.get(url)  # kept

    verifier.post(url, {"action": "mark_verified", "_selected_action": [c.pk for c in coverages]})

    assert "Select one coverage" in verifier.get(url).text
    assert "Select one coverage" not in verifier.get(url).text


def test_a_kept_coverage_list_page_is_its_viewers_own(verifier, client):
    _coverages(1)
    url = reverse("admin:insurance_coverage_changelist")
    verifier.get(url)
    other = UserFactory(is_staff=True, first_name="Sam")
    other.groups.add(insurance_staff_group())
    TOTP.activate(other, generate_totp_secret())
    client_b = Client()
    client_b.force_login(other)

    assert "<strong>Sam</strong>" in client_b.get(url).text
    assert "<strong>Sam</strong>" not in verifier.get(url).text
