"""Coverage and authorization dates in a sensible range (issue 17, finding 5). Dates come
from today, so the tests hold on any day."""

import datetime
import html

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.forms import modelform_factory
from django.urls import reverse
from django.utils import timezone

from common.dates import COVERAGE_START, EARLIEST, LATEST, long_date, years_after
from insurance import services
from insurance.admin.payers import AuthorizationForm
from insurance.models import Authorization, Coverage, Payer
from insurance.permissions import insurance_staff_group
from tests.auth import sign_in_with_mfa
from tests.factories import UserFactory

pytestmark = pytest.mark.timeshift

# Far from any window, derived from today so the file holds on any day it runs.
TODAY = timezone.localdate()
FAR_PAST = TODAY.replace(year=TODAY.year - 126, day=1)
FAR_FUTURE = TODAY.replace(year=TODAY.year + 174, day=1)


def shown(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def verifier(client, db):
    user = UserFactory(is_staff=True)
    user.groups.add(insurance_staff_group())
    sign_in_with_mfa(client, user)
    return client


@pytest.fixture
def coverage(partner_a):
    return Coverage.objects.create(
        partner=partner_a,
        payer=Payer.objects.create(name="Blue Cross PPO"),
        member_id="XJ123456",
        subscriber_name="Jordan Miller",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
        status=Coverage.Status.PENDING,
    )


def change_form(client, coverage, **changes) -> dict:
    """The coverage's admin form as the browser would post it back, with `changes`."""
    response = client.get(reverse("admin:insurance_coverage_change", args=[coverage.pk]))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, datetime.date):
            value = value.isoformat()
        data[name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data = {key: value for key, value in data.items() if not key.startswith("card_")}
    return {**data, **{name: value.isoformat() for name, value in changes.items()}}


# The verify step's "check again on"


@pytest.mark.parametrize("reverify_on", [FAR_PAST, FAR_FUTURE])
def test_a_check_date_far_away_is_refused_and_verifies_nothing(verifier, coverage, reverify_on):
    response = verifier.post(
        reverse("admin:insurance_coverage_verify", args=[coverage.pk]),
        {"method": "phone", "reference_number": "CALL-1", "reverify_on": reverify_on.isoformat()},
    )

    assert response.status_code == 200
    today = timezone.localdate()
    window = f"between {long_date(today)} and {long_date(years_after(coverage.effective_on, 20))}"
    assert f"Choose a date to check again {window}." in shown(response)
    coverage.refresh_from_db()
    assert (coverage.status, coverage.reverify_on, coverage.reference_number) == (
        Coverage.Status.PENDING,
        None,
        "",
    )
    assert not coverage.status_changes.exists()


def test_a_check_date_in_the_window_is_kept(verifier, coverage):
    reverify_on = timezone.localdate() + datetime.timedelta(days=30)

    verifier.post(
        reverse("admin:insurance_coverage_verify", args=[coverage.pk]),
        {"method": "phone", "reference_number": "CALL-1", "reverify_on": reverify_on.isoformat()},
    )

    coverage.refresh_from_db()
    assert (coverage.status, coverage.reverify_on) == (Coverage.Status.VERIFIED, reverify_on)


# The coverage's own dates


@pytest.mark.parametrize("effective_on", [FAR_PAST, FAR_FUTURE])
def test_a_plan_start_outside_the_span_is_refused_in_the_admin(verifier, coverage, effective_on):
    before = coverage.effective_on

    response = verifier.post(
        reverse("admin:insurance_coverage_change", args=[coverage.pk]),
        change_form(verifier, coverage, effective_on=effective_on),
    )

    assert response.status_code == 200
    earliest, latest = COVERAGE_START.around(timezone.localdate())
    assert f"Choose a start date between {long_date(earliest)} and {long_date(latest)}." in shown(
        response
    )
    coverage.refresh_from_db()
    assert coverage.effective_on == before


def test_the_admin_form_posts_back_unchanged(verifier, coverage):
    """The helper above posts what the page shows: unchanged, it saves."""
    response = verifier.post(
        reverse("admin:insurance_coverage_change", args=[coverage.pk]),
        change_form(verifier, coverage),
    )

    assert response.status_code == 302


def test_a_plan_ending_decades_after_its_start_is_refused_in_the_admin(verifier, coverage):
    response = verifier.post(
        reverse("admin:insurance_coverage_change", args=[coverage.pk]),
        change_form(verifier, coverage, terminates_on=years_after(coverage.effective_on, 25)),
    )

    assert response.status_code == 200
    latest = years_after(coverage.effective_on, 20)
    assert (
        f"Choose an end date between {long_date(coverage.effective_on)} and {long_date(latest)}."
        in shown(response)
    )
    coverage.refresh_from_db()
    assert coverage.terminates_on is None


@pytest.mark.parametrize(
    ("dates", "field", "label"),
    [
        ({"effective_on": FAR_PAST}, "effective_on", "a start date"),
        ({"effective_on": FAR_FUTURE}, "effective_on", "a start date"),
        ({"terminates_on": FAR_FUTURE}, "terminates_on", "an end date"),
        ({"terminates_on": FAR_PAST}, "terminates_on", "an end date"),
        ({"reverify_on": FAR_FUTURE}, "reverify_on", "a date to check again"),
        ({"reverify_on": FAR_PAST}, "reverify_on", "a date to check again"),
    ],
)
def test_the_service_check_refuses_each_coverage_date_on_its_field(dates, field, label):
    today = timezone.localdate()
    values = {"effective_on": today, "today": today, **dates}

    with pytest.raises(ValidationError) as refused:
        services.coverage_dates_check(**values)

    (message,) = refused.value.message_dict[field]
    assert message.startswith(f"Choose {label} between ")


def test_the_service_check_allows_a_plan_in_its_windows():
    today = timezone.localdate()

    services.coverage_dates_check(
        effective_on=years_after(today, -20),
        terminates_on=today,
        reverify_on=today,
        today=today,
    )
    services.coverage_dates_check(
        effective_on=years_after(today, 1),
        terminates_on=years_after(today, 21),
        today=today,
    )


@pytest.mark.parametrize("ends_on", ["before", "two years and a day", FAR_FUTURE])
def test_the_service_check_refuses_an_authorization_end_out_of_range(ends_on):
    starts_on = timezone.localdate()
    if ends_on == "before":
        ends_on = starts_on - datetime.timedelta(days=1)
    elif ends_on == "two years and a day":
        ends_on = years_after(starts_on, 2) + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        services.authorization_dates_check(starts_on=starts_on, ends_on=ends_on)

    window = f"between {long_date(starts_on)} and {long_date(years_after(starts_on, 2))}"
    assert refused.value.message_dict == {"ends_on": [f"Choose an end date {window}."]}


# The database's backstop


@pytest.mark.parametrize(
    "fields",
    [
        {"effective_on": EARLIEST - datetime.timedelta(days=1)},
        {"effective_on": LATEST + datetime.timedelta(days=1)},
        {"reverify_on": FAR_FUTURE},
        {"terminates_on": "25 years on"},
    ],
)
def test_the_database_refuses_coverage_dates_out_of_range(coverage, fields):
    if fields.get("terminates_on") == "25 years on":
        fields = {"terminates_on": years_after(coverage.effective_on, 25)}

    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.filter(pk=coverage.pk).update(**fields)


@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [
        (FAR_PAST, FAR_PAST),
        (FAR_FUTURE, FAR_FUTURE),
        (TODAY, years_after(TODAY, 3)),
    ],
)
def test_the_database_refuses_an_authorization_out_of_range(coverage, starts_on, ends_on):
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorization.objects.create(
            coverage=coverage,
            number="A-1",
            starts_on=starts_on,
            ends_on=ends_on,
            units_authorized=20,
        )


def test_the_admins_authorization_row_refuses_an_end_years_after_its_start(coverage):
    """The admin's inline form, as the admin builds it, holds the service's window."""
    form_class = modelform_factory(
        Authorization, form=AuthorizationForm, fields=["number", "starts_on", "ends_on"]
    )
    starts_on = timezone.localdate()
    form = form_class(
        data={
            "number": "A-1",
            "starts_on": starts_on.isoformat(),
            "ends_on": years_after(starts_on, 5).isoformat(),
        },
        instance=Authorization(coverage=coverage),
    )

    assert not form.is_valid()
    assert "ends_on" in form.errors
