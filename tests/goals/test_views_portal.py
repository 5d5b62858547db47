import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from couples.queries import couple_today
from goals import services
from goals.models import CheckIn, Goal, GoalChangeRequest, ProgressEntry
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

HOME = "/portal/"
GOALS = "/portal/goals/"
CHECKIN = "/portal/checkin/"
HELP = "/portal/help/"
SAVED = "/portal/checkin/saved/"
NEW_GOAL = "/portal/goals/new/"
# Words a partner who reported a use must never read.
SHAMING_WORDS = ("fail", "relapse", "broke", "lost", "reset", "shame", "sorry", "ruin", "bad")


def detail(goal):
    return f"/portal/goals/{goal.pk}/"


def log_url(goal):
    return f"/portal/goals/{goal.pk}/log/"


def accept_url(goal):
    return f"/portal/goals/{goal.pk}/accept/"


def change_url(goal):
    return f"/portal/goals/{goal.pk}/request-change/"


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def days_ago(today, days):
    return today - datetime.timedelta(days=days)


def checkin_data(day, **fields):
    data = {
        "day": day.isoformat(),
        "is_sober": "yes",
        "craving": "2",
        "mood": "4",
        "had_trust_discussion": "on",
        "note": "",
    }
    data.update(fields)
    return data


def grant_goals(partner):
    return couple_services.consent_grant(
        partner=partner, shares_goals=True, shares_checkins=False, by=partner.user
    )


@pytest.fixture
def today(couple, time_machine):
    """The couple's day, with the clock held where it is: a test that starts at 23:59:59 in
    the couple's zone (make test-timeshift starts at 23:59 on New Year's Eve) must not see the
    day turn between writing "today" and reading the home."""
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


@pytest.fixture
def shared(couple, partner_a, today):
    return GoalFactory(couple=couple, title="Ten minutes of talk", start_on=days_ago(today, 30))


def log(goal, partner, day, value, note=""):
    return ProgressEntry.objects.create(
        goal=goal,
        partner=partner,
        day=day,
        measure=goal.measure,
        value=value,
        note=note,
        recorded_on=day,
    )


# Daily check-in


def test_the_checkin_asks_about_today_with_big_yes_and_no_buttons(jordan, today):
    response = jordan.get(CHECKIN)

    assert response.status_code == 200
    assert f"Today, {today:%A, %B} {today.day}" in response.text
    assert 'class="btn-check"' in response.text
    assert ">Yes</label>" in response.text and ">No — I used</label>" in response.text
    assert "0 = none" in response.text and "10 = strongest" in response.text
    assert "Very low" in response.text and "Very good" in response.text


def test_a_checkin_is_saved_and_the_home_thanks_with_the_streak(jordan, partner_a, today):
    response = jordan.post(CHECKIN, checkin_data(today, attended_meeting="on", note="Calm day"))

    assert response.status_code == 302
    assert response["Location"] == HOME
    checkin = CheckIn.objects.get(partner=partner_a)
    assert (checkin.day, checkin.is_sober, checkin.craving, checkin.mood) == (today, True, 2, 4)
    assert (checkin.had_trust_discussion, checkin.attended_meeting) == (True, True)
    assert checkin.note == "Calm day"
    assert messages_of(response) == ["Check-in saved. You are 31 days sober. Keep going."]


def test_correcting_an_earlier_day_updates_its_checkin(jordan, partner_a, today):
    day = days_ago(today, 3)
    jordan.post(f"{CHECKIN}?day={day}", checkin_data(day, craving="7"))

    form = jordan.get(f"{CHECKIN}?day={day}").context["form"]
    assert form.initial["craving"] == 7
    response = jordan.post(f"{CHECKIN}?day={day}", checkin_data(day, craving="1"))

    assert response.status_code == 302
    assert list(CheckIn.objects.values_list("day", "craving")) == [(day, 1)]


def test_a_checkin_for_a_day_that_has_not_come_is_refused_on_the_form(jordan, today):
    tomorrow = today + datetime.timedelta(days=1)

    response = jordan.post(CHECKIN, checkin_data(tomorrow, note="Typed with care"))

    assert response.status_code == 200
    assert "cannot be for a day that has not come yet" in response.text
    assert "Typed with care" in response.text
    assert not CheckIn.objects.exists()


