"""The partner's measures on the portal: what to fill, filling part of one and coming back,
finishing, the page after (with crisis help and the safety screen after a PHQ-9 whose last
question was above 0), and their own results. Only the partner sees their own measures.

Jordan (partner A) and Alex (partner B) are a couple; Maya is their couples therapist, Daniel
Alex's individual therapist.
"""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from audit.models import AuditEvent
from couples.queries import couple_today
from measures import services
from measures.models import MeasureResponse
from tests.auth import sign_in_with_mfa
from tests.factories import PartnerFactory
from triage.models import TriageItem

pytestmark = pytest.mark.timeshift

LIST = "/portal/measures/"
HOME = "/portal/"
PHQ9 = "/portal/measures/phq9/"


def done_url(response):
    return f"/portal/measures/done/{response.pk}/"


def safety_url(response):
    return f"/portal/measures/done/{response.pk}/safety/"


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def phq9(total: int = 7, *, item9: int = 0) -> dict[str, str]:
    """PHQ-9 answers adding up to `total`, as a form posts them."""
    answers, left = {"q9": item9}, total - item9
    for number in range(1, 9):
        answers[f"q{number}"] = min(3, left)
        left -= answers[f"q{number}"]
    return {key: str(value) for key, value in answers.items()}


def fill(partner, code, answers, *, due_on=None, follows=None):
    response = services.response_start(
        partner=partner, instrument=code, due_on=due_on, by=partner.user, follows=follows
    )
    return services.response_complete(response=response, answers=answers, by=partner.user)


@pytest.fixture
def today(couple, time_machine):
    # Hold the clock: a day that turns mid-test would move the due dates under it.
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


@pytest.fixture
def jordan(client, partner_a, partner_b, couples_therapist, alexs_therapist, today):
    """Jordan (partner A) signed in on the portal."""
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def phq9_weekly(partner_a, couples_therapist, today):
    return services.schedule_set(
        partner=partner_a,
        instrument="phq9",
        cadence="weekly",
        starts_on=today,
        by=couples_therapist.user,
    )


# What to fill


def test_the_list_says_what_is_due_and_how_long_it_takes(jordan, phq9_weekly):
    page = jordan.get(LIST)

    assert page.status_code == 200
    [row] = page.context["to_fill"]
    assert (row.instrument.code, row.is_started) == ("phq9", False)
    assert "Mood (PHQ-9)" in page.text and "About 2 minutes" in page.text
    assert f'href="{PHQ9}"' in page.text
    # The others may be filled any time; the safety screen is not one of them.
    assert [i.code for i in page.context["any_time"]] == ["gad7", "bam", "csi4"]
    assert "Your results will show here" in page.text


def test_opening_a_measure_writes_nothing_and_draws_big_answer_buttons(jordan, phq9_weekly):
    page = jordan.get(PHQ9)

    assert page.status_code == 200
    assert not MeasureResponse.objects.exists()
    assert page.text.count('class="btn-check"') == 10 * 4
    assert "Nearly every day</label>" in page.text
    assert "(optional)" in page.text  # the difficulty question
    assert 'name="finish"' in page.text and 'name="save"' in page.text


def test_saving_part_keeps_the_answers_and_the_list_offers_to_continue(
    jordan, partner_a, phq9_weekly, today
):
    answer = jordan.post(PHQ9, {"q1": "1", "q2": "2", "q3": "0", "save": "1"})

    assert answer.status_code == 302 and answer["Location"] == LIST
    assert messages_of(answer) == ["Saved — you can finish your PHQ-9 later."]
    response = MeasureResponse.objects.get(partner=partner_a)
    assert response.status == MeasureResponse.Status.IN_PROGRESS
    assert response.answers == {"q1": 1, "q2": 2, "q3": 0}
    assert response.due_on == today  # the scheduled occurrence it answers
    page = jordan.get(LIST)
    assert "3 of 9 answered" in page.text and ">Continue<" in page.text
    form = jordan.get(PHQ9)
    assert 'value="2" class="btn-check" id="id_q2_2" checked' in form.text
    assert "Your earlier answers are kept" in form.text


