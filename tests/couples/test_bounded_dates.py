"""Admission and sobriety dates in a sensible range (issue 17, finding 5): the admin's form
says so and nothing is saved. Dates come from today, so the tests hold on any day."""

import datetime
import html
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from common.dates import long_date, years_after
from couples import services
from couples.models import Couple, Partner, User
from couples.queries import couple_today
from tests.auth import sign_in_with_mfa

pytestmark = pytest.mark.timeshift

ADMIT_URL = "/admin/couples/couple/admit/"
FAR_PAST = datetime.date(1900, 1, 1)
FAR_FUTURE = datetime.date(2200, 1, 1)


@pytest.fixture
def manager(client, staff):
    sign_in_with_mfa(client, staff)
    return client


def intake(team, **changes) -> dict:
    return {
        "partner1-first_name": "Jo",
        "partner1-last_name": "March",
        "partner1-preferred_name": "",
        "partner1-email": "jo@example.test",
        "partner1-individual_therapist": team["therapist"].pk,
        "partner1-counselor": team["counselor"].pk,
        "partner2-first_name": "Sam",
        "partner2-last_name": "March",
        "partner2-preferred_name": "",
        "partner2-email": "sam@example.test",
        "partner2-individual_therapist": team["therapist"].pk,
        "partner2-counselor": team["counselor"].pk,
        "time_zone": "America/Chicago",
        "admitted_on": timezone.localdate().isoformat(),
        "couples_therapist": team["couples"].pk,
        **changes,
    }


def shown(response) -> str:
    return html.unescape(response.text)


def nothing_saved(users_before: int) -> bool:
    return (
        not Couple.objects.exists()
        and not Partner.objects.exists()
        and User.objects.count() == users_before
    )


@pytest.mark.parametrize("admitted_on", [FAR_PAST, FAR_FUTURE, "91 days ahead"])
def test_an_admission_date_far_away_is_refused_and_admits_nobody(manager, team, staff, admitted_on):
    if admitted_on == "91 days ahead":
        admitted_on = timezone.localdate() + datetime.timedelta(days=95)
    users = User.objects.count()

    response = manager.post(ADMIT_URL, intake(team, admitted_on=admitted_on.isoformat()))

    assert response.status_code == 200
    assert "Choose an admission date between " in shown(response)
    assert nothing_saved(users)


def test_the_service_names_the_window_in_the_couples_zone(team):
    today = timezone.localdate(timezone=ZoneInfo("America/Chicago"))
    people = [
        {
            "email": f"{name}@example.test",
            "first_name": name,
            "last_name": "March",
            "individual_therapist": team["therapist"],
            "counselor": team["counselor"],
        }
        for name in ("jo", "sam")
    ]

    with pytest.raises(ValidationError) as refused:
        services.couple_admit(
            partners=people,
            time_zone="America/Chicago",
            admitted_on=FAR_FUTURE,
            couples_therapist=team["couples"],
            by=None,
        )

    window = (
        f"between {long_date(years_after(today, -3))} "
        f"and {long_date(today + datetime.timedelta(days=90))}"
    )
    assert refused.value.message_dict == {"admitted_on": [f"Choose an admission date {window}."]}
    assert not Couple.objects.exists()


def test_an_admission_three_years_back_is_allowed(manager, team):
    admitted_on = years_after(timezone.localdate(), -3) + datetime.timedelta(days=1)

    response = manager.post(ADMIT_URL, intake(team, admitted_on=admitted_on.isoformat()))

    assert response.status_code == 302
    assert Couple.objects.get().admitted_on == admitted_on


def test_an_over_long_email_is_refused_on_the_intake_form(manager, team):
    users = User.objects.count()
    email = "x" * 250 + "@example.test"

    response = manager.post(ADMIT_URL, intake(team, **{"partner1-email": email}))

    assert response.status_code == 200
    assert 'maxlength="254"' in response.text
    assert nothing_saved(users)


@pytest.mark.parametrize(
    ("field", "label", "years_back"),
    [("sobriety_date", "a sobriety date", 80), ("date_of_birth", "a date of birth", 110)],
)
@pytest.mark.parametrize("day", [FAR_PAST, FAR_FUTURE, "tomorrow"])
def test_a_partners_date_far_away_or_ahead_is_refused_in_the_admin(
    manager, partner_a, field, label, years_back, day
):
    today = couple_today(couple=partner_a.couple)
    if day == "tomorrow":
        day = today + datetime.timedelta(days=1)
    before = getattr(partner_a, field)

    response = manager.post(
        reverse("admin:couples_partner_change", args=[partner_a.pk]),
        {
            "preferred_name": "",
            field: day.isoformat(),
            "care_assignments-TOTAL_FORMS": "0",
            "care_assignments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    window = f"between {long_date(years_after(today, -years_back))} and {long_date(today)}"
    assert f"Choose {label} {window}." in shown(response)
    partner_a.refresh_from_db()
    assert getattr(partner_a, field) == before


def test_a_date_of_birth_is_saved_in_the_admin(manager, partner_a):
    born = years_after(couple_today(couple=partner_a.couple), -34)

    response = manager.post(
        reverse("admin:couples_partner_change", args=[partner_a.pk]),
        {
            "preferred_name": "",
            "date_of_birth": born.isoformat(),
            "care_assignments-TOTAL_FORMS": "0",
            "care_assignments-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    partner_a.refresh_from_db()
    assert partner_a.date_of_birth == born


@pytest.mark.parametrize("admitted_on", [datetime.date(1999, 12, 31), datetime.date(2101, 1, 1)])
def test_the_database_refuses_an_admission_outside_its_span(couple, admitted_on):
    with pytest.raises(IntegrityError), transaction.atomic():
        Couple.objects.filter(pk=couple.pk).update(admitted_on=admitted_on)
