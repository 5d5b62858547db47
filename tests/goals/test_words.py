"""One vocabulary for the portal and the clinic (issue 20): questions are answered "Yes" or
"No", goal progress is "Done" or "Not done" ("Reached" or "Not yet" on a milestone), ratings
and cravings are "7 of 10", moods their names."""

import datetime

import pytest

from couples.queries import couple_today
from goals import words
from goals.forms import CheckInForm, ProgressLogForm
from goals.models import CheckIn, Goal, ProgressEntry
from tests.auth import sign_in_with_mfa
from tests.factories import GoalFactory


@pytest.fixture(autouse=True)
def _clock(time_machine):
    """The fixed dates below are read as of this moment, whatever day the suite runs."""
    time_machine.move_to(datetime.datetime.fromisoformat("2026-03-10 12:00+00:00"), tick=False)


pytestmark = pytest.mark.timeshift


def test_every_measure_has_its_words():
    measures = set(Goal.Measure.values)

    assert set(words.AXIS_UNITS) == measures
    assert set(words.TWO_WAY) | {"count", "rating"} == measures
    for measure in measures:
        assert words.value_label(measure, 1)
        assert words.target_label(Goal(measure=measure, target=5))


@pytest.mark.parametrize(
    ("measure", "value", "label"),
    [
        ("yes_no", 1, "Done"),
        ("yes_no", 0, "Not done"),
        ("milestone", 1, "Reached"),
        ("milestone", 0, "Not yet"),
        ("count", 1, "1 time"),
        ("count", 3, "3 times"),
        ("rating", 7, "7 of 10"),
        ("rating", None, "—"),
    ],
)
def test_a_logged_value_in_words(measure, value, label):
    assert words.value_label(measure, value) == label


def test_targets_in_words():
    assert words.target_label(Goal(measure="yes_no", target=5)) == "5 days a week"
    assert words.target_label(Goal(measure="count", target=3)) == "3 times a week"
    assert words.target_label(Goal(measure="rating", target=7)) == "a rating of 7 of 10"
    assert words.target_label(Goal(measure="milestone")) == "reach it once"


def test_a_checkins_answers_are_yes_no_and_of_ten():
    checkin = CheckIn(
        is_sober=False, craving=7, mood=CheckIn.Mood.GOOD, had_trust_discussion=True,
        attended_meeting=False,
    )  # fmt: skip

    assert checkin.answers == [
        ("Sober today", "No"),
        ("Craving", "7 of 10"),
        ("Mood", "Good"),
        ("Trust discussion", "Yes"),
        ("Support meeting", "No"),
    ]
    assert (checkin.sober_answer, checkin.trust_answer, checkin.meeting_answer) == (
        "No",
        "Yes",
        "No",
    )
    assert [question for question, _ in checkin.answers] == list(words.CHECKIN_QUESTIONS)


def test_a_progress_entry_says_its_value_in_words():
    assert ProgressEntry(measure="yes_no", value=0).value_label == "Not done"
    assert ProgressEntry(measure="rating", value=8).value_label == "8 of 10"


def test_the_portals_forms_offer_the_same_words():
    checkin = CheckInForm()
    today = datetime.date(2026, 3, 10)
    yes_no = ProgressLogForm(goal=Goal(measure="yes_no"), days=[today])
    milestone = ProgressLogForm(goal=Goal(measure="milestone"), days=[today])

    assert checkin.fields["is_sober"].choices[0] == ("yes", "Yes")
    assert [label for _, label in yes_no.fields["value"].choices] == ["Done", "Not done"]
    assert [label for _, label in milestone.fields["value"].choices] == ["Reached", "Not yet"]


def test_the_clinic_shows_check_ins_with_the_portals_questions_and_answers(
    client, couple, partner_a, partner_b, couples_therapist
):
    today = couple_today(couple=couple)
    CheckIn.objects.create(
        partner=partner_a, day=today, is_sober=True, craving=3, mood=4,
        had_trust_discussion=True, attended_meeting=False, recorded_on=today,
    )  # fmt: skip
    sign_in_with_mfa(client, couples_therapist.user)

    page = client.get(f"/clinic/couples/{couple.pk}/checkins/").text

    jordan = page.split('id="checkins-heading"')[1].split('class="card h-100"')[1]
    headings = "".join(f'<th scope="col">{q}</th>' for q in words.CHECKIN_QUESTIONS)
    assert f'<th scope="col">Day</th>{headings}' in jordan
    assert "<td>Yes</td>\n" in jordan and "<td>3 of 10</td>" in jordan
    assert "<td>Good</td>" in jordan and "<td>No</td>" in jordan


def test_the_clinic_and_the_portal_say_a_goals_days_alike(
    client, couple, partner_a, partner_b, couples_therapist
):
    goal = GoalFactory(couple=couple, measure="yes_no", target=5)
    today = couple_today(couple=couple)
    for partner, value in ((partner_a, 1), (partner_b, 0)):
        ProgressEntry.objects.create(
            goal=goal, partner=partner, day=today, measure="yes_no", value=value, recorded_on=today
        )
    sign_in_with_mfa(client, couples_therapist.user)
    clinic = client.get(f"/clinic/goals/{goal.pk}/").text
    client.force_login(partner_a.user)
    portal = client.get(f"/portal/goals/{goal.pk}/").text

    for page in (clinic, portal):
        assert "<td>Done</td>" in page
        assert "<td>Not done</td>" in page
        assert "Yes</td>" not in page
