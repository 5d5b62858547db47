"""Bounded input on goals (issue 17, finding 5): free text has a length the database holds,
dates fall in a sensible range, and a proposer may take back a goal still waiting for
agreement. Dates come from the couple's today, so the tests hold on any day."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from common.dates import long_date, years_after
from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from goals import services
from goals.models import (
    CHANGE_NOTE_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    Goal,
    GoalChangeRequest,
    GoalTransition,
)
from tests.auth import sign_in_with_mfa
from tests.factories import GoalFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

NEW_GOAL = "/portal/goals/new/"
FAR_PAST = datetime.date(1900, 1, 1)
FAR_FUTURE = datetime.date(2200, 1, 1)


def detail(goal) -> str:
    return f"/portal/goals/{goal.pk}/"


def withdraw_url(goal) -> str:
    return f"/portal/goals/{goal.pk}/withdraw/"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def goal_data(today: datetime.date, **fields) -> dict:
    return {
        "kind": "shared",
        "category": Goal.Category.SOBER_ACTIVITIES,
        "title": "Sunday hike",
        "description": "",
        "measure": Goal.Measure.COUNT,
        "target": "1",
        "start_on": today.isoformat(),
        "due_on": "",
        **fields,
    }


def clinic_terms(today: datetime.date, **fields) -> dict:
    return {
        "category": "communication",
        "title": "Ten minutes of talk after dinner",
        "description": "",
        "measure": "yes_no",
        "target": "5",
        "start_on": today.isoformat(),
        "due_on": "",
        **fields,
    }


def propose(partner, **fields) -> Goal:
    values = {
        "couple": partner.couple,
        "partner": None,
        "category": Goal.Category.TRUST,
        "title": "Phones away at dinner",
        "measure": Goal.Measure.YES_NO,
        "target": 5,
        "start_on": couple_today(couple=partner.couple),
        "by": partner.user,
    }
    return services.goal_create(**{**values, **fields})


def start_window(today: datetime.date) -> str:
    return f"between {long_date(years_after(today, -1))} and {long_date(years_after(today, 1))}"


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


# Free text


def test_the_details_textarea_carries_its_limit(jordan):
    page = jordan.get(NEW_GOAL).text

    assert f'maxlength="{DESCRIPTION_MAX_LENGTH}"' in page


def test_over_long_details_are_refused_on_the_portal_form(jordan, today):
    response = jordan.post(
        NEW_GOAL, goal_data(today, description="x" * (DESCRIPTION_MAX_LENGTH + 1))
    )

    assert response.status_code == 200
    assert "Keep the details to 2,000 characters or fewer (this has 2001)." in response.text
    assert not Goal.objects.exists()


def test_over_long_details_are_refused_on_the_clinic_form(therapist, couple, today):
    response = therapist.post(
        f"/clinic/couples/{couple.pk}/goals/new/",
        clinic_terms(today, description="x" * (DESCRIPTION_MAX_LENGTH + 1)),
    )

    assert response.status_code == 200
    assert "Keep the details to 2,000 characters or fewer" in response.text
    assert not Goal.objects.exists()


def test_details_of_exactly_the_limit_are_kept(jordan, today):
    jordan.post(NEW_GOAL, goal_data(today, description="x" * DESCRIPTION_MAX_LENGTH))

    assert len(Goal.objects.get().description) == DESCRIPTION_MAX_LENGTH


def test_the_service_refuses_over_long_details(partner_a, partner_b):
    with pytest.raises(ValidationError) as refused:
        propose(partner_a, description="x" * (DESCRIPTION_MAX_LENGTH + 1))

    assert "description" in refused.value.message_dict
    assert not Goal.objects.exists()


def test_an_edit_to_over_long_details_changes_nothing(partner_a, partner_b):
    goal = propose(partner_a, description="Short")

    with pytest.raises(ValidationError):
        services.goal_update(
            goal=goal, by=partner_a.user, description="x" * (DESCRIPTION_MAX_LENGTH + 1)
        )

    goal.refresh_from_db()
    assert goal.description == "Short"


def test_an_over_long_change_request_is_refused_and_saves_nothing(jordan, partner_a, partner_b):
    goal = propose(partner_b)
    url = f"/portal/goals/{goal.pk}/request-change/"

    page = jordan.get(url).text
    response = jordan.post(url, {"note": "x" * (CHANGE_NOTE_MAX_LENGTH + 1)})

    assert f'maxlength="{CHANGE_NOTE_MAX_LENGTH}"' in page
    assert response.status_code == 200
    assert "Keep the request to 1,000 characters or fewer (this has 1001)." in response.text
    assert not GoalChangeRequest.objects.exists()
    assert goal.acceptances.filter(partner=partner_b).exists()  # nothing asked again


def test_the_service_refuses_an_over_long_change_request(partner_a, partner_b):
    goal = propose(partner_b)

    with pytest.raises(ValidationError) as refused:
        services.goal_request_change(
            goal=goal, partner=partner_a, note="x" * (CHANGE_NOTE_MAX_LENGTH + 1)
        )

    assert "note" in refused.value.message_dict
    assert not GoalChangeRequest.objects.exists()


def test_the_database_refuses_over_long_text(partner_a, partner_b):
    goal = propose(partner_b)

    with pytest.raises(IntegrityError), transaction.atomic():
        Goal.objects.filter(pk=goal.pk).update(description="x" * (DESCRIPTION_MAX_LENGTH + 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        GoalChangeRequest.objects.create(
            goal=goal, partner=partner_a, note="x" * (CHANGE_NOTE_MAX_LENGTH + 1)
        )


# Dates


@pytest.mark.parametrize("start_on", [FAR_PAST, FAR_FUTURE])
def test_a_start_date_far_away_is_refused_on_the_portal_form(jordan, today, start_on):
    response = jordan.post(NEW_GOAL, goal_data(today, start_on=start_on.isoformat()))

    assert response.status_code == 200
    assert f"Choose a start date {start_window(today)}." in response.text
    assert not Goal.objects.exists()


@pytest.mark.parametrize("due_on", [FAR_FUTURE, "three years and a day"])
def test_a_due_date_far_away_is_refused(jordan, today, due_on):
    if due_on != FAR_FUTURE:
        due_on = years_after(today, 3) + datetime.timedelta(days=1)

    response = jordan.post(NEW_GOAL, goal_data(today, due_on=due_on.isoformat()))

    assert response.status_code == 200
    window = f"between {long_date(today)} and {long_date(years_after(today, 3))}"
    assert f"Choose a due date {window}." in response.text
    assert not Goal.objects.exists()


def test_the_edges_of_the_windows_are_allowed(partner_a, partner_b, today):
    earliest = propose(partner_a, start_on=years_after(today, -1))
    latest = propose(
        partner_a, start_on=years_after(today, 1), due_on=years_after(years_after(today, 1), 3)
    )

    assert (earliest.start_on, latest.start_on) == (years_after(today, -1), years_after(today, 1))


@pytest.mark.parametrize("start_on", [FAR_PAST, FAR_FUTURE])
def test_a_clinic_edit_to_a_far_start_changes_nothing(therapist, couple, today, start_on):
    goal = GoalFactory(couple=couple, start_on=today)

    response = therapist.post(
        f"/clinic/goals/{goal.pk}/edit/",
        clinic_terms(today, title=goal.title, start_on=start_on.isoformat()),
    )

    assert response.status_code == 200
    assert f"Choose a start date {start_window(today)}." in response.text
    goal.refresh_from_db()
    assert goal.start_on == today


def test_a_goal_that_started_long_ago_keeps_its_start_through_other_edits(
    partner_a, partner_b, today
):
    """The window is for dates being set: an old goal's title can still be corrected."""
    old_start = years_after(today, -2)
    goal = GoalFactory(couple=partner_a.couple, start_on=old_start)

    goal = services.goal_update(goal=goal, by=partner_a.user, title="Talk after dinner")

    assert (goal.title, goal.start_on) == ("Talk after dinner", old_start)


