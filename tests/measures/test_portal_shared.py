"""The other partner's questionnaire scores on the portal, shared by their consent: shown on
the measures page only while the consent in force shares them, each showing recorded in the
sharer's accounting of disclosures; nothing of them otherwise. The clinicians' rule is
unchanged.

Jordan (partner A) shares with Alex (partner B); Maya is their couples therapist, Daniel
Alex's individual therapist.
"""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.queries import couple_today
from measures import queries, services
from measures.models import MeasureResponse
from tests.factories import PartnerFactory
from tests.measures.test_portal import fill, phq9

pytestmark = pytest.mark.timeshift

LIST = "/portal/measures/"
HEADING = "Jordan's scores, shared with you"
PART2 = "42 CFR part 2 prohibits unauthorized use or disclosure"


def share(partner, *, measures=True, expires_on=None):
    return couple_services.consent_grant(
        partner=partner,
        shares_goals=not measures,
        shares_checkins=False,
        shares_measures=measures,
        expires_on=expires_on,
        by=partner.user,
    )


def disclosures(partner):
    return AuditEvent.objects.filter(action=AuditEvent.Action.DISCLOSE, patient=partner)


@pytest.fixture
def today(couple, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


@pytest.fixture
def alex(client, partner_a, partner_b, couples_therapist, alexs_therapist, today):
    """Alex (partner B) signed in on the portal."""
    client.force_login(partner_b.user)
    return client


@pytest.fixture
def jordans_scores(partner_a, today, time_machine):
    """Jordan's PHQ-9 four weeks ago (14) and now (7), a C-SSRS screen and an unfinished GAD-7."""
    now = timezone.now()
    time_machine.move_to(now - datetime.timedelta(weeks=4), tick=False)
    first = fill(partner_a, "phq9", phq9(14, item9=1))
    time_machine.move_to(now, tick=False)
    latest = fill(partner_a, "phq9", phq9(7))
    screen = services.response_start(
        partner=partner_a, instrument="cssrs", due_on=None, by=partner_a.user, follows=first
    )
    screen = services.response_complete(
        response=screen, answers={"q1": 0, "q2": 0, "q6": 0}, by=partner_a.user
    )
    unfinished = services.response_start(
        partner=partner_a, instrument="gad7", due_on=None, by=partner_a.user
    )
    return first, latest, screen, unfinished


def test_without_consent_nothing_hints_at_the_other_partners_scores(
    alex, partner_a, jordans_scores
):
    page = alex.get(LIST)

    assert page.context["shared"] is None
    assert "Jordan" not in page.text and PART2 not in page.text
    assert not disclosures(partner_a).exists()


def test_a_consent_for_goals_only_shows_no_scores(alex, partner_a, jordans_scores):
    share(partner_a, measures=False)

    page = alex.get(LIST)

    assert page.context["shared"] is None and HEADING not in page.text
    assert not disclosures(partner_a).exists()


def test_with_consent_the_other_partner_sees_the_scores_and_their_trend(
    alex, partner_a, partner_b, jordans_scores
):
    consent = share(partner_a)

    page = alex.get(LIST)

    assert HEADING in page.text and PART2 in page.text
    shared = page.context["shared"]
    assert shared.name == "Jordan"
    [phq] = shared.results  # the C-SSRS screen and the unfinished GAD-7 are not scores shown
    assert [row.total for row in phq.rows] == [7, 14]
    assert phq.change.startswith("7 points lower than their first (14 on ")
    assert phq.label.startswith("Jordan's PHQ-9, 2 times from ")
    assert "first 14, latest 7, on a scale of 0 to 27" in page.text
    # Alex's own results stay Alex's: none of them.
    assert page.context["results"] == []
    [event] = disclosures(partner_a)
    assert (event.actor, event.allowed) == (partner_b.user, True)
    assert event.detail == {"what": "questionnaire scores", "consent": consent.pk}


def test_each_showing_is_recorded_in_the_sharers_accounting(alex, partner_a, partner_b, today):
    share(partner_a)

    alex.get(LIST)
    alex.get(LIST)

    assert disclosures(partner_a).filter(actor=partner_b.user).count() == 2
    alex.logout()
    alex.force_login(partner_a.user)
    accounting = alex.get("/portal/record-access/")
    assert "Saw what I share" in accounting.text and "questionnaire scores" in accounting.text


def test_the_sharer_does_not_see_the_recipients_scores_in_return(
    client, partner_a, partner_b, today
):
    share(partner_a)
    fill(partner_b, "phq9", phq9(20))
    client.force_login(partner_a.user)

    page = client.get(LIST)

    assert page.context["shared"] is None and "Alex" not in page.text
    assert not disclosures(partner_b).exists()


def test_a_shared_section_without_scores_says_so(alex, partner_a):
    share(partner_a)

    page = alex.get(LIST)

    assert HEADING in page.text
    assert "Jordan has not finished a questionnaire yet." in page.text


def test_the_scores_go_when_the_consent_is_revoked(alex, partner_a, jordans_scores):
    consent = share(partner_a)
    assert HEADING in alex.get(LIST).text

    couple_services.consent_revoke(consent=consent, by=partner_a.user)

    page = alex.get(LIST)
    assert page.context["shared"] is None and "Jordan" not in page.text
    assert disclosures(partner_a).count() == 1


def test_the_scores_go_when_the_consent_expires(alex, partner_a, jordans_scores, time_machine):
    share(partner_a, expires_on=couple_today(couple=partner_a.couple))
    assert HEADING in alex.get(LIST).text

    time_machine.move_to(timezone.now() + datetime.timedelta(days=2), tick=False)

    assert HEADING not in alex.get(LIST).text


# Reading one response (measures.queries)


def test_under_consent_the_other_partner_reads_completed_scores_only(
    partner_a, partner_b, jordans_scores
):
    first, latest, screen, unfinished = jordans_scores
    share(partner_a)

    assert queries.may_read(user=partner_b.user, partner=partner_a)
    assert queries.response_get_for_user(user=partner_b.user, pk=latest.pk) == latest
    for hidden in (screen, unfinished):
        with pytest.raises(Http404):
            queries.response_get_for_user(user=partner_b.user, pk=hidden.pk)
    denied = AuditEvent.objects.filter(actor=partner_b.user, allowed=False)
    assert denied.count() == 2


def test_without_consent_reading_a_response_is_an_audited_404(partner_a, partner_b, jordans_scores):
    latest = jordans_scores[1]
    share(partner_a, measures=False)

    assert not queries.may_read(user=partner_b.user, partner=partner_a)
    with pytest.raises(Http404):
        queries.response_get_for_user(user=partner_b.user, pk=latest.pk)
    assert AuditEvent.objects.filter(actor=partner_b.user, allowed=False).count() == 1


def test_the_clinicians_rule_is_unchanged_by_a_consent(
    partner_a, partner_b, couples_therapist, alexs_therapist, jordans_scores
):
    latest = jordans_scores[1]
    assert queries.may_read(user=couples_therapist.user, partner=partner_a)
    assert not queries.may_read(user=alexs_therapist.user, partner=partner_a)

    share(partner_a)

    # Jordan shares with Alex, not with Alex's therapist.
    assert not queries.may_read(user=alexs_therapist.user, partner=partner_a)
    with pytest.raises(Http404):
        queries.response_get_for_user(user=alexs_therapist.user, pk=latest.pk)
    assert queries.may_read(user=couples_therapist.user, partner=partner_a)
    unfinished = jordans_scores[3]
    assert queries.response_get_for_user(user=couples_therapist.user, pk=unfinished.pk)
    assert queries.may_read(user=alexs_therapist.user, partner=partner_b)


def test_a_partner_of_another_couple_reads_nothing_whatever_the_consent(
    partner_a, partner_b, jordans_scores
):
    stranger = PartnerFactory()
    share(partner_a)

    assert not queries.may_read(user=stranger.user, partner=partner_a)


# Query counts


@pytest.mark.parametrize("count", [1, 12])
def test_the_shared_list_costs_the_same_queries_for_one_response_or_many(
    alex, partner_a, partner_b, today, count, django_assert_max_num_queries
):
    share(partner_a)
    for number in range(count):
        code = ("gad7", "csi4")[number % 2]
        fill(partner_a, code, {f"q{n}": "1" for n in range(1, 8)})
        fill(partner_b, code, {f"q{n}": "2" for n in range(1, 8)})
    alex.get(LIST)  # the first request stamps the session

    # Measured 11 for both: session; user with roles (and the top bar's unread count);
    # partner with couple and user; the couple's partners; Jordan's consent; the schedules;
    # the started ones; both partners' completed ones; the disclosure's audit row (the chain
    # head taken, the row, the head moved on).
    with django_assert_max_num_queries(11):
        page = alex.get(LIST)

    assert len(page.context["shared"].results) == (1 if count == 1 else 2)
    assert len(page.context["results"]) == (1 if count == 1 else 2)
    assert MeasureResponse.objects.filter(partner=partner_a).count() == count


def test_the_page_after_finishing_says_who_else_sees_the_scores(
    client, partner_a, partner_b, couples_therapist, today
):
    client.force_login(partner_a.user)
    phq = fill(partner_a, "phq9", phq9(5))
    assert "Your partner does not see them." in client.get(f"/portal/measures/done/{phq.pk}/").text

    share(partner_a)

    page = client.get(f"/portal/measures/done/{phq.pk}/").text
    assert "Alex sees your scores too (never your answers)" in page
    assert "Your partner does not see them." not in page


def test_the_clinic_page_of_a_shared_score_stays_the_clinicians(alex, partner_a, jordans_scores):
    latest = jordans_scores[1]
    path = f"/clinic/measures/{latest.pk}/"
    assert alex.get(path).status_code == 404

    share(partner_a)

    # Alex may read the score (on the portal), but the clinic page is a role Alex has not.
    assert alex.get(path).status_code == 403
