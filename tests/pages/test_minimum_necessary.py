"""Minimum necessary inside the care team (issue 17, finding 2): a clinician whose role covers
one partner (individual therapist, counselor, medical provider) sees that partner's own items
and the couple's shared items, never the other partner's own; the couples therapist sees both.

Daniel is Alex's individual therapist only; Maya is the couple's couples therapist.
"""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import Notification
from goals.models import CheckIn
from goals.notifications import CHECKINS_MISSED, checkins_missed_plan
from tests.auth import sign_in_with_mfa
from tests.factories import GoalFactory
from triage.services import reported_use_raise


@pytest.fixture
def daniel(alexs_therapist):
    return alexs_therapist


@pytest.fixture
def maya(couples_therapist):
    return couples_therapist


def _checkin(partner, days_ago: int, **fields) -> CheckIn:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    values = {"is_sober": True, "craving": 2, "mood": 3, "had_trust_discussion": False}
    values.update(fields)
    return CheckIn.objects.create(
        partner=partner, day=day, attended_meeting=False, recorded_on=day, **values
    )


@pytest.fixture
def records(couple, partner_a, partner_b):
    """Jordan's own goal and a worrying check-in; Alex's own goal; a shared goal."""
    _checkin(partner_a, 1, is_sober=False, craving=9, note="Had a drink after an argument.")
    _checkin(partner_b, 1, note="Went to a meeting with my sponsor.")
    return {
        "jordans_goal": GoalFactory(couple=couple, partner=partner_a, title="Jordan runs daily"),
        "alexs_goal": GoalFactory(couple=couple, partner=partner_b, title="Alex journals"),
        "shared_goal": GoalFactory(couple=couple, title="Sunday dinners together"),
    }


def test_one_partners_therapist_sees_the_shared_goals_and_their_patients_own_only(
    client, couple, daniel, records
):
    sign_in_with_mfa(client, daniel.user)

    page = client.get(f"/clinic/couples/{couple.pk}/goals/").text

    assert "Sunday dinners together" in page
    assert "Alex journals" in page
    assert "Jordan runs daily" not in page
    assert "Not shared with you" in page
    assert "New goal for Alex" in page and "New goal for Jordan" not in page


def test_the_couples_therapist_sees_both_partners_own_goals(client, couple, maya, records):
    sign_in_with_mfa(client, maya.user)

    page = client.get(f"/clinic/couples/{couple.pk}/goals/").text

    assert "Jordan runs daily" in page and "Alex journals" in page
    assert "Not shared with you" not in page


def test_the_other_partners_goal_is_an_audited_404(client, daniel, records, partner_a):
    sign_in_with_mfa(client, daniel.user)
    goal = records["jordans_goal"]

    assert client.get(f"/clinic/goals/{goal.pk}/").status_code == 404
    assert client.get(f"/clinic/goals/{records['alexs_goal'].pk}/").status_code == 200
    refused = AuditEvent.objects.get(actor=daniel.user, allowed=False)
    assert refused.detail == {"target_type": "goals.Goal", "target_id": str(goal.pk)}


def test_check_ins_show_only_the_covered_partner_and_the_read_names_only_them(
    client, couple, daniel, records, partner_a, partner_b
):
    sign_in_with_mfa(client, daniel.user)

    page = client.get(f"/clinic/couples/{couple.pk}/checkins/").text

    assert "Not shared with you." in page
    assert "9 of 10" not in page  # Jordan's craving
    reads = AuditEvent.objects.filter(actor=daniel.user, action=AuditEvent.Action.READ)
    assert {event.patient for event in reads} == {partner_b}
    client.force_login(partner_a.user)
    jordans_accounting = client.get("/portal/record-access/").context["rows"]
    assert not [row for row in jordans_accounting if row.who.startswith("Daniel")]


def test_check_in_notes_reach_the_clinicians_whose_role_covers_their_partner(
    client, couple, daniel, maya, records
):
    """What a partner writes in a check-in is for the care team that covers them (issue 19):
    the couples therapist reads both partners' notes, Alex's own therapist only Alex's."""
    sign_in_with_mfa(client, maya.user)
    mayas = client.get(f"/clinic/couples/{couple.pk}/checkins/").text
    client.logout()
    sign_in_with_mfa(client, daniel.user)
    daniels = client.get(f"/clinic/couples/{couple.pk}/checkins/").text

    assert "Had a drink after an argument." in mayas
    assert "Went to a meeting with my sponsor." in mayas
    assert "Went to a meeting with my sponsor." in daniels
    assert "Had a drink after an argument." not in daniels


def test_the_caseload_raises_only_the_covered_partners_alerts(
    client, daniel, maya, partner_a, records
):
    reported_use_raise(checkin=CheckIn.objects.get(partner=partner_a, is_sober=False))
    sign_in_with_mfa(client, daniel.user)
    daniels = client.get("/clinic/").text
    client.logout()
    sign_in_with_mfa(client, maya.user)
    mayas = client.get("/clinic/").text

    assert "Jordan reported a use" in mayas
    assert "Jordan reported a use" not in daniels


def test_missed_check_ins_alert_only_the_clinicians_who_cover_that_partner(
    couple, daniel, maya, partner_a, partner_b
):
    # Jordan last checked in five days ago; Alex yesterday.
    _checkin(partner_a, 5)
    _checkin(partner_b, 1)

    drafts = [d for d in checkins_missed_plan(timezone.now()) if d.kind == CHECKINS_MISSED]

    assert {draft.recipient_id for draft in drafts} == {maya.user_id}
    assert not Notification.objects.exists()  # planning writes nothing by itself