def test_a_checkin_older_than_seven_days_is_locked(jordan, today):
    old = days_ago(today, 8)

    page = jordan.get(f"{CHECKIN}?day={old}")
    response = jordan.post(CHECKIN, checkin_data(old))

    assert "Check-ins older than 7 days are locked" in page.text
    assert 'name="is_sober"' not in page.text
    assert response.status_code == 200
    assert "older than 7 days are locked" in response.text
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"craving": "11"}, "Select a valid choice."),
        ({"craving": "-1"}, "Select a valid choice."),
        ({"craving": ""}, "Choose a number from 0 to 10."),
        ({"mood": "6"}, "Select a valid choice."),
        ({"mood": "0"}, "Select a valid choice."),
        ({"mood": ""}, "Choose how you feel."),
        ({"is_sober": ""}, "Choose yes or no."),
        ({"day": "not-a-day"}, "Enter a valid date."),
    ],
)
def test_answers_out_of_bounds_are_refused_and_nothing_typed_is_lost(jordan, today, fields, error):
    response = jordan.post(CHECKIN, {**checkin_data(today, note="Keep this"), **fields})

    assert response.status_code == 200
    assert error in response.text
    assert "Keep this" in response.text
    assert not CheckIn.objects.exists()


def test_a_note_longer_than_1000_characters_is_refused_and_kept_on_the_form(jordan, today):
    note = "A long day." * 91  # 1,001 characters

    response = jordan.post(CHECKIN, checkin_data(today, note=note))

    assert response.status_code == 200
    assert "Ensure this value has at most 1000 characters (it has 1001)." in response.text
    assert note in response.text
    assert not CheckIn.objects.exists()


def test_a_refused_correction_keeps_what_was_typed_and_the_saved_checkin(jordan, partner_a, today):
    day = days_ago(today, 2)
    jordan.post(f"{CHECKIN}?day={day}", checkin_data(day, craving="6", note="First"))

    response = jordan.post(f"{CHECKIN}?day={day}", checkin_data(day, mood="9", note="Second"))

    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert "Second" in response.text
    assert response.context["is_correction"] is True
    assert list(CheckIn.objects.values_list("craving", "note")) == [(6, "First")]


def test_correcting_a_checkin_takes_a_fixed_number_of_queries(
    jordan, partner_a, today, django_assert_num_queries
):
    jordan.post(CHECKIN, checkin_data(today, craving="5"))

    # session, user with roles, partner with couple and user; the service's savepoint (its
    # own transaction outside tests), the day's check-in (locked), its update, the audit row:
    # chain head (locked), the event, the head's update, release; the streak for the
    # message: the days of reported use; the message kept in the session (savepoint, its
    # update, release), never in a cookie.
    with django_assert_num_queries(14):
        response = jordan.post(CHECKIN, checkin_data(today, craving="3"))

    assert response.status_code == 302
    assert CheckIn.objects.get().craving == 3


def test_a_reported_use_is_met_with_thanks_and_no_shaming_words(jordan, partner_a, today):
    response = jordan.post(CHECKIN, checkin_data(today, is_sober="no", craving="9"))

    [message] = messages_of(response)
    assert message == (
        "Thank you for being honest. Today is a new start, "
        "and your next sober streak begins tomorrow."
    )
    assert not any(word in message.lower() for word in SHAMING_WORDS)
    assert CheckIn.objects.get().is_sober is False


def test_a_use_reported_for_an_earlier_day_counts_the_sober_days_since(jordan, today):
    day = days_ago(today, 3)

    response = jordan.post(f"{CHECKIN}?day={day}", checkin_data(day, is_sober="no"))

    [message] = messages_of(response)
    assert message == (
        "Thank you for being honest. Today is a new start. You have 3 days sober since then."
    )
    assert not any(word in message.lower() for word in SHAMING_WORDS)


@pytest.mark.parametrize(
    "fields",
    [{"is_sober": "no"}, {"craving": "8"}, {"mood": "1"}],
    ids=["use", "craving-8", "mood-very-low"],
)
def test_a_hard_checkin_is_met_with_help_at_hand_and_who_reads_it(
    jordan, partner_a, clinician, today, fields
):
    """Issue 19: after a reported use, a craving of 8 or more or a very low mood the portal
    answers with care, not with a green box on the home."""
    couple_services.care_team_assign(
        couple=partner_a.couple, role=CareRole.COUPLES_THERAPIST, clinician=clinician, by=None
    )
    response = jordan.post(
        CHECKIN, checkin_data(today, note="Had a drink after an argument.", **fields)
    )

    assert response.status_code == 302
    assert response["Location"] == f"{SAVED}?day={today.isoformat()}"
    page = jordan.get(response["Location"]).text
    assert "It sounds like a hard day" in page
    assert f'href="{HELP}"' in page and "Need help now" in page
    assert "tel:" in page
    assert "Your answers and your note are read by the clinicians who care for you" in page
    assert f"{clinician}, couples therapist" in page
    assert "Alex does not see them: you do not share your check-ins." in page