def test_coming_back_and_finishing_scores_it_and_names_who_sees_it(jordan, partner_a, phq9_weekly):
    jordan.post(PHQ9, {"q1": "1", "q2": "1", "save": "1"})

    answer = jordan.post(PHQ9, {**phq9(7), "finish": "1"})

    response = MeasureResponse.objects.get(partner=partner_a)
    assert answer.status_code == 302 and answer["Location"] == done_url(response)
    assert (response.status, response.total, response.band_label) == ("completed", 7, "Mild")
    page = jordan.get(done_url(response))
    assert "Score <span" in page.text and "Mild" in page.text
    assert "Your care team sees your results" in page.text
    assert "Maya" in page.text and "Daniel" not in page.text  # Alex's therapist, not Jordan's
    assert "Your partner does not see them." in page.text
    assert "988" not in page.text
    assert jordan.get(LIST).context["to_fill"] == []


def test_finishing_with_answers_missing_keeps_the_given_ones_and_says_which(
    jordan, partner_a, phq9_weekly
):
    given = {key: value for key, value in phq9(5).items() if key not in ("q4", "q9")}

    page = jordan.post(PHQ9, {**given, "finish": "1"})

    assert page.status_code == 200
    assert "still to answer: 4, 9" in page.text
    assert page.context["form"].errors.keys() == {"__all__", "q4", "q9"}
    assert page.text.count("Choose an answer to finish.") == 2
    assert 'value="3" class="btn-check" id="id_q1_3" checked' in page.text  # kept on the page
    response = MeasureResponse.objects.get(partner=partner_a)
    assert response.status == MeasureResponse.Status.IN_PROGRESS
    assert response.answers == {key: int(value) for key, value in given.items()}  # and saved


def test_tampered_and_malformed_values_are_ignored(jordan, partner_a, phq9_weekly):
    answer = jordan.post(
        PHQ9,
        {
            "q1": "7",  # not one of its choices
            "q2": "abc",
            "q3": "1" * 100_000,
            "q4": "-1",
            "q5": "2",
            "q42": "3",  # not one of its items
            "total": "0",
            "save": "1",
        },
    )

    assert answer.status_code == 302
    assert MeasureResponse.objects.get(partner=partner_a).answers == {"q5": 2}
    page = jordan.post(PHQ9, {**phq9(3), "q9": "9", "finish": "1"})
    assert page.status_code == 200 and "still to answer: 9" in page.text


def test_a_measure_may_be_filled_unasked(jordan, partner_a):
    gad7 = {f"q{n}": "1" for n in range(1, 8)}

    answer = jordan.post("/portal/measures/gad7/", {**gad7, "finish": "1"})

    response = MeasureResponse.objects.get(partner=partner_a)
    assert answer["Location"] == done_url(response)
    assert (response.instrument, response.due_on, response.total) == ("gad7", None, 7)


@pytest.mark.parametrize("code", ["cssrs", "nope", "PHQ9"])
def test_the_safety_screen_and_unknown_measures_cannot_be_opened(jordan, code):
    assert jordan.get(f"/portal/measures/{code}/").status_code == 404
    assert jordan.post(f"/portal/measures/{code}/", {"finish": "1"}).status_code == 404


def test_the_bam_shows_its_drug_questions_under_their_heading_and_optional(jordan):
    page = jordan.get("/portal/measures/bam/")

    assert "how many days did you use any of the following drugs?</h2>" in page.text
    assert page.text.count("(optional)</span>") == 7


def test_the_home_lists_the_measures_to_fill(jordan, phq9_weekly):
    page = jordan.get(HOME)

    assert "Measure to fill" in page.text  # one; two or more read "Measures to fill: 2"
    assert f'href="{PHQ9}"' in page.text and "Mood (PHQ-9)" in page.text
    assert ">Start<" in page.text
    jordan.post(PHQ9, {"q1": "1", "save": "1"})
    assert ">Continue<" in jordan.get(HOME).text