@pytest.mark.parametrize(
    "fields",
    [
        {"start_on": FAR_PAST},
        {"start_on": FAR_FUTURE},
        {"due_on": FAR_FUTURE},
    ],
)
def test_the_database_refuses_a_goal_date_outside_its_span(couple, partner_a, today, fields):
    values = {"start_on": today, **fields}

    with pytest.raises(IntegrityError), transaction.atomic():
        GoalFactory(couple=couple, **values)


# Withdrawing a proposal


def test_the_proposer_withdraws_a_goal_waiting_for_agreement(jordan, partner_a, partner_b):
    goal = propose(partner_a)

    page = jordan.get(detail(goal)).text
    response = jordan.post(withdraw_url(goal))

    assert "Withdraw this proposal" in page
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert messages_of(response) == [
        "You withdrew “Phones away at dinner”. Alex is no longer asked to agree to it."
    ]
    goal.refresh_from_db()
    assert goal.status == Goal.Status.CANCELLED
    step = GoalTransition.objects.filter(goal=goal).last()
    assert (step.from_status, step.to_status, step.by) == ("proposed", "cancelled", partner_a.user)
    event = (
        AuditEvent.objects.filter(
            target_id=str(goal.pk), actor=partner_a.user, action=AuditEvent.Action.UPDATE
        )
        .order_by("pk")
        .last()
    )
    assert event.detail == {"status": "cancelled", "withdrawn": True}
    jordan.get("/portal/")  # shows the message once
    assert "Phones away at dinner" not in jordan.get("/portal/").text