def test_a_calm_checkin_still_goes_home(jordan, today):
    response = jordan.post(CHECKIN, checkin_data(today, craving="7", mood="2"))

    assert response["Location"] == HOME


def test_who_reads_the_checkins_names_the_sharing_partner_not_the_other_partners_therapist(
    jordan, partner_a, partner_b, today, django_assert_max_num_queries
):
    other_therapist = ClinicianFactory(
        can_be_couples_therapist=False, can_be_individual_therapist=True, user__first_name="Dana"
    )
    couple_services.care_team_assign(
        couple=partner_a.couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=other_therapist,
        partner=partner_b,
        by=None,
    )
    couple_services.consent_grant(
        partner=partner_a, shares_goals=False, shares_checkins=True, by=partner_a.user
    )

    with django_assert_max_num_queries(11):
        page = jordan.get(SAVED)
    assert "Alex also reads them, because you share your check-ins." in page.text
    assert "Dana" not in page.text
    assert "It sounds like a hard day" not in page.text  # no check-in that day
    assert "No clinician has been assigned to you yet" in page.text


# Portal home


def test_the_home_asks_for_todays_checkin_until_it_is_done(jordan, today):
    before = jordan.get(HOME)
    jordan.post(CHECKIN, checkin_data(today, craving="3"))
    after = jordan.get(HOME)

    assert [item.kind for item in before.context["todo"]] == ["checkin"]
    assert f'href="{CHECKIN}">Check in<' in before.text
    assert after.context["todo"] == []
    assert "You're all set for today." in after.text
    assert "Checked in for today" in after.text and "Change<" in after.text


def test_the_home_shows_the_current_and_longest_streak(jordan, partner_a, today):
    services.checkin_record(
        partner=partner_a,
        day=days_ago(today, 5),
        is_sober=False,
        craving=5,
        mood=2,
        had_trust_discussion=False,
        attended_meeting=False,
    )

    recovery = jordan.get(HOME).text.split('id="recovery-heading"')[1].split("</div>")[0]

    assert '<span class="streak-number">5</span> days' in recovery
    assert "In a row. Longest so far: 25 days." in recovery


def test_after_a_use_today_the_home_speaks_of_tomorrow_not_of_zero(jordan, partner_a, today):
    services.checkin_record(
        partner=partner_a,
        day=today,
        is_sober=False,
        craving=8,
        mood=2,
        had_trust_discussion=False,
        attended_meeting=False,
    )

    recovery = jordan.get(HOME).text.split('id="recovery-heading"')[1].split("</div>")[0]

    assert "Your next sober streak begins tomorrow." in recovery
    assert "Longest so far: 30 days." in recovery
    assert "streak-number" not in recovery
    assert not any(word in recovery.lower() for word in SHAMING_WORDS)


def test_the_home_lists_a_goal_waiting_for_my_agreement(jordan, couple, partner_b, today):
    goal = services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title="Phone check-in at lunch",
        measure=Goal.Measure.YES_NO,
        target=5,
        start_on=today,
        by=partner_b.user,
    )

    pending = jordan.get(GOALS).text.split('id="pending-heading"')[1].split("</section>")[0]

    assert "Phone check-in at lunch" in pending
    assert "Agreed so far: Alex. Waiting for you." in pending
    assert f'action="{accept_url(goal)}"' in pending
    assert f'href="{change_url(goal)}"' in pending


def test_accepting_makes_a_shared_goal_active_once_both_have_agreed(
    jordan, couple, partner_b, today
):
    goal = services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title="Phone check-in at lunch",
        measure=Goal.Measure.YES_NO,
        target=5,
        start_on=today,
        by=partner_b.user,
    )

    response = jordan.post(accept_url(goal))

    assert response.status_code == 302 and response["Location"] == HOME
    goal.refresh_from_db()
    assert goal.status == Goal.Status.ACTIVE
    assert messages_of(response) == ["You both agreed: “Phone check-in at lunch” is active now."]
    assert 'id="pending-heading"' not in jordan.get(GOALS).text