def test_the_home_says_nothing_of_measures_when_none_is_due(jordan):
    page = jordan.get(HOME).text
    assert "Measure to fill" not in page and "Measures to fill" not in page


# After a PHQ-9 whose last question was above 0


def test_a_safety_answer_shows_crisis_help_first_and_the_screen(jordan, partner_a):
    answer = jordan.post(PHQ9, {**phq9(9, item9=1), "finish": "1"})

    page = jordan.get(answer["Location"])
    assert page.status_code == 200
    text = page.text
    assert 'href="tel:988"' in text and 'href="sms:988"' in text and 'href="tel:911"' in text
    assert "+1 555 010 0100" in text and 'href="/portal/help/"' in text
    # Help comes before anything else the page asks.
    assert text.index("tel:988") < text.index("A few more questions") < text.index('name="q1"')
    assert "Have you actually had any thoughts of killing yourself?" in text
    assert 'data-shown-if="q2"' in text and 'data-shown-if="q6"' in text
    # Without JavaScript the follow-ups show, each saying when it applies.
    assert text.count("Answer this only if you answered Yes to question 2.") == 3
    assert "Answer this only if you answered Yes to question 6." in text
    assert "measure-skip.js" in text
    [item] = TriageItem.objects.filter(kind=TriageItem.Kind.SAFETY)
    assert (item.partner, item.severity) == (partner_a, TriageItem.Severity.URGENT)


def test_the_screen_reaches_the_urgent_item_and_the_page_says_the_team_was_told(jordan, partner_a):
    phq = fill(partner_a, "phq9", phq9(9, item9=1))

    # Without JavaScript every question is sent; those its skip logic did not ask are dropped.
    answer = jordan.post(safety_url(phq), {"q1": "1", "q2": "0", "q3": "1", "q6": "0"})

    assert answer.status_code == 302 and answer["Location"] == done_url(phq)
    screen = MeasureResponse.objects.get(instrument="cssrs")
    assert (screen.follows, screen.status, screen.answers) == (
        phq,
        "completed",
        {"q1": 1, "q2": 0, "q6": 0},
    )
    [item] = TriageItem.objects.filter(kind=TriageItem.Kind.SAFETY)
    assert item.severity == TriageItem.Severity.URGENT == 1
    assert "C-SSRS screen: low risk" in item.summary
    page = jordan.get(done_url(phq))
    assert "Your care team has been told and will contact you." in page.text
    assert 'href="tel:988"' in page.text
    assert 'name="q1"' not in page.text  # asked once
    assert jordan.get(done_url(screen))["Location"] == done_url(phq)
    again = jordan.post(safety_url(phq), {"q1": "0", "q2": "0", "q6": "0"})
    assert again["Location"] == done_url(phq)
    assert MeasureResponse.objects.filter(instrument="cssrs").count() == 1


def test_a_screen_with_answers_missing_comes_back_with_them_kept_and_help_on_top(jordan, partner_a):
    phq = fill(partner_a, "phq9", phq9(9, item9=2))

    page = jordan.post(safety_url(phq), {"q1": "1", "q2": "1"})

    assert page.status_code == 200
    assert page.text.index("tel:988") < page.text.index("still to answer")
    assert page.context["screen_form"].errors.keys() == {"__all__", "q3", "q4", "q5", "q6"}
    assert 'id="id_q1_1" checked' in page.text
    screen = MeasureResponse.objects.get(instrument="cssrs")
    assert (screen.status, screen.answers) == ("in_progress", {"q1": 1, "q2": 1})
    assert 'id="id_q2_1" checked' in jordan.get(done_url(phq)).text
    # The list leads back to the screen.
    assert f'href="{done_url(phq)}"' in jordan.get(LIST).text


def test_no_screen_is_asked_after_a_phq9_without_a_safety_answer(jordan, partner_a):
    phq = fill(partner_a, "phq9", phq9(12))

    answer = jordan.post(safety_url(phq), {"q1": "1", "q2": "0", "q6": "0"})

    assert answer["Location"] == done_url(phq)
    assert not MeasureResponse.objects.filter(instrument="cssrs").exists()
    assert "Moderate" in jordan.get(done_url(phq)).text


