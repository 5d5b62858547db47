import datetime

import pytest
import time_machine
from django.utils import timezone

from audit import services as audit_services
from audit.models import AuditEvent
from couples import queries, services
from couples.models import CareAssignment, CareRole, SharingConsent
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory

pytestmark = pytest.mark.timeshift

HOME = "/portal/"
# The program, care team, sharing and coverage cards live on the More page (the home is today).
MORE = "/portal/more/"
SHARING = "/portal/sharing/"
REVOKE = "/portal/sharing/revoke/"
RECORD_ACCESS = "/portal/record-access/"


def grant(partner, **fields):
    fields = {"shares_goals": True, "shares_checkins": True, **fields}
    return services.consent_grant(partner=partner, by=partner.user, **fields)


@pytest.fixture
def jordan(client, partner_a, partner_b):
    """Jordan signed in, with Alex as partner."""
    client.force_login(partner_a.user)
    return client


@pytest.fixture
def care_team(couple, partner_a, partner_b):
    """Maya for the couple; Jordan and Alex each with their own therapist and counselor."""

    def clinician(name, **roles):
        return ClinicianFactory(user__first_name=name, can_be_couples_therapist=False, **roles)

    team = {
        "couples": ClinicianFactory(user__first_name="Maya", user__last_name="Chen"),
        "jordan_therapist": clinician("Daniel", can_be_individual_therapist=True),
        "jordan_counselor": clinician("Sam", can_be_counselor=True),
        "alex_therapist": clinician("Priya", can_be_individual_therapist=True),
        "alex_counselor": clinician("Ravi", can_be_counselor=True),
    }
    assignments = [
        (CareRole.COUPLES_THERAPIST, None, team["couples"]),
        (CareRole.INDIVIDUAL_THERAPIST, partner_a, team["jordan_therapist"]),
        (CareRole.COUNSELOR, partner_a, team["jordan_counselor"]),
        (CareRole.INDIVIDUAL_THERAPIST, partner_b, team["alex_therapist"]),
        (CareRole.COUNSELOR, partner_b, team["alex_counselor"]),
    ]
    for role, partner, person in assignments:
        services.care_team_assign(
            couple=couple, role=role, clinician=person, partner=partner, by=None
        )
    return team


# The More page: program, care team, sharing


def test_more_shows_my_care_team_but_not_my_partners_clinicians(jordan, care_team):
    response = jordan.get(MORE)

    team = response.text.split('id="team-heading"')[1].split("</section>")[0]
    assert "Maya Chen" in team and "Couples therapist" in team
    assert "Daniel" in team and "Individual therapist" in team
    assert "Sam" in team and "Drug &amp; alcohol counselor" in team
    assert "Priya" not in response.text
    assert "Ravi" not in response.text


def test_more_says_what_i_share_and_links_to_manage_it(jordan, partner_a):
    until = timezone.localdate() + datetime.timedelta(days=10)
    grant(partner_a, shares_goals=False, expires_on=until)

    response = jordan.get(MORE)

    sharing = response.text.split('id="sharing-heading"')[1].split("</section>")[0]
    assert "You are sharing your <strong>daily check-ins</strong> with Alex" in sharing
    assert until.strftime("%B %-d, %Y") in sharing
    assert f'href="{SHARING}"' in sharing


def test_more_says_when_nothing_is_shared(jordan):
    response = jordan.get(MORE)

    assert (
        "You are not sharing your individual goals, check-ins or questionnaire scores with Alex"
        in response.text
    )


def test_partners_find_sharing_and_record_access_under_more(jordan):
    response = jordan.get(MORE)

    assert f'href="{SHARING}"' in response.text
    assert f'href="{RECORD_ACCESS}"' in response.text


@pytest.mark.parametrize("url", [HOME, MORE, SHARING, RECORD_ACCESS])
def test_each_portal_page_has_exactly_one_main_heading_and_no_inline_style(jordan, url):
    response = jordan.get(url)

    assert response.status_code == 200
    assert response.text.count("<h1") == 1
    assert "style=" not in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize("url", [SHARING, RECORD_ACCESS])
def test_anonymous_visitors_are_sent_to_sign_in(client, db, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [SHARING, RECORD_ACCESS])
def test_a_clinician_cannot_open_portal_pages(client, clinician, url):
    sign_in_with_mfa(client, clinician.user)

    assert client.get(url).status_code == 403


# Consent page


def test_consent_page_explains_what_with_whom_why_until_when_and_how_to_stop(jordan):
    response = jordan.get(SHARING)

    assert response.status_code == 200
    text = response.text
    assert "What is shared" in text and "With whom" in text and "Alex" in text
    assert SharingConsent.DEFAULT_PURPOSE in text
    assert "Until when" in text and "How to stop" in text
    assert "42 CFR part 2 prohibits unauthorized use or disclosure" in text
    assert 'for="id_expires_on"' in text and 'for="id_shares_checkins"' in text


