"""Treatment plans on the portal (issue 21): each partner reads their own plan and their
couple's, the current signed version only and in plain words, and acknowledges it once;
never a draft, never the other partner's plan (the audited 404); the couple plan asks both
partners. Signing tells the partners, and the home lists the plan to read."""

import pytest
from django.core import mail

from audit.models import AuditEvent
from couples.models import Notification
from couples.notifications import notification_send
from plans import services
from plans.announcements import PLAN_SIGNED
from plans.models import Dimension, PlanAcknowledgement, TreatmentPlan
from tests.couples.test_views_clinic import sign_in
from tests.factories import GoalFactory
from tests.plans.conftest import NOW, plan_with, signed

pytestmark = pytest.mark.usefixtures("frozen")

LIST = "/portal/plans/"
HOME = "/portal/"


def page_url(plan) -> str:
    return f"/portal/plans/{plan.pk}/"


def acknowledge_url(plan) -> str:
    return f"/portal/plans/{plan.pk}/acknowledge/"


def reviewed(plan: TreatmentPlan, *, problem: str, sign: bool = True) -> TreatmentPlan:
    """A review: a new version with one more problem, signed unless told otherwise."""
    draft = services.plan_review_start(plan=plan, by=plan.responsible.user)
    services.problem_add(
        version=draft, dimension=Dimension.ENVIRONMENT, description=problem, by=draft.created_by
    )
    return signed(plan) if sign else plan


@pytest.fixture
def jordan(client, partner_a, partner_b):
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def jordans_plan(couple, partner_a, jordans_therapist):
    goal = GoalFactory(couple=couple, partner=partner_a, title="A sober month")
    return signed(
        plan_with(
            couple=couple,
            partner=partner_a,
            responsible=jordans_therapist,
            recovery_goal=goal,
            words="Jordan's",
        )
    )


@pytest.fixture
def couple_plan(couple, partner_a, partner_b, couples_therapist):
    return signed(
        plan_with(couple=couple, partner=None, responsible=couples_therapist, words="Our")
    )


@pytest.fixture
def alexs_plan(couple, partner_b, alexs_therapist):
    return signed(
        plan_with(couple=couple, partner=partner_b, responsible=alexs_therapist, words="Alex's")
    )


def denied(user, plan) -> bool:
    return AuditEvent.objects.filter(
        actor=user,
        allowed=False,
        detail={"target_type": "plans.TreatmentPlan", "target_id": str(plan.pk)},
    ).exists()


def acknowledge(client, plan, number=1):
    return client.post(acknowledge_url(plan), {"version": str(number)}, follow=True)


# Who reads what


def test_my_plan_and_our_couple_plan_are_listed_never_my_partners(
    jordan, jordans_plan, couple_plan, alexs_plan
):
    page = jordan.get(LIST).text

    assert "My treatment plan" in page and "Our couple plan" in page
    assert page_url(jordans_plan) in page and page_url(couple_plan) in page
    assert page_url(alexs_plan) not in page
    assert page.index(page_url(jordans_plan)) < page.index(page_url(couple_plan))
    assert "Signed by Priya" in page and "March 10, 2026" in page


def test_my_partners_plan_is_an_audited_404(jordan, partner_a, alexs_plan):
    response = jordan.get(page_url(alexs_plan))
    posted = jordan.post(acknowledge_url(alexs_plan), {"version": "1"})

    assert (response.status_code, posted.status_code) == (404, 404)
    assert denied(partner_a.user, alexs_plan)
    assert not PlanAcknowledgement.objects.exists()


def test_another_couples_partner_gets_an_audited_404_for_our_couple_plan(
    client, outsider, couple_plan
):
    client.force_login(outsider.user)

    assert client.get(page_url(couple_plan)).status_code == 404
    assert denied(outsider.user, couple_plan)
    assert "Our couple plan" not in client.get(LIST).text


def test_a_plan_never_signed_is_neither_listed_nor_opened(
    jordan, couple, partner_a, jordans_therapist
):
    draft_only = plan_with(
        couple=couple, partner=partner_a, responsible=jordans_therapist, words="Draft"
    )

    assert page_url(draft_only) not in jordan.get(LIST).text
    assert jordan.get(page_url(draft_only)).status_code == 404
    assert denied(partner_a.user, draft_only)


def test_clinicians_get_403_on_the_portal_pages(client, couples_therapist, couple_plan):
    sign_in(client, couples_therapist.user)

    assert client.get(LIST).status_code == 403
    assert client.get(page_url(couple_plan)).status_code == 403
    assert client.post(acknowledge_url(couple_plan), {"version": "1"}).status_code == 403


# The plan page