def test_accepting_a_goal_no_longer_waiting_says_so(jordan, shared):
    response = jordan.post(accept_url(shared))

    assert response.status_code == 302
    assert messages_of(response) == ["This goal is no longer waiting for agreement."]


def test_the_home_shows_my_view_and_my_partners_side_by_side(
    jordan, shared, partner_a, partner_b, today
):
    log(shared, partner_a, today, 1)
    log(shared, partner_a, days_ago(today, 1), 1)
    log(shared, partner_b, days_ago(today, 1), 0)

    card = jordan.get(GOALS).text.split(f'id="goal-{shared.pk}"')[1].split("</article>")[0]

    assert card.count('role="img"') == 2
    me, alex = card.split(">Me</p>")[1].split(">Alex</p>")
    assert "Done on 2 of the last 30 days; 2 in the last 7 days (target 5 days a week)." in me
    assert "Done on 0 of the last 30 days" in alex
    assert "Today: <strong>Done</strong>" in card


def test_the_chart_has_a_text_equivalent_and_no_inline_style_or_script(jordan, shared):
    response = jordan.get(GOALS)

    assert 'aria-label="Me, last 30 days: Nothing logged in the last 30 days."' in response.text
    assert "<title>Me, last 30 days: Nothing logged" in response.text
    assert response.text.count("<h1") == 1
    assert "style=" not in response.text
    assert "<script>" not in response.text


# Logging progress in two taps


def test_a_yes_no_goal_offers_done_and_not_today_buttons(jordan, shared, today):
    card = jordan.get(GOALS).text.split(f'id="goal-{shared.pk}"')[1].split("</article>")[0]

    assert card.count(f'action="{log_url(shared)}"') == 2
    assert f'name="day" value="{today.isoformat()}"' in card
    assert ">Done today<" in card and ">Not done today<" in card


def test_tapping_done_today_logs_it_and_returns_to_its_card_on_the_goals_page(
    jordan, shared, partner_a, today
):
    back = f"{GOALS}#goal-{shared.pk}"

    response = jordan.post(log_url(shared), {"day": today, "value": "1", "next": back})

    assert response.status_code == 302 and response["Location"] == back
    entry = ProgressEntry.objects.get()
    assert (entry.partner, entry.day, entry.value) == (partner_a, today, 1)
    assert messages_of(response) == [
        f"Saved “Ten minutes of talk” for {today:%A, %B} {today.day}: Done."
    ]


def test_a_rating_goal_offers_ten_buttons_and_logs_the_one_tapped(jordan, couple, partner_a, today):
    goal = GoalFactory(couple=couple, measure=Goal.Measure.RATING, target=8)

    card = jordan.get(GOALS).text.split(f'id="goal-{goal.pk}"')[1].split("</article>")[0]
    jordan.post(log_url(goal), {"day": today, "value": "7", "next": GOALS})

    assert card.count(f'action="{log_url(goal)}"') == 10
    assert ProgressEntry.objects.get().value == 7


def test_plus_one_adds_to_todays_count(jordan, couple, partner_a, today):
    goal = GoalFactory(couple=couple, partner=partner_a, measure=Goal.Measure.COUNT, target=3)
    log(goal, partner_a, today, 2)

    card = jordan.get(GOALS).text.split(f'id="goal-{goal.pk}"')[1].split("</article>")[0]
    jordan.post(log_url(goal), {"day": today, "value": "3", "next": GOALS})

    assert '<input type="hidden" name="value" value="3">' in card
    assert ">+1 today<" in card
    assert list(ProgressEntry.objects.values_list("value", flat=True)) == [3]


def test_a_milestone_is_marked_reached(jordan, couple, partner_a, today):
    goal = GoalFactory(couple=couple, measure=Goal.Measure.MILESTONE, target=None)

    card = jordan.get(GOALS).text.split(f'id="goal-{goal.pk}"')[1].split("</article>")[0]
    jordan.post(log_url(goal), {"day": today, "value": "1", "next": GOALS})

    assert ">Mark reached<" in card
    assert ProgressEntry.objects.get().value == 1


