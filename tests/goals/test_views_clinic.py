"""The clinic's goal pages, the goals on the couple page and needs-attention on the caseload."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from goals import services
from goals.models import CheckIn, Goal, GoalAcceptance, GoalTransition, ProgressEntry
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory, goal_history
from triage.sweeps import sweep

pytestmark = pytest.mark.timeshift

CASELOAD = "/clinic/"


def couple_url(couple, tab: str = "") -> str:
    return f"/clinic/couples/{couple.pk}/" + (f"{tab}/" if tab else "")


def new_goal_url(couple) -> str:
    return f"/clinic/couples/{couple.pk}/goals/new/"


def detail_url(goal) -> str:
    return f"/clinic/goals/{goal.pk}/"


def edit_url(goal) -> str:
    return f"/clinic/goals/{goal.pk}/edit/"


def status_url(goal) -> str:
    return f"/clinic/goals/{goal.pk}/status/"


def sign_in(client, user):
    """Clinicians reach /clinic/ only after a second factor in this session."""
    sign_in_with_mfa(client, user)


def treat(clinician, couple):
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )


def days_ago(couple, days: int) -> datetime.date:
    return couple_today(couple=couple) - datetime.timedelta(days=days)


def terms(couple, **changes) -> dict:
    """A valid goal form, as the browser posts it."""
    values = {
        "category": "communication",
        "title": "Ten minutes of talk after dinner",
        "description": "",
        "measure": "yes_no",
        "target": "5",
        "start_on": couple_today(couple=couple).isoformat(),
        "due_on": "",
    }
    return {**values, **changes}


def proposed_by(partner, **fields) -> Goal:
    values = {
        "couple": partner.couple,
        "partner": None,
        "category": "trust",
        "title": "Phones away at dinner",
        "measure": "yes_no",
        "target": 5,
        "start_on": couple_today(couple=partner.couple),
        "by": partner.user,
    }
    return services.goal_create(**{**values, **fields})


def log(goal, partner, day, value):
    return ProgressEntry.objects.create(
        goal=goal, partner=partner, day=day, measure=goal.measure, value=value, recorded_on=day
    )


def checkin(partner, day, **fields):
    values = {"is_sober": True, "craving": 1, "mood": 3, "had_trust_discussion": False}
    return CheckIn.objects.create(
        partner=partner, day=day, attended_meeting=False, recorded_on=day, **{**values, **fields}
    )


@pytest.fixture
def therapist_client(client, clinician, couple, partner_a, partner_b):
    """Maya, couples therapist of Jordan and Alex, signed in."""
    treat(clinician, couple)
    sign_in(client, clinician.user)
    return client


# Creating goals


def test_a_shared_goal_from_the_care_team_is_proposed_to_both_partners(
    therapist_client, clinician, couple
):
    response = therapist_client.post(new_goal_url(couple), terms(couple))

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(goal)
    assert (goal.couple, goal.partner, goal.status) == (couple, None, Goal.Status.PROPOSED)
    assert not goal.acceptances.exists()  # a clinician does not accept for the partners
    assert GoalTransition.objects.get(goal=goal).by == clinician.user
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE, target_id=goal.pk).exists()
    page = therapist_client.get(response.url).text
    assert "becomes active when both partners accept it" in page


def test_an_individual_goal_is_set_for_the_partner_in_the_url_and_active_at_once(
    therapist_client, couple, partner_a
):
    form = therapist_client.get(new_goal_url(couple), {"partner": partner_a.pk})
    assert "New goal for Jordan" in form.text

    response = therapist_client.post(
        f"{new_goal_url(couple)}?partner={partner_a.pk}", terms(couple, measure="count")
    )

    goal = Goal.objects.get()
    assert response.status_code == 302
    assert (goal.partner, goal.status, goal.target) == (partner_a, Goal.Status.ACTIVE, 5)


def test_a_milestone_needs_no_target(therapist_client, couple):
    therapist_client.post(new_goal_url(couple), terms(couple, measure="milestone", target="3"))

    assert Goal.objects.get().target is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target": "9"}, "For this measure the target is days a week, from 1 to 7."),
        ({"measure": "rating", "target": ""}, "Set a target: a rating from 1 to 10."),
        ({"due_on": "2020-01-01"}, "The due date cannot be before the start date."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_a_goal_that_breaks_a_rule_is_refused_on_the_form_and_nothing_is_saved(
    therapist_client, couple, changes, message
):
    response = therapist_client.post(new_goal_url(couple), terms(couple, **changes))

    assert response.status_code == 200
    assert message in response.text
    assert 'class="invalid-feedback' in response.text  # next to its field
    assert not Goal.objects.exists()
    assert not AuditEvent.objects.filter(target_type="goals.Goal").exists()


def test_a_crafted_post_cannot_create_a_goal_for_another_couple_or_partner(
    therapist_client, couple, outsider
):
    # Naming the other couple and its partner in the fields changes nothing: only the URL counts.
    crafted = {**terms(couple), "couple": outsider.couple_id, "partner": outsider.pk}
    therapist_client.post(new_goal_url(couple), crafted)
    # Nor does naming them in the URL: that couple is not Maya's, and its partner not this one's.
    elsewhere = therapist_client.post(new_goal_url(outsider.couple), terms(couple))
    foreign_partner = therapist_client.post(
        f"{new_goal_url(couple)}?partner={outsider.pk}", terms(couple)
    )

    assert list(Goal.objects.values_list("couple", "partner")) == [(couple.pk, None)]
    assert elsewhere.status_code == foreign_partner.status_code == 404
    denied = AuditEvent.objects.filter(allowed=False).values_list("detail", flat=True)
    assert {"target_type": "couples.Partner", "target_id": str(outsider.pk)} in denied


def test_a_partner_id_that_is_not_a_number_is_a_404(therapist_client, couple):
    assert therapist_client.get(new_goal_url(couple), {"partner": "x"}).status_code == 404


# Editing


def test_editing_a_proposed_shared_goal_asks_both_partners_to_agree_again(
    therapist_client, partner_a, partner_b
):
    goal = proposed_by(partner_a)
    services.goal_request_change(goal=goal, partner=partner_b, note="Four days, please")
    services.goal_accept(goal=goal, partner=partner_a)

    page = therapist_client.get(edit_url(goal))
    response = therapist_client.post(
        edit_url(goal), terms(goal.couple, title=goal.title, target="4"), follow=True
    )

    assert "both partners are asked to agree again" in page.text
    assert 'value="Phones away at dinner"' in page.text
    goal.refresh_from_db()
    assert (goal.target, goal.status) == (4, Goal.Status.PROPOSED)
    assert not GoalAcceptance.objects.filter(goal=goal).exists()
    assert goal.change_requests.get().resolved_at is not None
    assert "Both partners are asked to agree to the new terms." in response.text


def test_editing_an_active_goal_changes_its_terms(therapist_client, couple, partner_a):
    goal = GoalFactory(couple=couple, partner=partner_a, title="Walk")

    response = therapist_client.post(edit_url(goal), terms(couple, title="Walk daily"))

    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.title, goal.status) == ("Walk daily", Goal.Status.ACTIVE)


def test_a_rule_only_the_service_knows_is_shown_on_the_form(therapist_client, couple, partner_a):
    goal = GoalFactory(couple=couple, partner=partner_a, title="Walk", start_on=days_ago(couple, 3))
    log(goal, partner_a, days_ago(couple, 1), 1)

    response = therapist_client.post(
        edit_url(goal),
        terms(couple, title="Walk", measure="count", start_on=goal.start_on.isoformat()),
    )

    assert response.status_code == 200
    assert "The measure cannot change once progress is logged." in response.text
    assert "Edit “Walk”" in response.text
    goal.refresh_from_db()
    assert goal.measure == "yes_no"


def test_a_finished_goal_offers_no_form_and_refuses_edits(therapist_client, couple, partner_a):
    goal = GoalFactory(couple=couple, partner=partner_a, title="Walk", status="achieved")

    page = therapist_client.get(edit_url(goal))
    refused = therapist_client.post(edit_url(goal), terms(couple, title="Run"))

    assert "A finished goal cannot be edited" in page.text
    assert '<form method="post" novalidate' not in page.text
    assert refused.status_code == 200
    goal.refresh_from_db()
    assert goal.title == "Walk"


# Status


def test_the_care_team_marks_an_active_goal_achieved(
    therapist_client, clinician, couple, partner_a
):
    goal = GoalFactory(couple=couple, partner=partner_a)

    response = therapist_client.post(
        status_url(goal), {"to_status": "achieved", "note": "Kept it up"}, follow=True
    )

    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACHIEVED
    step = goal.transitions.get()
    assert (step.from_status, step.to_status, step.by, step.note) == (
        "active",
        "achieved",
        clinician.user,
        "Kept it up",
    )
    assert "is now achieved" in response.text


@pytest.mark.parametrize(
    ("status", "to_status", "message"),
    [
        ("proposed", "active", "A shared goal becomes active when both partners accept it."),
        ("achieved", "active", "This goal is achieved, so it cannot become active."),
        ("active", "bogus", "Choose one of the status buttons."),
    ],
)
def test_a_refused_status_change_says_why_and_changes_nothing(
    therapist_client, couple, status, to_status, message
):
    goal = GoalFactory(couple=couple, status=status)

    response = therapist_client.post(status_url(goal), {"to_status": to_status}, follow=True)

    assert response.redirect_chain == [(detail_url(goal), 302)]
    assert message in response.text
    goal.refresh_from_db()
    assert goal.status == status


def test_the_status_page_cannot_be_opened_with_get(therapist_client, couple):
    goal = GoalFactory(couple=couple)

    assert therapist_client.get(status_url(goal)).status_code == 405


@pytest.mark.parametrize(
    ("shared", "status", "buttons"),
    [
        (True, "proposed", ["cancelled"]),
        (False, "proposed", ["active", "cancelled"]),
        (True, "active", ["achieved", "on_hold", "cancelled"]),
        (True, "on_hold", ["active", "cancelled"]),
        (True, "achieved", []),
    ],
)
def test_the_goal_page_offers_only_the_statuses_that_may_follow(
    therapist_client, couple, partner_a, shared, status, buttons
):
    goal = GoalFactory(couple=couple, partner=None if shared else partner_a, status=status)

    page = therapist_client.get(detail_url(goal)).text

    offered = [s for s in Goal.Status.values if f'name="to_status" value="{s}"' in page]
    assert offered == buttons


# The goal page


def test_the_goal_page_shows_history_agreement_requests_and_both_partners_progress(
    therapist_client, couple, partner_a, partner_b
):
    goal = proposed_by(partner_a, measure="rating", target=8, start_on=days_ago(couple, 5))
    services.goal_request_change(goal=goal, partner=partner_b, note="Let us aim for 7")
    services.goal_accept(goal=goal, partner=partner_a)
    services.goal_accept(goal=goal, partner=partner_b)
    log(goal, partner_a, days_ago(couple, 1), 8)
    log(goal, partner_b, days_ago(couple, 1), 4)

    page = therapist_client.get(detail_url(goal)).text

    assert "Jordan accepted on" in page and "Alex accepted on" in page
    assert "“Let us aim for 7”" in page and ">Open</span>" in page
    assert "Created as proposed" in page
    assert "Proposed → active" in page and "Both partners agreed" in page
    assert '<th scope="col">Jordan</th><th scope="col">Alex</th>' in page
    assert "<td>8 of 10</td><td>4 of 10</td>" in page
    assert 'role="img"' in page  # the chart, beside the table that says the same


def test_the_progress_period_switches_between_30_and_90_days(therapist_client, couple, partner_a):
    goal = GoalFactory(couple=couple, partner=partner_a, start_on=days_ago(couple, 80))
    log(goal, partner_a, days_ago(couple, 60), 1)
    log(goal, partner_a, days_ago(couple, 2), 0)

    month = therapist_client.get(detail_url(goal)).text
    quarter = therapist_client.get(detail_url(goal), {"days": "90"}).text

    assert "1 day logged" in month and "Done on 0 of 1 logged days" in month
    assert "2 days logged" in quarter and "Done on 1 of 2 logged days" in quarter
    assert 'href="?days=90" aria-current="page"' in quarter


def test_opening_a_goal_audits_a_read_of_each_record_it_belongs_to(
    therapist_client, clinician, couple, partner_a, partner_b
):
    shared = GoalFactory(couple=couple)
    own = GoalFactory(couple=couple, partner=partner_b)

    therapist_client.get(detail_url(shared))
    therapist_client.get(edit_url(own))

    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, allowed=True)
    assert sorted((e.target_id, e.patient_id) for e in reads) == sorted(
        [
            (str(shared.pk), partner_a.pk),
            (str(shared.pk), partner_b.pk),
            (str(own.pk), partner_b.pk),
        ]
    )
    assert {event.actor for event in reads} == {clinician.user}


# Who may open the clinic's goal pages


def clinic_goal_requests(couple, goal):
    return [
        ("get", new_goal_url(couple), {}),
        ("post", new_goal_url(couple), {}),
        ("get", detail_url(goal), {}),
        ("get", edit_url(goal), {}),
        ("post", edit_url(goal), {}),
        ("post", status_url(goal), {"to_status": "cancelled"}),
    ]


@pytest.mark.parametrize("who", ["partner_of_another_couple", "clinician_not_on_the_team"])
@pytest.mark.parametrize("request_index", range(6))
def test_outsiders_get_an_audited_404_on_every_clinic_goal_page(
    client, couple, partner_a, partner_b, who, request_index
):
    treat(ClinicianFactory(), couple)
    goal = GoalFactory(couple=couple, partner=partner_a)
    person = PartnerFactory().user if who == "partner_of_another_couple" else None
    person = person or ClinicianFactory().user
    sign_in(client, person)
    method, url, data = clinic_goal_requests(couple, goal)[request_index]

    response = getattr(client, method)(url, data)

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=person, allowed=False).exists()
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert Goal.objects.count() == 1


@pytest.mark.parametrize("request_index", range(6))
def test_the_couples_own_partners_get_403_on_clinic_goal_pages(
    client, couple, partner_a, partner_b, request_index
):
    goal = GoalFactory(couple=couple)  # shared: the partners may see it, not its clinic pages
    sign_in(client, partner_a.user)
    method, url, data = clinic_goal_requests(couple, goal)[request_index]

    assert getattr(client, method)(url, data).status_code == 403
    assert Goal.objects.get().status == Goal.Status.ACTIVE


def test_the_other_partners_private_goal_is_a_404_for_a_partner(
    client, couple, partner_a, partner_b
):
    goal = GoalFactory(couple=couple, partner=partner_b)
    sign_in(client, partner_a.user)

    assert client.get(detail_url(goal)).status_code == 404


# The couple page


def test_the_couple_page_shows_goals_agreement_and_links(
    therapist_client, couple, partner_a, partner_b
):
    shared = proposed_by(partner_a)
    services.goal_request_change(goal=shared, partner=partner_b, note="Weekdays only")
    own = GoalFactory(couple=couple, partner=partner_b, title="Morning run")
    cancelled = GoalFactory(couple=couple, title="Old idea", status="cancelled")

    page = therapist_client.get(couple_url(couple, "goals")).text

    goals = page.split('id="goals-heading"')[1]
    assert goals.index("Shared goals") < goals.index(shared.title)
    assert goals.index("Alex’s own goals") < goals.index("Morning run")
    assert "Waiting for agreement." in goals and "Not yet: Jordan and Alex." in goals
    assert "Alex: “Weekdays only”" in goals
    assert cancelled.title not in goals
    assert f'href="{new_goal_url(couple)}"' in goals
    assert f'href="{new_goal_url(couple)}?partner={partner_a.pk}">New goal for Jordan' in goals
    assert f'href="{edit_url(own)}"' in goals and f'href="{detail_url(shared)}"' in goals


def test_the_couple_page_sets_both_partners_progress_side_by_side(
    therapist_client, couple, partner_a, partner_b
):
    goal = GoalFactory(couple=couple, measure="rating", target=8, start_on=days_ago(couple, 40))
    log(goal, partner_a, days_ago(couple, 3), 9)
    log(goal, partner_b, days_ago(couple, 3), 5)
    log(goal, partner_b, days_ago(couple, 35), 2)  # older than the couple page's 30 days

    page = therapist_client.get(couple_url(couple, "goals")).text
    detail = therapist_client.get(detail_url(goal)).text

    assert "Average 9.0, latest 9 of 10" in page and "Average 5.0, latest 5 of 10" in page
    # The day-by-day table is on the goal's own page, linked from the card.
    assert f'<a href="{detail_url(goal)}">Day by day: 1 day logged</a>' in page
    assert "<td>9 of 10</td><td>5 of 10</td>" in detail
    assert "2 of 10" not in page


def test_the_couple_page_summarises_each_partners_check_ins_and_streaks(
    therapist_client, couple, partner_a, partner_b
):
    partner_a.sobriety_date = days_ago(couple, 30)
    partner_a.save()
    checkin(partner_a, days_ago(couple, 0), craving=9, had_trust_discussion=True)
    checkin(partner_a, days_ago(couple, 4), is_sober=False)
    checkin(partner_a, days_ago(couple, 20), mood=1)  # older than 14 days
    partner_b.sobriety_date = None
    partner_b.save()

    page = therapist_client.get(couple_url(couple, "checkins")).text

    section = page.split('id="checkins-heading"')[1]
    jordan, alex = section.split('class="card h-100"')[1:3]
    assert "Sober streak <strong>4 days</strong>, longest 26." in jordan
    assert "Checked in on 2 of 14 days · trust discussion on 1" in jordan
    assert "<strong>9 of 10</strong>" in jordan
    assert '<span class="badge text-bg-warning">No</span>' in jordan  # the use reported
    assert "Very low" not in jordan
    assert jordan.count("No check-in") == 12
    assert "No recovery date recorded" in alex


# What check-ins and goals show reaches the queue on the caseload (triage rules)


def test_the_caseload_queue_lists_who_needs_attention_and_why(
    therapist_client, couple, partner_a, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # the days must not turn mid-test
    checkin(partner_a, days_ago(couple, 1), craving=9)
    checkin(partner_a, days_ago(couple, 0), craving=8)
    sweep()

    page = therapist_client.get(CASELOAD).text

    queue = page.split('id="triage-heading"')[1].split('id="caseload-heading"')[0]
    assert "Jordan: high craving or a very low mood on 2 of the last 3 days" in queue
    assert f'href="{couple_url(couple, "checkins")}"' in queue
    assert "No check-in from Alex since" in queue  # admitted 20 days ago, never since
    assert "Jordan &amp; Alex" in queue  # which couple, for every item


def test_the_caseload_queue_says_whose_individual_goal_has_stalled(
    therapist_client, couple, partner_a, partner_b, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    for partner in (partner_a, partner_b):
        checkin(partner, days_ago(couple, 0))
        GoalFactory(couple=couple, partner=partner, title="Walk", start_on=days_ago(couple, 10))
    sweep()

    page = therapist_client.get(CASELOAD).text

    since = days_ago(couple, 10)
    assert f"No progress on Jordan’s “Walk” since {since:%b} {since.day}" in page
    assert f"No progress on Alex’s “Walk” since {since:%b} {since.day}" in page
    assert f'href="{couple_url(couple, "goals")}"' in page


def test_a_calm_caseload_has_nothing_to_act_on(therapist_client, couple, partner_a, partner_b):
    for partner in (partner_a, partner_b):
        checkin(partner, days_ago(couple, 0))

    page = therapist_client.get(CASELOAD).text

    assert "Nothing to act on right now" in page


# Query counts


@pytest.mark.parametrize("days", [1, 90])
def test_the_goals_and_check_ins_tabs_take_the_same_queries_however_long_the_history(
    therapist_client, couple, partner_a, partner_b, days, django_assert_num_queries
):
    goal_history(couple, days=days)
    therapist_client.get(couple_url(couple, "goals"))

    # Both tabs: session, user (with roles and authenticator; the top bar's unread count
    # comes with it), couple, partners; one audit row per partner, written together (lock
    # the chain head, insert both, move the head).
    # Goals: the care-team check (once for both partners), goals, their acceptances, 30
    # days of progress, change requests.
    with django_assert_num_queries(12):
        assert therapist_client.get(couple_url(couple, "goals")).status_code == 200
    # Check-ins: 14 days of check-ins, the care-team check, the days of reported use behind
    # each streak (2).
    with django_assert_num_queries(11):
        assert therapist_client.get(couple_url(couple, "checkins")).status_code == 200


@pytest.mark.parametrize("days", [1, 90])
def test_goal_page_queries_do_not_grow_with_its_history(
    therapist_client, couple, partner_a, partner_b, days, django_assert_num_queries
):
    goal = goal_history(couple, days=days)[0]
    therapist_client.get(detail_url(goal))

    # session, user with roles and authenticator, goal with couple, partners, change
    # requests, acceptances, 90 days of progress, transitions with who; one audit row per
    # partner (2 x 3 and the outer savepoint pair)
    with django_assert_num_queries(16):
        assert therapist_client.get(detail_url(goal), {"days": "90"}).status_code == 200
