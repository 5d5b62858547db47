"""The partner's Goals page (/portal/goals/): goals waiting for agreement, ours, mine and my
partner's own while their consent shares them; and the answer to a tap said inside the card
it was tapped in, the page brought back to that card.

Jordan (partner A) and Alex (partner B) are a couple.
"""

import pytest
from django.utils import timezone

from couples.queries import couple_today
from goals import services
from goals.models import Goal
from tests.auth import sign_in_with_mfa
from tests.factories import GoalFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

GOALS = "/portal/goals/"


@pytest.fixture
def today(couple, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


def log_url(goal):
    return f"/portal/goals/{goal.pk}/log/"


def card_of(page, goal):
    return page.text.split(f'id="goal-{goal.pk}"')[1].split("</article>")[0]


def page_top_messages(page):
    if 'class="messages"' not in page.text:
        return ""
    return page.text.split('class="messages"')[1].split("</div>\n  </div>")[0]


def proposed_by(partner, couple, today):
    return services.goal_create(
        couple=couple,
        partner=None,
        category=Goal.Category.TRUST,
        title="Phones away at dinner",
        measure=Goal.Measure.YES_NO,
        target=5,
        start_on=today,
        by=partner.user,
    )


def test_the_page_lists_waiting_then_shared_then_my_goals(
    jordan, couple, partner_a, partner_b, today
):
    proposed_by(partner_b, couple, today)
    GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    GoalFactory(couple=couple, partner=partner_a, title="Morning walk", start_on=today)

    text = jordan.get(GOALS).text

    waiting = text.index('id="pending-heading"')
    shared = text.index('id="shared-goals-heading"')
    mine = text.index('id="my-goals-heading"')
    assert waiting < text.index("Phones away at dinner") < shared
    assert shared < text.index("Ten minutes of talk") < mine < text.index("Morning walk")
    assert text.count("<h1") == 1 and "style=" not in text
    assert 'href="/portal/goals/new/"' in text


def test_with_nothing_yet_each_section_says_what_happens(jordan):
    text = jordan.get(GOALS).text

    assert "No shared goals yet. Propose one, or set one with your couples therapist." in text
    assert "You have no goals of your own yet." in text
    assert 'id="pending-heading"' not in text and 'id="partner-goals-heading"' not in text


def test_logging_returns_to_the_card_and_says_so_inside_it(jordan, couple, partner_a, today):
    goal = GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    other = GoalFactory(couple=couple, title="Sober activity", start_on=today)

    response = jordan.post(
        log_url(goal), {"day": today.isoformat(), "value": "1", "next": f"{GOALS}#goal-{goal.pk}"}
    )
    page = jordan.get(GOALS)

    assert response.status_code == 302
    assert response["Location"] == f"{GOALS}#goal-{goal.pk}"
    said = f"Saved “Ten minutes of talk” for {today:%A, %B} {today.day}: Done."
    assert f'<p class="card-note card-note-success" role="status">{said}</p>' in card_of(page, goal)
    assert said not in card_of(page, other)
    assert said not in page_top_messages(page)
    assert 'class="messages"' not in page.text


def test_a_next_without_its_anchor_still_returns_to_the_card(jordan, couple, today):
    goal = GoalFactory(couple=couple, start_on=today)

    response = jordan.post(log_url(goal), {"day": today.isoformat(), "value": "1", "next": GOALS})

    assert response["Location"] == f"{GOALS}#goal-{goal.pk}"


def test_a_refused_tap_is_said_in_the_card_too(jordan, couple, today):
    goal = GoalFactory(couple=couple, measure=Goal.Measure.RATING, target=8, start_on=today)

    response = jordan.post(log_url(goal), {"day": today.isoformat(), "value": "11", "next": GOALS})
    card = card_of(jordan.get(GOALS), goal)

    assert response["Location"] == f"{GOALS}#goal-{goal.pk}"
    assert '<p class="card-note card-note-error" role="status">Select a valid choice.' in card


def test_a_message_about_a_goal_the_page_does_not_show_stays_at_the_top(
    jordan, couple, partner_a, today
):
    goal = GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    jordan.post(log_url(goal), {"day": today.isoformat(), "value": "1", "next": GOALS})

    page = jordan.get(f"/portal/goals/{goal.pk}/")  # the goal's own page shows them on top

    assert "Saved “Ten minutes of talk”" in page_top_messages(page)


def test_accepting_on_the_page_returns_to_the_card_now_among_ours(jordan, couple, partner_b, today):
    goal = proposed_by(partner_b, couple, today)
    form = card_of(jordan.get(GOALS), goal)
    assert f'name="next" value="{GOALS}#goal-{goal.pk}"' in form

    response = jordan.post(f"/portal/goals/{goal.pk}/accept/", {"next": f"{GOALS}#goal-{goal.pk}"})
    page = jordan.get(GOALS)

    assert response["Location"] == f"{GOALS}#goal-{goal.pk}"
    card = card_of(page, goal)
    assert "You both agreed: “Phones away at dinner” is active now." in card
    assert page.text.index('id="shared-goals-heading"') < page.text.index(f'id="goal-{goal.pk}"')


def test_another_couples_partner_sees_only_their_own_goals(client, couple, today):
    GoalFactory(couple=couple, title="Ten minutes of talk", start_on=today)
    client.force_login(PartnerFactory().user)

    response = client.get(GOALS)

    assert response.status_code == 200
    assert "Ten minutes of talk" not in response.text


def test_clinicians_cannot_open_the_portals_goals_page(client, couples_therapist):
    sign_in_with_mfa(client, couples_therapist.user)

    assert client.get(GOALS).status_code == 403