def test_the_other_partner_cannot_withdraw_it(client, partner_a, partner_b):
    goal = propose(partner_a)
    client.force_login(partner_b.user)

    page = client.get(detail(goal)).text
    response = client.post(withdraw_url(goal))

    assert "Withdraw this proposal" not in page
    assert response.status_code == 302 and response["Location"] == detail(goal)
    assert messages_of(response) == [
        "Only the partner who proposed this goal can withdraw it. You can ask for a change instead."
    ]
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED


def test_an_agreed_goal_can_no_longer_be_withdrawn(jordan, partner_a, partner_b):
    goal = propose(partner_a)
    services.goal_accept(goal=goal, partner=partner_b)

    assert "Withdraw this proposal" not in jordan.get(detail(goal)).text
    response = jordan.post(withdraw_url(goal))

    assert messages_of(response) == ["This goal is no longer waiting for agreement."]
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE


def test_a_goal_the_care_team_proposed_is_not_the_partners_to_withdraw(
    clinician, partner_a, partner_b
):
    goal = propose(partner_a, by=clinician.user)

    with pytest.raises(ValidationError, match="Only the partner who proposed"):
        services.goal_withdraw(goal=goal, by=partner_a.user)

    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED


def test_an_individual_goal_is_not_withdrawn(partner_a, partner_b):
    goal = GoalFactory(couple=partner_a.couple, partner=partner_a, created_by=partner_a.user)

    with pytest.raises(ValidationError, match="Only a shared goal"):
        services.goal_withdraw(goal=goal, by=partner_a.user)


def test_withdrawing_is_a_post(jordan, partner_a, partner_b):
    goal = propose(partner_a)

    assert jordan.get(withdraw_url(goal)).status_code == 405
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED


def test_another_couples_goal_is_not_found(client, partner_a, partner_b):
    goal = propose(partner_a)
    stranger = PartnerFactory()
    client.force_login(stranger.user)

    assert client.post(withdraw_url(goal)).status_code == 404
    goal.refresh_from_db()
    assert goal.status == Goal.Status.PROPOSED