def test_the_plan_reads_in_plain_words_with_its_signature_and_recovery_goal(jordan, jordans_plan):
    page = jordan.get(page_url(jordans_plan)).text

    for heading in (
        "What we’re working on",
        "What you’re aiming for",
        "How we’ll know",
        "What we’ll do together",
    ):
        assert heading in page
    assert "Jordan&#x27;s problem 1: drinks when arguments escalate" in page
    assert "Withdrawal" not in page and "ASAM" not in page and "dimension" not in page
    assert "Staying safe through withdrawal" in page
    assert "By Thursday, April 9, 2026 · in 4 weeks" in page
    assert "By Saturday, May 9, 2026 · in about 2 months" in page
    assert "Once a week, with Priya" in page
    assert "Signed by Priya" in page and "on March 10, 2026" in page
    goal = jordans_plan.versions.get().problems.get().goals.get().recovery_goal
    assert f'href="/portal/goals/{goal.pk}/"' in page and "A sober month" in page
    assert "I’ve read my plan" in page


def test_the_page_shows_the_current_signed_version_never_the_draft(jordan, jordans_plan):
    reviewed(jordans_plan, problem="Signed in the review")
    reviewed(jordans_plan, problem="Still a draft", sign=False)

    page = jordan.get(page_url(jordans_plan)).text

    assert "Signed in the review" in page
    assert "Still a draft" not in page
    assert "after a review" in page


def test_opening_the_plan_is_audited_as_a_read_of_its_version(jordan, partner_a, jordans_plan):
    jordan.get(page_url(jordans_plan))

    event = AuditEvent.objects.get(action=AuditEvent.Action.READ, actor=partner_a.user)
    version = jordans_plan.versions.get()
    assert (event.target_type, event.target_id, event.allowed) == (
        "plans.PlanVersion",
        str(version.pk),
        True,
    )
    assert event.patient_id == partner_a.pk


# Acknowledging


def test_acknowledging_records_it_once_audits_it_and_a_second_tap_says_so(
    jordan, partner_a, jordans_plan
):
    first = acknowledge(jordan, jordans_plan)
    again = acknowledge(jordan, jordans_plan)

    assert "Your care team can see that you read it." in first.text
    assert "You acknowledged this on March 10, 2026." in first.text
    assert "You had acknowledged it already, on March 10, 2026." in again.text
    assert "I’ve read my plan</button>" not in again.text
    acknowledgement = PlanAcknowledgement.objects.get()
    assert (acknowledgement.partner, acknowledgement.acknowledged_at) == (partner_a, NOW)
    steps = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, target_type="plans.PlanVersion", actor=partner_a.user
    )
    assert [event.detail["step"] for event in steps] == ["acknowledged"]


def test_acknowledging_a_version_a_newer_one_replaced_is_refused(jordan, jordans_plan):
    reviewed(jordans_plan, problem="Added at the review")

    response = acknowledge(jordan, jordans_plan, number=1)

    assert "A newer version of this plan has been signed since." in response.text
    assert "Added at the review" in response.text  # the new version, to read and acknowledge
    assert 'name="version" value="2"' in response.text
    assert not PlanAcknowledgement.objects.exists()


@pytest.mark.parametrize("number", ["2", "", "x"])
def test_a_draft_or_unknown_version_is_not_acknowledged(jordan, jordans_plan, number):
    reviewed(jordans_plan, problem="Still a draft", sign=False)

    response = jordan.post(acknowledge_url(jordans_plan), {"version": number}, follow=True)

    assert "Read the plan above, then tap “I’ve read my plan”." in response.text
    assert "Still a draft" not in response.text
    assert not PlanAcknowledgement.objects.exists()


def test_the_couple_plan_asks_each_partner_and_shows_only_whether_the_other_has(
    client, partner_a, partner_b, couple_plan
):
    client.force_login(partner_a.user)
    jordans_view = acknowledge(client, couple_plan).text
    assert "You acknowledged this on March 10, 2026." in jordans_view
    assert "Alex: has not acknowledged it yet." in jordans_view

    client.force_login(partner_b.user)
    alexs_home = client.get(HOME).text
    assert "Read and acknowledge your couple plan" in alexs_home
    alexs_view = client.get(page_url(couple_plan)).text
    assert "Jordan: acknowledged it on March 10, 2026." in alexs_view
    assert "I’ve read my plan" in alexs_view
    acknowledge(client, couple_plan)

    client.force_login(partner_a.user)
    assert "Alex: acknowledged it on March 10, 2026." in client.get(page_url(couple_plan)).text
    version = couple_plan.versions.get()
    assert set(version.acknowledgements.values_list("partner", flat=True)) == {
        partner_a.pk,
        partner_b.pk,
    }


# The home and More