def test_a_rating_out_of_bounds_is_refused_with_a_message(jordan, couple, today):
    goal = GoalFactory(couple=couple, measure=Goal.Measure.RATING, target=8)

    response = jordan.post(log_url(goal), {"day": today, "value": "11", "next": GOALS})

    # Said in the goal's card, where the button was.
    assert response.status_code == 302 and response["Location"] == f"{GOALS}#goal-{goal.pk}"
    assert messages_of(response) == [
        "Select a valid choice. 11 is not one of the available choices."
    ]
    assert not ProgressEntry.objects.exists()


@pytest.mark.parametrize(
    "back, error",
    [(8, "Entries older than 7 days are locked"), (-1, "a day that has not come yet")],
)
def test_a_locked_or_future_day_is_refused_with_a_message(jordan, shared, today, back, error):
    response = jordan.post(
        log_url(shared),
        {"day": days_ago(today, back), "value": "1", "next": f"{GOALS}#goal-{shared.pk}"},
    )

    assert response.status_code == 302 and response["Location"] == f"{GOALS}#goal-{shared.pk}"
    [message] = messages_of(response)
    assert error in message
    assert not ProgressEntry.objects.exists()


def test_the_log_form_on_the_goal_page_shows_its_errors_in_place(jordan, shared, today):
    response = jordan.post(log_url(shared), {"day": days_ago(today, 8), "value": "1"})

    assert response.status_code == 200
    assert "Entries older than 7 days are locked" in response.text
    assert "is-invalid" in response.text
    assert not ProgressEntry.objects.exists()


def test_logging_goes_back_only_to_a_page_of_this_site(jordan, shared, today):
    response = jordan.post(
        log_url(shared), {"day": today, "value": "1", "next": "https://elsewhere.example/"}
    )

    assert response["Location"] == detail(shared)


def test_a_crafted_post_cannot_log_on_another_couples_goal(jordan, today):
    theirs = GoalFactory(couple=PartnerFactory().couple)

    response = jordan.post(log_url(theirs), {"day": today, "value": "1", "next": HOME})

    assert response.status_code == 404
    assert not ProgressEntry.objects.exists()
    assert AuditEvent.objects.filter(allowed=False, detail__target_type="goals.Goal").exists()


def test_a_crafted_post_cannot_log_on_my_partners_own_goal(jordan, couple, partner_b, today):
    alex_goal = GoalFactory(couple=couple, partner=partner_b)

    response = jordan.post(log_url(alex_goal), {"day": today, "value": "1", "next": HOME})

    assert response.status_code == 404
    assert not ProgressEntry.objects.exists()


def test_even_under_consent_i_cannot_log_on_my_partners_own_goal(jordan, couple, partner_b, today):
    alex_goal = GoalFactory(couple=couple, partner=partner_b)
    grant_goals(partner_b)

    response = jordan.post(log_url(alex_goal), {"day": today, "value": "1", "next": HOME})

    assert messages_of(response) == ["You can log progress only on your own and your shared goals."]
    assert not ProgressEntry.objects.exists()


# My partner's individual goals and consent


def test_my_partners_own_goals_are_hidden_without_consent(jordan, couple, partner_b):
    GoalFactory(couple=couple, partner=partner_b, title="Evening walk alone")

    response = jordan.get(GOALS)

    assert "Evening walk alone" not in response.text
    assert "42 CFR part 2" not in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).exists()


def test_with_consent_they_show_with_the_part2_notice_and_a_disclosure_row(
    jordan, couple, partner_a, partner_b
):
    GoalFactory(couple=couple, partner=partner_b, title="Evening walk alone")
    consent = grant_goals(partner_b)

    response = jordan.get(GOALS)

    section = response.text.split('id="partner-goals-heading"')[1].split("</section>")[0]
    assert "Evening walk alone" in section
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in section
    assert 'action="/portal/goals/' not in section  # read only: no log buttons
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert (event.actor, event.patient) == (partner_a.user, partner_b)
    assert event.detail == {"what": "individual goals", "consent": consent.pk}


def test_they_are_hidden_again_right_after_revocation(jordan, couple, partner_b):
    goal = GoalFactory(couple=couple, partner=partner_b, title="Evening walk alone")
    consent = grant_goals(partner_b)
    assert "Evening walk alone" in jordan.get(GOALS).text

    couple_services.consent_revoke(consent=consent, by=partner_b.user)

    assert "Evening walk alone" not in jordan.get(GOALS).text
    assert jordan.get(detail(goal)).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).count() == 1


