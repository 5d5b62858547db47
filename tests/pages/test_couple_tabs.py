"""The couple page's overview and tabs: each reads its own records, names the tab it is on,
and audits the read of both partners' records."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import Couple
from insurance.models import Coverage, Payer
from tests.couples.test_views_clinic import sign_in, treat
from tests.factories import ClinicianFactory, PartnerFactory

TABS = ["", "goals/", "checkins/", "sessions/", "measures/", "insurance/"]


def tab_url(couple, tab: str) -> str:
    return f"/clinic/couples/{couple.pk}/{tab}"


@pytest.fixture
def therapist_client(client, clinician, couple, partner_a, partner_b):
    treat(clinician, couple)
    sign_in(client, clinician.user)
    return client


def _coverage(partner, **fields) -> Coverage:
    payer = Payer.objects.get_or_create(name="Aetna PPO")[0]
    return Coverage.objects.create(
        partner=partner,
        payer=payer,
        member_id=fields.pop("member_id", f"M{partner.pk:05}"),
        subscriber_name="Sub Scriber",
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
        **fields,
    )


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_is_marked_current_in_the_nav_and_links_to_the_others(
    therapist_client, couple, tab
):
    page = therapist_client.get(tab_url(couple, tab)).text

    nav = page.split('aria-label="Couple record"')[1].split("</nav>")[0]
    assert nav.count('aria-current="page"') == 1
    assert f'href="{tab_url(couple, tab)}" aria-current="page"' in nav
    for other in TABS:
        assert f'href="{tab_url(couple, other)}"' in nav
    assert page.count("<h1") == 1 and "Jordan &amp; Alex" in page


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_audits_a_read_of_each_partners_record(
    therapist_client, clinician, couple, partner_a, partner_b, tab
):
    therapist_client.get(tab_url(couple, tab))

    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, allowed=True)
    assert sorted(event.patient_id for event in reads) == sorted([partner_a.pk, partner_b.pk])
    assert {event.actor_id for event in reads} == {clinician.user_id}


def test_the_overview_leaves_goals_check_ins_and_session_history_to_their_tabs(
    therapist_client, couple
):
    page = therapist_client.get(tab_url(couple, "")).text

    assert 'id="partners-heading"' in page and 'id="team-heading"' in page
    assert "hours this week" in page and "Next session:" in page
    assert f'none booked. <a href="/clinic/sessions/new/?couple={couple.pk}">' in page
    for heading in ("goals-heading", "checkins-heading", "sessions-heading"):
        assert f'id="{heading}"' not in page


def test_the_insurance_tab_shows_each_partners_own_coverage(
    therapist_client, couple, partner_a, partner_b
):
    _coverage(
        partner_a,
        member_id="JORDAN-1",
        status=Coverage.Status.VERIFIED,
        verified_at=timezone.now(),
        verification_method=Coverage.Method.PHONE,
        reference_number="REF-1",
    )
    other_couple = PartnerFactory()
    _coverage(other_couple, member_id="SOMEONE-ELSE")

    page = therapist_client.get(tab_url(couple, "insurance/")).text

    jordan = page.split("Jordan’s coverage")[1].split("Alex’s coverage")[0]
    alex = page.split("Alex’s coverage")[1]
    assert "JORDAN-1" in jordan and "Verified." in jordan
    assert "No insurance on file." in alex
    assert "SOMEONE-ELSE" not in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_insurance_tab_takes_the_same_queries_however_many_coverages(
    therapist_client, couple, partner_a, partner_b, count, django_assert_num_queries
):
    for number in range(count):
        for partner in (partner_a, partner_b):
            _coverage(partner, member_id=f"M-{partner.pk}-{number}")
    therapist_client.get(tab_url(couple, "insurance/"))

    # session, user (the top bar's unread count comes with it), couple, partners; the audit
    # rows (lock the chain head, insert, move the head); both partners' coverages with
    # payers, their benefits.
    with django_assert_num_queries(9):
        assert therapist_client.get(tab_url(couple, "insurance/")).status_code == 200


def test_an_off_team_clinician_gets_the_audited_404_on_every_tab(client, couple, partner_a):
    outsider = ClinicianFactory()
    sign_in(client, outsider.user)

    for tab in TABS:
        assert client.get(tab_url(couple, tab)).status_code == 404
    denied = AuditEvent.objects.filter(allowed=False, actor=outsider.user)
    assert denied.count() == len(TABS)


@pytest.mark.parametrize("tab", TABS)
def test_a_couple_without_partners_yet_has_every_tab(client, clinician, tab):
    couple = Couple.objects.create()
    treat(clinician, couple)
    sign_in(client, clinician.user)

    assert client.get(tab_url(couple, tab)).status_code == 200