def test_the_home_lists_the_plan_to_read_until_it_is_acknowledged(jordan, jordans_plan):
    home = jordan.get(HOME)
    assert "plan" in [item.kind for item in home.context["todo"]]
    assert "Read and acknowledge your treatment plan" in home.text
    assert f'href="{page_url(jordans_plan)}"' in home.text

    acknowledge(jordan, jordans_plan)

    assert "plan" not in [item.kind for item in jordan.get(HOME).context["todo"]]
    reviewed(jordans_plan, problem="New at the review")
    assert "Read and acknowledge your treatment plan" in jordan.get(HOME).text


def test_two_plans_to_read_are_one_row_to_the_list(jordan, jordans_plan, couple_plan):
    home = jordan.get(HOME).text

    assert "Read and acknowledge your treatment plans" in home
    assert f'href="{LIST}"' in home


def test_a_draft_or_my_partners_plan_puts_nothing_on_my_home(
    jordan, couple, partner_a, jordans_therapist, alexs_plan
):
    plan_with(couple=couple, partner=partner_a, responsible=jordans_therapist)

    assert "plan" not in [item.kind for item in jordan.get(HOME).context["todo"]]


def test_more_links_to_my_treatment_plan(jordan):
    assert f'href="{LIST}"' in jordan.get("/portal/more/").text


# Telling the partners


def test_signing_a_partners_plan_tells_that_partner_only(
    couple, partner_a, partner_b, jordans_therapist
):
    signed(plan_with(couple=couple, partner=partner_a, responsible=jordans_therapist))

    [row] = Notification.objects.filter(kind=PLAN_SIGNED)
    assert row.recipient_id == partner_a.user_id


def test_signing_the_couple_plan_tells_both_partners_and_the_email_is_discreet(
    couple_plan, partner_a, partner_b
):
    rows = Notification.objects.filter(kind=PLAN_SIGNED)
    assert {row.recipient_id for row in rows} == {partner_a.user_id, partner_b.user_id}

    for row in rows:
        notification_send(notification_id=row.pk, now=NOW)

    assert len(mail.outbox) == 2
    for email in mail.outbox:
        html = "".join(content for content, _ in email.alternatives)
        text = f"{email.subject}\n{email.body}\n{html}\n{email.from_email}".lower()
        # The link's path is the page's address, behind the sign-in: the words are not.
        text = text.replace(page_url(couple_plan), "")
        for secret in ("treatment", "plan", "recovery", "drink", "sober", "rehab"):
            assert secret not in text, secret
        assert email.subject == "Something new to read on your portal"
        assert page_url(couple_plan) in email.body
    in_app = Notification.objects.filter(kind=PLAN_SIGNED, recipient=partner_a.user).get()
    assert in_app.status == Notification.Status.SENT


def test_an_acknowledged_plan_is_not_announced_any_more(jordan, partner_a, jordans_plan):
    acknowledge(jordan, jordans_plan)

    [row] = Notification.objects.filter(kind=PLAN_SIGNED, recipient=partner_a.user)
    notification_send(notification_id=row.pk, now=NOW)

    row.refresh_from_db()
    assert row.status == Notification.Status.WITHDRAWN
    assert row.status_note == "Acknowledged already"
    assert mail.outbox == []


# Queries


@pytest.mark.parametrize("problems", [1, 4])
def test_the_plan_page_reads_the_same_queries_however_long_the_plan(
    client,
    couple,
    partner_a,
    partner_b,
    jordans_therapist,
    problems,
    django_assert_max_num_queries,
):
    goal = GoalFactory(couple=couple, partner=partner_a)
    plan = signed(
        plan_with(
            couple=couple,
            partner=partner_a,
            responsible=jordans_therapist,
            problems=problems,
            recovery_goal=goal,
        )
    )
    client.force_login(partner_a.user)
    client.get(page_url(plan))  # the first request stamps the session

    # Measured 14 for both sizes: session, user with roles (the top bar's unread count comes
    # with it); the plan (mine or my couple's) with its partner and responsible, its signed
    # versions, the current one's acknowledgements; partner with couple and user, the
    # couple's partners; problems, goals (with recovery goals), objectives, interventions
    # (with their clinicians); the read's audit row: chain head (locked), the event, the
    # head's update.
    with django_assert_max_num_queries(14):
        response = client.get(page_url(plan))

    assert response.content.count(b"What we\xe2\x80\x99re working on") == problems


@pytest.mark.parametrize("with_couple_plan", [False, True])
def test_the_list_reads_the_same_queries_for_one_plan_or_two(
    jordan, request, jordans_plan, with_couple_plan, django_assert_num_queries
):
    if with_couple_plan:
        request.getfixturevalue("couple_plan")
    jordan.get(LIST)

    # session, user with roles, partner with couple and user, the couple's partners; the
    # plans with their responsible, their signed versions, the current ones'
    # acknowledgements.
    with django_assert_num_queries(7):
        response = jordan.get(LIST)

    assert len(response.context["rows"]) == (2 if with_couple_plan else 1)