def test_opening_my_partners_goal_under_consent_is_a_disclosure(
    jordan, couple, partner_a, partner_b
):
    goal = GoalFactory(couple=couple, partner=partner_b, title="Evening walk alone")
    assert jordan.get(detail(goal)).status_code == 404
    grant_goals(partner_b)

    response = jordan.get(detail(goal))

    assert response.status_code == 200
    assert "Alex’s own goal" in response.text
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in response.text
    assert 'id="log-heading"' not in response.text
    event = AuditEvent.objects.get(action=AuditEvent.Action.DISCLOSE)
    assert (event.actor, event.patient) == (partner_a.user, partner_b)
    assert event.detail["what"] == "individual goal “Evening walk alone”"


def test_my_own_goal_page_has_no_part2_notice(jordan, couple, partner_a):
    goal = GoalFactory(couple=couple, partner=partner_a)

    response = jordan.get(detail(goal))

    assert "My own goal" in response.text
    assert "42 CFR part 2" not in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).exists()


# Goal page


def test_the_goal_page_shows_terms_agreement_changes_and_both_partners_days(
    jordan, couple, partner_a, partner_b, today
):
    goal = services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.COMMUNICATION,
        title="Rate how well we listened",
        measure=Goal.Measure.RATING,
        target=7,
        start_on=days_ago(today, 10),
        by=partner_a.user,
    )
    services.goal_request_change(goal=goal, partner=partner_b, note="Make it 6 to start")
    services.goal_accept(goal=goal, partner=partner_b)
    services.goal_accept(goal=goal, partner=partner_a)
    log(goal, partner_a, days_ago(today, 1), 8, note="Good talk")
    log(goal, partner_b, days_ago(today, 1), 5)

    response = jordan.get(detail(goal))

    text = response.text
    assert "Rating from 1 to 10" in text and "a rating of 7 of 10" in text
    assert "Me: agreed on" in text and "Alex: agreed on" in text
    assert "Alex</strong>" in text and "Make it 6 to start" in text
    assert '<th scope="col">Me</th><th scope="col">Alex</th>' in text
    assert "<td>8 of 10<div" in text and "Good talk" in text and "<td>5 of 10</td>" in text
    assert "Proposed → Active" in text
    assert len(response.context["table_rows"]) == 30


def test_the_goal_page_switches_to_90_days(jordan, shared):
    response = jordan.get(detail(shared), {"days": "90"})

    assert response.context["span"] == 90
    assert len(response.context["table_rows"]) == 90
    assert "Progress over the last 90 days" in response.text


def test_the_log_form_offers_only_the_days_still_open(jordan, couple, today):
    goal = GoalFactory(couple=couple, start_on=days_ago(today, 3))

    form = jordan.get(detail(goal)).context["log_form"]

    days = [value for value, _label in form.fields["day"].widget.choices]
    assert days == [days_ago(today, back).isoformat() for back in range(4)]


def test_logging_a_day_with_a_note_from_the_goal_page(jordan, shared, partner_a, today):
    day = days_ago(today, 2)

    response = jordan.post(log_url(shared), {"day": day, "value": "0", "note": "Too tired"})

    assert response.status_code == 302 and response["Location"] == detail(shared)
    entry = ProgressEntry.objects.get()
    assert (entry.day, entry.value, entry.note) == (day, 0, "Too tired")


# New goal


def goal_data(**fields):
    data = {
        "kind": "shared",
        "category": Goal.Category.SOBER_ACTIVITIES,
        "title": "Sunday hike",
        "description": "",
        "measure": Goal.Measure.COUNT,
        "target": "1",
        "start_on": datetime.date.today().isoformat(),
        "due_on": "",
    }
    data.update(fields)
    return data


def test_proposing_a_shared_goal_waits_for_my_partner(jordan, couple, partner_a, today):
    response = jordan.post(NEW_GOAL, goal_data(start_on=today.isoformat()))

    goal = Goal.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(goal)
    assert (goal.couple, goal.partner, goal.status) == (couple, None, Goal.Status.PROPOSED)
    assert list(goal.acceptances.values_list("partner", flat=True)) == [partner_a.pk]
    assert messages_of(response) == ["You proposed “Sunday hike”. It starts once Alex agrees too."]


def test_adding_a_goal_of_my_own_starts_it(jordan, couple, partner_a, today):
    jordan.post(NEW_GOAL, goal_data(kind="mine", start_on=today.isoformat()))

    goal = Goal.objects.get()
    assert (goal.partner, goal.status, goal.created_by) == (
        partner_a,
        Goal.Status.ACTIVE,
        partner_a.user,
    )


