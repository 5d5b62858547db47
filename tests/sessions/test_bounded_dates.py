"""Session dates in a sensible range (issue 17, finding 5): a year back to two years ahead,
a series at most a year long; the form says so and nothing is scheduled. Dates come from
the couple's today, so the tests hold on any day."""

import datetime
import html
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from common.dates import long_date, years_after
from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from sessions import services
from sessions.models import SessionKind, SessionSeries, TherapySession
from tests.auth import sign_in_with_mfa

pytestmark = pytest.mark.timeshift

NEW = "/clinic/sessions/new/"
SERIES_NEW = "/clinic/sessions/series/new/"
FAR_PAST = datetime.date(1900, 1, 2)
FAR_FUTURE = datetime.date(2200, 1, 2)


def window(today: datetime.date) -> str:
    return f"between {long_date(years_after(today, -1))} and {long_date(years_after(today, 2))}"


def shown(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def today(couple):
    return couple_today(couple=couple)


@pytest.fixture
def therapist(client, clinician, couple, partner_a, partner_b):
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )
    sign_in_with_mfa(client, clinician.user)
    return client


@pytest.fixture
def session(therapist, clinician, couple, today):
    starts_at = datetime.datetime.combine(
        today + datetime.timedelta(days=7), datetime.time(18), tzinfo=ZoneInfo(couple.time_zone)
    )
    return services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=clinician,
        couple=couple,
        starts_at=starts_at,
        duration_minutes=60,
        by=clinician.user,
    )


def one_session(couple, day: datetime.date) -> dict:
    return {
        "kind": SessionKind.COUPLES_THERAPY,
        "couple": str(couple.pk),
        "partner": "",
        "day": day.isoformat(),
        "start_time": "18:00",
        "duration_minutes": "60",
    }


def series(couple, starts_on: datetime.date, ends_on: datetime.date) -> dict:
    return {
        "kind": SessionKind.COUPLES_THERAPY,
        "couple": str(couple.pk),
        "partner": "",
        "weekdays": ["0", "1", "2", "3", "4", "5", "6"],
        "start_time": "18:00",
        "duration_minutes": "60",
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat(),
    }


@pytest.mark.parametrize("day", [FAR_PAST, FAR_FUTURE, "two years and a day"])
def test_a_session_far_away_is_refused_on_the_form(therapist, couple, today, day):
    if day == "two years and a day":
        day = years_after(today, 2) + datetime.timedelta(days=1)

    response = therapist.post(f"{NEW}?couple={couple.pk}", one_session(couple, day))

    assert response.status_code == 200
    assert f"Choose a session date {window(today)}." in shown(response)
    assert not TherapySession.objects.exists()


def test_a_session_at_the_edge_of_the_window_is_scheduled(therapist, couple, today):
    response = therapist.post(
        f"{NEW}?couple={couple.pk}", one_session(couple, years_after(today, 2))
    )

    assert response.status_code == 302
    assert TherapySession.objects.count() == 1


@pytest.mark.parametrize("day", [FAR_PAST, FAR_FUTURE])
def test_the_service_refuses_a_session_far_away(clinician, couple, partner_a, partner_b, day):
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )
    starts_at = datetime.datetime.combine(day, datetime.time(18), tzinfo=datetime.UTC)

    with pytest.raises(ValidationError) as refused:
        services.session_schedule(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=clinician,
            couple=couple,
            starts_at=starts_at,
            duration_minutes=60,
            by=clinician.user,
        )

    assert "starts_at" in refused.value.message_dict
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize("starts_on", [FAR_PAST, FAR_FUTURE])
def test_a_series_starting_far_away_is_refused_on_the_form(therapist, couple, today, starts_on):
    response = therapist.post(
        f"{SERIES_NEW}?couple={couple.pk}",
        series(couple, starts_on, starts_on + datetime.timedelta(days=14)),
    )

    assert response.status_code == 200
    assert f"Choose a first date {window(today)}." in shown(response)
    assert not SessionSeries.objects.exists() and not TherapySession.objects.exists()


def test_a_series_longer_than_a_year_is_refused_on_the_form(therapist, couple, today):
    starts_on = today + datetime.timedelta(days=1)
    ends_on = years_after(starts_on, 1) + datetime.timedelta(days=1)

    response = therapist.post(
        f"{SERIES_NEW}?couple={couple.pk}", series(couple, starts_on, ends_on)
    )

    assert response.status_code == 200
    expected = f"between {long_date(starts_on)} and {long_date(years_after(starts_on, 1))}"
    assert f"Choose a last date {expected}." in shown(response)
    assert not SessionSeries.objects.exists() and not TherapySession.objects.exists()


@pytest.mark.parametrize("day", [FAR_PAST, FAR_FUTURE])
def test_moving_a_session_far_away_is_refused_and_changes_nothing(
    therapist, session, couple, today, day
):
    before = session.starts_at

    response = therapist.post(
        f"/clinic/sessions/{session.pk}/reschedule/",
        {"day": day.isoformat(), "start_time": "18:00", "reason": "Typing slip"},
    )

    assert response.status_code == 200
    assert f"Choose a session date {window(today)}." in shown(response)
    session.refresh_from_db()
    assert session.starts_at == before


@pytest.mark.parametrize("year", [1999, 2101])
def test_the_database_refuses_a_session_outside_its_span(session, year):
    starts_at = datetime.datetime(year, 6, 1, 18, tzinfo=datetime.UTC)

    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(
            starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1)
        )