def test_granting_consent_saves_a_dated_record_and_redirects_with_a_message(
    jordan, partner_a, partner_b
):
    until = timezone.localdate() + datetime.timedelta(days=90)

    response = jordan.post(
        SHARING, {"shares_goals": "on", "expires_on": until.isoformat()}, follow=True
    )

    assert response.redirect_chain == [(SHARING, 302)]
    consent = SharingConsent.objects.get()
    assert (consent.partner, consent.recipient, consent.granted_by) == (
        partner_a,
        partner_b,
        partner_a.user,
    )
    assert (consent.shares_goals, consent.shares_checkins, consent.expires_on) == (
        True,
        False,
        until,
    )
    assert "You are now sharing your individual goals and progress with Alex" in response.text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, patient=partner_a, target_type="couples.SharingConsent"
    ).exists()


def test_an_end_date_in_the_past_is_refused_and_nothing_is_saved(jordan):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    response = jordan.post(SHARING, {"shares_goals": "on", "expires_on": yesterday.isoformat()})

    assert response.status_code == 200
    assert "The end date cannot be in the past." in response.text
    assert "is-invalid" in response.text
    assert not SharingConsent.objects.exists()


def test_sharing_nothing_is_refused_and_keeps_the_current_consent(jordan, partner_a):
    current = grant(partner_a)

    response = jordan.post(SHARING, {})

    assert response.status_code == 200
    assert "Choose at least one thing to share." in response.text
    assert list(SharingConsent.objects.all()) == [current]
    current.refresh_from_db()
    assert current.revoked_at is None


def test_a_crafted_post_cannot_grant_for_or_to_anyone_else(jordan, partner_a, partner_b):
    stranger = PartnerFactory()

    jordan.post(
        SHARING,
        {
            "shares_checkins": "on",
            "partner": partner_b.pk,
            "recipient": stranger.pk,
            "granted_by": partner_b.user.pk,
        },
    )

    consent = SharingConsent.objects.get()
    assert (consent.partner, consent.recipient, consent.granted_by) == (
        partner_a,
        partner_b,
        partner_a.user,
    )
    assert not partner_b.consents_given.exists()
    assert not stranger.consents_received.exists()


def test_changing_what_i_share_replaces_the_grant_and_keeps_the_old_one(jordan, partner_a):
    first = grant(partner_a)

    jordan.post(SHARING, {"shares_goals": "on"})

    first.refresh_from_db()
    assert first.revoked_at is not None
    current = queries.consent_active_for(partner=partner_a)
    assert (current.shares_goals, current.shares_checkins) == (True, False)


def test_the_form_starts_from_what_is_shared_now(jordan, partner_a):
    until = timezone.localdate() + datetime.timedelta(days=5)
    grant(partner_a, shares_checkins=False, expires_on=until)

    form = jordan.get(SHARING).context["form"]

    assert form.initial == {
        "shares_goals": True,
        "shares_checkins": False,
        "shares_measures": False,
        "expires_on": until,
    }


def test_revoking_stops_sharing_from_the_very_next_request(jordan, client, partner_a, partner_b):
    grant(partner_a)
    assert queries.individual_items_access(viewer=partner_b.user, owner=partner_a).goals

    response = jordan.post(REVOKE, follow=True)

    assert response.redirect_chain == [(SHARING, 302)]
    assert "You stopped sharing with Alex" in response.text
    assert queries.individual_items_access(viewer=partner_b.user, owner=partner_a) == (
        queries.NO_ACCESS
    )
    consent = SharingConsent.objects.get()
    assert consent.revoked_by == partner_a.user
    assert "Not sharing" not in response.text  # the page explains it in words
    assert "You stopped sharing on" in response.text


def test_revoking_is_post_only(jordan, partner_a):
    grant(partner_a)

    assert jordan.get(REVOKE).status_code == 405
    assert queries.consent_active_for(partner=partner_a) is not None


def test_revoking_with_nothing_shared_changes_nothing(jordan):
    response = jordan.post(REVOKE, follow=True)

    assert "You were not sharing anything" in response.text
    assert not AuditEvent.objects.filter(target_type="couples.SharingConsent").exists()


def test_a_partner_cannot_revoke_the_other_partners_consent(jordan, partner_b):
    alex_shares = grant(partner_b)

    jordan.post(REVOKE, {"consent": alex_shares.pk, "partner": partner_b.pk})

    alex_shares.refresh_from_db()
    assert alex_shares.revoked_at is None


def test_an_expired_consent_is_shown_as_ended(jordan, partner_a, partner_b):
    SharingConsent.objects.create(
        partner=partner_a,
        recipient=partner_b,
        granted_by=partner_a.user,
        granted_at=timezone.now() - datetime.timedelta(days=30),
        expires_on=timezone.localdate() - datetime.timedelta(days=2),
    )

    response = jordan.get(SHARING)

    assert "Your permission to share with Alex ended after" in response.text
    assert "Ended by itself after" in response.text
    assert f'action="{REVOKE}"' not in response.text