def test_a_crafted_post_cannot_propose_for_another_couple_or_partner(
    jordan, couple, partner_b, today
):
    stranger = PartnerFactory()

    jordan.post(
        NEW_GOAL,
        goal_data(
            kind="mine", start_on=today.isoformat(), couple=stranger.couple.pk, partner=partner_b.pk
        ),
    )

    goal = Goal.objects.get()
    assert (goal.couple, goal.partner.user.first_name) == (couple, "Jordan")


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"measure": "rating", "target": "11"}, "For this measure the target is a rating"),
        ({"measure": "yes_no", "target": ""}, "Set a target: days a week, from 1 to 7."),
        ({"due_on": "2000-01-01"}, "The due date cannot be before the start date."),
        ({"title": ""}, "This field is required."),
    ],
)
def test_a_goal_that_does_not_fit_is_refused_on_the_form(jordan, fields, error):
    response = jordan.post(NEW_GOAL, goal_data(**fields))

    assert response.status_code == 200
    assert error in response.text
    assert not Goal.objects.exists()


def test_a_milestone_needs_no_target(jordan, today):
    jordan.post(NEW_GOAL, goal_data(measure="milestone", target="4", start_on=today.isoformat()))

    assert Goal.objects.get().target is None


# Asking for a change


def test_asking_for_a_change_saves_the_note(jordan, couple, partner_a, partner_b, today):
    goal = services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title="Share our calendars",
        measure=Goal.Measure.YES_NO,
        target=7,
        start_on=today,
        by=partner_b.user,
    )

    page = jordan.get(change_url(goal))
    response = jordan.post(change_url(goal), {"note": "Five days a week, not seven"})

    assert page.status_code == 200 and "Share our calendars" in page.text
    assert response.status_code == 302 and response["Location"] == detail(goal)
    change = GoalChangeRequest.objects.get()
    assert (change.partner, change.note) == (partner_a, "Five days a week, not seven")
    assert not goal.acceptances.exists()  # both agree again


def test_an_empty_change_request_is_refused_on_the_form(jordan, shared):
    response = jordan.post(change_url(shared), {"note": "   "})

    assert response.status_code == 200
    assert "is-invalid" in response.text
    assert not GoalChangeRequest.objects.exists()


def test_a_change_request_sent_twice_is_stored_once_and_the_second_says_it_waits(
    jordan, shared, partner_a
):
    first = jordan.post(change_url(shared), {"note": "Weekdays only"})
    second = jordan.post(change_url(shared), {"note": "Weekdays only "})

    assert first.status_code == 302 and first["Location"] == detail(shared)
    assert second.status_code == 302 and second["Location"] == detail(shared)
    # The browser follows only the second redirect: the page says both.
    assert messages_of(second) == [
        "Your request is saved. Talk it over together.",
        "You already asked for this change: your request is waiting.",
    ]
    assert GoalChangeRequest.objects.get().partner == partner_a


# Help


def test_the_help_page_lists_crisis_lines_and_the_on_call_number(jordan, settings):
    settings.CLINIC_ON_CALL_PHONE = "+1 555 010 0199"

    response = jordan.get(HELP)

    assert response.status_code == 200
    assert 'href="tel:988"' in response.text and 'href="sms:988"' in response.text
    assert 'href="tel:+18006624357"' in response.text and "1-800-662-4357" in response.text
    assert 'href="tel:911"' in response.text
    assert 'href="tel:+15550100199"' in response.text and "+1 555 010 0199" in response.text


@pytest.mark.parametrize("signed_in", [True, False])
def test_the_help_page_records_nothing(client, partner_a, signed_in):
    if signed_in:
        client.force_login(partner_a.user)
        client.get(HOME)  # stamps the session, so the next request has nothing to update
    events = AuditEvent.objects.count()

    with CaptureQueriesContext(connection) as queries:
        assert client.get(HELP).status_code == 200

    writes = [
        q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVE"))
    ]
    assert writes == []
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("url", [HOME, GOALS, CHECKIN, NEW_GOAL, HELP, "/portal/sharing/"])
def test_every_portal_page_links_to_help(jordan, url):
    response = jordan.get(url)

    assert f'href="{HELP}"' in response.text and "Need help now" in response.text


def test_clinicians_do_not_get_the_portal_help_link(client, clinician):
    sign_in_with_mfa(client, clinician.user)

    assert "Need help now" not in client.get("/clinic/").text


