"""A partner's consent may share their questionnaire scores (measures) with the other partner:
offered unticked on the sharing page, recorded in the grant, its Part 2 statement and its
history, and stopped by a revocation or an expiry.

Jordan (partner A) shares with Alex (partner B).
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from couples import queries, services
from couples.models import SharingConsent

pytestmark = pytest.mark.timeshift

SHARING = "/portal/sharing/"
REVOKE = "/portal/sharing/revoke/"
MORE = "/portal/more/"


@pytest.fixture
def jordan(client, partner_a, partner_b):
    client.force_login(partner_a.user)
    return client


def test_the_form_offers_scores_unticked_in_words_a_partner_understands(jordan):
    page = jordan.get(SHARING)

    form = page.context["form"]
    assert form.initial.get("shares_measures", False) is False
    assert form["shares_measures"].label == (
        "Share my questionnaire scores (such as PHQ-9 and GAD-7)"
    )
    assert "Never your answer to each question" in page.text
    box = page.text.split('name="shares_measures"')[0].rsplit("<input", 1)[1]
    box += page.text.split('name="shares_measures"')[1].split(">", 1)[0]
    assert "checked" not in box


def test_choosing_scores_records_them_in_the_grant_its_statement_and_history(
    jordan, partner_a, partner_b
):
    response = jordan.post(SHARING, {"shares_checkins": "on", "shares_measures": "on"}, follow=True)

    consent = SharingConsent.objects.get()
    assert (consent.shares_goals, consent.shares_checkins, consent.shares_measures) == (
        False,
        True,
        True,
    )
    assert consent.scope_labels == ["daily check-ins", "questionnaire scores"]
    statement = "You are now sharing your daily check-ins and questionnaire scores with Alex"
    assert statement in response.text
    # "Right now" and the history say it too.
    assert "<strong>daily check-ins and questionnaire scores</strong>" in response.text
    assert "you started sharing your\n            daily check-ins and questionnaire scores" in (
        response.text
    )
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, patient=partner_a)
    assert event.detail["shares"] == ["daily check-ins", "questionnaire scores"]
    access = queries.individual_items_access(viewer=partner_b.user, owner=partner_a)
    assert (access.goals, access.checkins, access.measures) == (False, True, True)
    assert access.consent == consent


def test_all_three_read_as_one_sentence(partner_a, partner_b):
    consent = services.consent_grant(
        partner=partner_a,
        shares_goals=True,
        shares_checkins=True,
        shares_measures=True,
        by=partner_a.user,
    )

    assert consent.scope_words == (
        "individual goals and progress, daily check-ins and questionnaire scores"
    )


def test_scores_alone_are_something_to_share(jordan, partner_a):
    jordan.post(SHARING, {"shares_measures": "on"})

    consent = SharingConsent.objects.get()
    assert (consent.shares_goals, consent.shares_checkins, consent.shares_measures) == (
        False,
        False,
        True,
    )


def test_the_database_refuses_a_consent_that_shares_nothing(partner_a, partner_b):
    with pytest.raises(ValidationError, match="Choose at least one thing to share"):
        services.consent_grant(
            partner=partner_a, shares_goals=False, shares_checkins=False, by=partner_a.user
        )
    row = SharingConsent(
        partner=partner_a,
        recipient=partner_b,
        shares_goals=False,
        shares_checkins=False,
        shares_measures=False,
        granted_by=partner_a.user,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_goals_and_checkins_do_not_share_scores(partner_a, partner_b):
    services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    assert not queries.individual_items_access(viewer=partner_b.user, owner=partner_a).measures


def test_ticking_scores_on_replaces_the_grant_and_keeps_the_old_one(jordan, partner_a):
    first = services.consent_grant(
        partner=partner_a, shares_goals=True, shares_checkins=True, by=partner_a.user
    )

    jordan.post(SHARING, {"shares_goals": "on", "shares_checkins": "on", "shares_measures": "on"})

    first.refresh_from_db()
    assert first.revoked_at is not None and not first.shares_measures
    current = queries.consent_active_for(partner=partner_a)
    assert current.shares_measures
    assert jordan.get(SHARING).context["form"].initial["shares_measures"] is True


def test_a_revocation_stops_sharing_scores_at_once(jordan, partner_a, partner_b):
    jordan.post(SHARING, {"shares_measures": "on"})
    assert queries.individual_items_access(viewer=partner_b.user, owner=partner_a).measures

    response = jordan.post(REVOKE, follow=True)

    assert queries.individual_items_access(viewer=partner_b.user, owner=partner_a) == (
        queries.NO_ACCESS
    )
    assert "stopped sharing" in response.text


def test_an_expired_consent_stops_sharing_scores_by_itself(partner_a, partner_b, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    today = queries.couple_today(couple=partner_a.couple)
    services.consent_grant(
        partner=partner_a,
        shares_goals=False,
        shares_checkins=False,
        shares_measures=True,
        expires_on=today,
        by=partner_a.user,
    )
    assert queries.individual_items_access(viewer=partner_b.user, owner=partner_a).measures

    time_machine.move_to(timezone.now() + datetime.timedelta(days=2), tick=False)

    assert not queries.individual_items_access(viewer=partner_b.user, owner=partner_a).measures


def test_the_partner_themself_and_the_care_team_read_scores_without_consent(
    partner_a, partner_b, couples_therapist, alexs_therapist
):
    assert queries.individual_items_access(viewer=partner_a.user, owner=partner_a).measures
    assert queries.individual_items_access(viewer=couples_therapist.user, owner=partner_a).measures
    # Alex's own therapist does not cover Jordan, consent or not.
    services.consent_grant(
        partner=partner_a,
        shares_goals=False,
        shares_checkins=False,
        shares_measures=True,
        by=partner_a.user,
    )
    assert not queries.individual_items_access(
        viewer=alexs_therapist.user, owner=partner_a
    ).measures