def test_history_lists_each_grant_and_revocation_with_dates(jordan, partner_a):
    first = grant(partner_a, shares_checkins=False)
    services.consent_revoke(consent=first, by=partner_a.user)
    grant(partner_a)

    history = jordan.get(SHARING).text.split('id="history-heading"')[1]

    assert history.count("you started sharing") == 2
    assert history.count("stopped sharing") == 1
    assert timezone.localdate().strftime("%B %-d, %Y") in history
    assert "Current" in history


def test_consent_page_uses_a_fixed_number_of_queries(
    jordan, partner_a, django_assert_max_num_queries
):
    for _ in range(10):
        grant(partner_a)
    jordan.get(SHARING)

    # session, user with roles, partner with couple and user, the couple's partners with
    # users, my consents with recipients and who granted and revoked them, the top bar's
    # unread notifications
    with django_assert_max_num_queries(6):
        assert jordan.get(SHARING).status_code == 200


# Record access


def test_record_access_lists_a_clinicians_read_of_my_record(
    jordan, client, care_team, couple, partner_a
):
    maya = care_team["couples"].user
    other = PartnerFactory()
    audit_services.audit_record(actor=maya, action=AuditEvent.Action.READ, patient=other)
    sign_in_with_mfa(client, maya)
    client.get(f"/clinic/couples/{couple.pk}/")
    client.force_login(partner_a.user)

    response = client.get(RECORD_ACCESS)

    assert response.status_code == 200
    assert response.context["rows"][0].who == "Maya Chen"
    assert response.context["rows"][0].role == "Clinician"
    assert response.context["rows"][0].what == "Opened my record"
    assert len(response.context["rows"]) == 1  # the read of another couple's partner is not mine


def test_record_access_names_my_partner_and_what_they_saw(jordan, partner_a, partner_b):
    consent = grant(partner_a)
    services.disclosure_record(
        viewer=partner_b.user,
        owner=partner_a,
        consent=consent,
        what="daily check-ins",
        request=None,
    )

    response = jordan.get(RECORD_ACCESS)

    assert "Alex" in response.text and "My partner" in response.text
    assert "Saw what I share: daily check-ins" in response.text


def test_record_access_leaves_out_my_own_actions_and_other_patients(
    jordan, partner_a, outsider, staff
):
    audit_services.audit_record(
        actor=partner_a.user, action=AuditEvent.Action.READ, patient=partner_a
    )
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.EXPORT, patient=outsider)

    response = jordan.get(RECORD_ACCESS)

    assert response.context["rows"] == []
    assert "Nobody else has opened your records yet." in response.text


def test_record_access_covers_three_years(jordan, partner_a, staff):
    three_years_and_a_day_ago = timezone.now() - datetime.timedelta(days=3 * 365 + 1)
    # The audit log is append-only, so the old event is written with the clock set back.
    with time_machine.travel(three_years_and_a_day_ago, tick=False):
        audit_services.audit_record(actor=staff, action=AuditEvent.Action.EXPORT, patient=partner_a)
    audit_services.audit_record(actor=staff, action=AuditEvent.Action.EXPORT, patient=partner_a)

    rows = jordan.get(RECORD_ACCESS).context["rows"]

    assert [row.role for row in rows] == ["Clinic staff"]


def test_record_access_shows_25_events_a_page(jordan, partner_a, staff):
    for _ in range(30):
        audit_services.audit_record(actor=staff, action=AuditEvent.Action.READ, patient=partner_a)

    first = jordan.get(RECORD_ACCESS)
    second = jordan.get(RECORD_ACCESS, {"page": 2})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 5
    assert "Page 1 of 2" in first.text and 'href="?page=2"' in first.text


@pytest.mark.parametrize("size", [5, 50])
def test_record_access_uses_a_fixed_number_of_queries(
    jordan, partner_a, partner_b, size, django_assert_max_num_queries
):
    clinician = ClinicianFactory()
    CareAssignment.objects.create(
        couple=partner_a.couple, clinician=clinician, role=CareRole.COUPLES_THERAPIST
    )
    consent = grant(partner_a)
    for index in range(size):
        actor = [clinician.user, partner_b.user][index % 2]
        audit_services.audit_record(
            actor=actor, action=AuditEvent.Action.DISCLOSE, patient=partner_a, target=consent
        )
    jordan.get(RECORD_ACCESS)

    # session, user with roles, partner with couple and user, the couple's partners with
    # users, count, one page of events with their actors and clinician profiles, the top
    # bar's unread notifications
    with django_assert_max_num_queries(7):
        assert jordan.get(RECORD_ACCESS).status_code == 200