@pytest.mark.parametrize("url", [CHECKIN, NEW_GOAL])
def test_portal_goal_pages_have_one_main_heading_and_no_inline_style(jordan, url):
    response = jordan.get(url)

    assert response.text.count("<h1") == 1
    assert "style=" not in response.text
    assert "<script>" not in response.text


# Query counts


def _fill(couple, partner_a, partner_b, today, *, goals, days):
    """`goals` goals (half shared, a quarter each partner's own) with `days` days of entries."""
    measures = [Goal.Measure.YES_NO, Goal.Measure.RATING, Goal.Measure.COUNT]
    owners = [None, None, partner_a, partner_b]
    entries = []
    for index in range(goals):
        measure = measures[index % 3]
        goal = GoalFactory(
            couple=couple,
            partner=owners[index % 4],
            measure=measure,
            target={"yes_no": 5, "rating": 8, "count": 3}[measure],
            start_on=days_ago(today, days),
        )
        loggers = [goal.partner] if goal.partner else [partner_a, partner_b]
        for partner in loggers:
            for back in range(days):
                day = days_ago(today, back)
                value = 1 if measure != Goal.Measure.RATING else 6
                entries.append(
                    ProgressEntry(
                        goal=goal,
                        partner=partner,
                        day=day,
                        measure=measure,
                        value=value,
                        recorded_on=day,
                    )
                )
    ProgressEntry.objects.bulk_create(entries)
    services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title="Waiting for Jordan",
        measure=Goal.Measure.YES_NO,
        target=3,
        start_on=today,
        by=partner_b.user,
    )


@pytest.mark.parametrize("goals, days", [(2, 5), (12, 90)])
def test_the_goals_page_uses_the_same_number_of_queries_for_any_amount_of_goals(
    jordan, couple, partner_a, partner_b, today, goals, days, django_assert_max_num_queries
):
    _fill(couple, partner_a, partner_b, today, goals=goals, days=days)
    grant_goals(partner_b)
    jordan.get(GOALS)  # the first request stamps the session

    # Measured 12 for both sizes: session, user with roles, partner with couple and user, the
    # couple's partners with users, Alex's active consent, the visible goals, their
    # acceptances, 30 days of entries for all of them, change requests of the pending goal;
    # the disclosure row: audit chain head (locked), the event, the head's update (with a
    # savepoint and its release on PostgreSQL: 14). The top bar's unread count comes with
    # the user.
    with django_assert_max_num_queries(14):
        response = jordan.get(GOALS)

    assert response.status_code == 200
    assert "Waiting for Jordan" in response.text


@pytest.mark.parametrize("goals, days", [(2, 5), (12, 90)])
def test_the_home_uses_the_same_number_of_queries_for_any_amount_of_goals(
    jordan, couple, partner_a, partner_b, today, goals, days, django_assert_max_num_queries
):
    _fill(couple, partner_a, partner_b, today, goals=goals, days=days)
    grant_goals(partner_b)
    jordan.get(HOME)  # the first request stamps the session

    # Measured 14 for both sizes: session, user with roles, partner with couple and user, the
    # couple's partners with users, Alex's active consent (which goals I see), the visible
    # goals, their acceptances, 7 days of entries of ours and mine, change requests of the
    # pending goal; today's check-in with the days of reported use (streak); the sessions
    # part, with no session: my next session, my minutes this week; the measures part: my
    # schedules; the plans part: my plans waiting for my acknowledgement. Alex's own goals
    # are not shown on the home: no disclosure row.
    with django_assert_max_num_queries(14):
        response = jordan.get(HOME)

    assert response.status_code == 200
    assert "Waiting for Jordan" in response.text
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE).exists()


@pytest.mark.parametrize("days", [5, 90])
def test_the_goal_page_uses_the_same_number_of_queries_for_90_days_of_entries(
    jordan, shared, partner_a, partner_b, today, days, django_assert_max_num_queries
):
    for back in range(days):
        log(shared, partner_a, days_ago(today, back), 1)
        log(shared, partner_b, days_ago(today, back), 0)
    jordan.get(detail(shared))

    # Measured 10 for both: session, user with roles, the goal within my couples, partner with
    # couple and user, the couple's partners with users, 90 days of entries, acceptances,
    # change requests, status history, the top bar's unread notifications
    with django_assert_max_num_queries(10):
        response = jordan.get(detail(shared), {"days": "90"})

    assert len(response.context["table_rows"]) == 90