def test_the_done_page_of_a_measure_still_open_is_not_found(jordan, partner_a):
    started = services.response_start(
        partner=partner_a, instrument="phq9", due_on=None, by=partner_a.user
    )

    assert jordan.get(done_url(started)).status_code == 404


# Only the partner's own


def test_the_other_partner_finds_nothing_of_it(client, partner_a, partner_b, today):
    phq = fill(partner_a, "phq9", phq9(9, item9=1))
    client.force_login(partner_b.user)

    assert client.get(done_url(phq)).status_code == 404
    assert client.post(safety_url(phq), {"q1": "1"}).status_code == 404
    assert AuditEvent.objects.filter(actor=partner_b.user, allowed=False).count() == 2
    assert not MeasureResponse.objects.filter(instrument="cssrs").exists()
    home = client.get(HOME).text
    assert "PHQ" not in home and "988" not in home and "safety" not in home.lower()
    page = client.get(LIST)
    assert (page.context["to_fill"], page.context["results"]) == ([], [])
    assert "Your results will show here" in page.text
    assert "988" not in page.text and "safety" not in page.text.lower()


def test_an_outsider_gets_404_and_clinicians_403(client, partner_a, couples_therapist, today):
    phq = fill(partner_a, "phq9", phq9(4))
    client.force_login(PartnerFactory().user)
    assert client.get(done_url(phq)).status_code == 404

    # The couples therapist reads Jordan's measures on the clinic pages, not here.
    sign_in_with_mfa(client, couples_therapist.user)
    for path in (LIST, PHQ9, done_url(phq)):
        assert client.get(path).status_code == 403
    assert client.post(safety_url(phq)).status_code == 403


# My results


def test_results_show_the_latest_its_band_the_change_since_the_first_and_a_trend(
    jordan, partner_a, partner_b, today, time_machine
):
    now = timezone.now()
    for weeks_ago, total in ((4, 14), (2, 10), (0, 7)):
        time_machine.move_to(now - datetime.timedelta(weeks=weeks_ago), tick=False)
        fill(partner_a, "phq9", phq9(total))
    fill(partner_b, "phq9", phq9(20))  # Alex's: never on Jordan's page
    fill(partner_a, "gad7", {f"q{n}": "0" for n in range(1, 8)})

    page = jordan.get(LIST)

    phq, gad = page.context["results"]
    assert (phq.latest.total, phq.latest.band_label) == (7, "Mild")
    assert phq.change.startswith("7 points lower than your first (14 on ")
    assert phq.label.startswith("Your PHQ-9, 3 times from ")
    assert 'role="img"' in page.text and "first 14, latest 7, on a scale of 0 to 27" in page.text
    assert [row.total for row in phq.rows] == [7, 10, 14]
    assert "Lower scores are better on this one." in page.text
    assert gad.change == "Your first one: the next ones will show how things change."
    assert "20" not in [str(row.total) for row in phq.rows]


@pytest.mark.parametrize("count", [1, 20])
def test_the_list_costs_the_same_queries_for_one_response_or_twenty(
    jordan, partner_a, phq9_weekly, today, count, django_assert_max_num_queries
):
    for number in range(count):
        fill(partner_a, ("gad7", "csi4")[number % 2], {f"q{n}": "1" for n in range(1, 8)})
    jordan.post(PHQ9, {"q1": "1", "save": "1"})
    jordan.get(LIST)  # the first request stamps the session

    # Measured 9 for both: session, user with roles (and the top bar's unread count),
    # partner with couple and user; the couple's partners and the other partner's consent
    # (does it share their scores?); the schedules, the responses that fill them or were
    # started; the started ones with their answers; the completed ones.
    with django_assert_max_num_queries(9):
        page = jordan.get(LIST)

    assert "1 of 9 answered" in page.text
    assert len(page.context["results"]) == (1 if count == 1 else 2)
