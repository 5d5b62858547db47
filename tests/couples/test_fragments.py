"""Kept parts of pages: shown again only while nothing they show has changed."""

import datetime
import re

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone
from django.utils.csp import LazyNonce
from django.utils.safestring import SafeString

from audit.models import AuditEvent
from couples import fragments
from couples.models import CareAssignment, CareRole
from goals import services as goal_services
from sessions import services as session_services
from sessions.models import SessionKind
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory

pytestmark = pytest.mark.django_db

CASELOAD = "/clinic/"


def sign_in(client, user):
    from tests.couples.test_views_clinic import sign_in as clinic_sign_in

    return clinic_sign_in(client, user)


@pytest.fixture
def therapist(clinician, couple, partner_a, partner_b):
    CareAssignment.objects.create(
        couple=couple, clinician=clinician, role=CareRole.COUPLES_THERAPIST
    )
    couple.status = couple.Status.ACTIVE
    couple.admitted_on = timezone.localdate() - datetime.timedelta(days=3)
    couple.save()
    return clinician


def report(partner, **fields):
    values = {
        "day": timezone.localdate(),
        "is_sober": True,
        "craving": 1,
        "mood": 4,
        "had_trust_discussion": True,
        "attended_meeting": False,
    } | fields
    return goal_services.checkin_record(partner=partner, **values)


def test_a_reported_use_reaches_the_caseload_on_the_next_view(client, therapist, partner_a):
    sign_in(client, therapist.user)
    report(partner_a)
    assert "reported a use" not in client.get(CASELOAD).text
    assert "reported a use" not in client.get(CASELOAD).text  # kept

    report(partner_a, is_sober=False)

    assert "Jordan reported a use" in client.get(CASELOAD).text


def test_each_clinician_gets_rows_of_their_own(client, therapist, couple, partner_a):
    counselor = ClinicianFactory(can_be_couples_therapist=False, can_be_counselor=True)
    CareAssignment.objects.create(
        couple=couple, clinician=counselor, role=CareRole.COUNSELOR, partner=partner_a
    )
    sign_in(client, therapist.user)
    assert "Couples therapist" in client.get(CASELOAD).text

    other = Client()
    sign_in(other, counselor.user)
    row = other.get(CASELOAD).text
    assert "Drug &amp; alcohol counselor for Jordan" in row
    assert "Couples therapist" not in re.sub(r"<p class=\"text-body-secondary\">.*?</p>", "", row)


def test_the_next_session_is_shown_until_it_ends(client, therapist, couple):
    start = timezone.now() + datetime.timedelta(minutes=90)
    session = session_services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=therapist,
        couple=couple,
        starts_at=start,
        duration_minutes=60,
        by=therapist.user,
    )
    sign_in(client, therapist.user)
    client.get(CASELOAD)
    key = next(iter(fragments.fragment_cache()._cache))  # the only kept part
    # Kept for no longer than the session lasts (and never beyond the cap).
    expires = fragments.fragment_cache()._expire_info[key]
    assert expires <= session.ends_at.timestamp() + 1


def test_a_part_is_not_kept_once_it_no_longer_holds(settings):
    calls = []
    past = timezone.now() - datetime.timedelta(seconds=1)

    def render(ids):
        calls.append(ids)
        return {pk: fragments.Rendered(parts={"x": "<p>x</p>"}, valid_until=past) for pk in ids}

    keys = {1: "test-part:1"}
    fragments.fragments_get_or_render(keys, render)
    fragments.fragments_get_or_render(keys, render)
    assert calls == [[1], [1]]


def test_only_missing_couples_are_rendered():
    calls = []

    def render(ids):
        calls.append(ids)
        return {pk: fragments.Rendered(parts={"x": f"<p>{pk}</p>"}) for pk in ids}

    fragments.fragments_get_or_render({1: "t:1"}, render)
    parts = fragments.fragments_get_or_render({1: "t:1", 2: "t:2"}, render)
    assert calls == [[1], [2]]
    assert parts == {1: {"x": "<p>1</p>"}, 2: {"x": "<p>2</p>"}}


def test_nothing_is_kept_when_the_cap_is_zero(settings):
    settings.FRAGMENT_CACHE_SECONDS = 0
    calls = []

    def render(ids):
        calls.append(ids)
        return {pk: fragments.Rendered(parts={"x": "x"}) for pk in ids}

    fragments.fragments_get_or_render({1: "t:1"}, render)
    fragments.fragments_get_or_render({1: "t:1"}, render)
    assert calls == [[1], [1]]


def test_kept_forms_get_the_token_of_whoever_asks():
    request = RequestFactory().get("/")
    html = f'<input name="csrfmiddlewaretoken" value="{fragments.CSRF_PLACEHOLDER}">'
    first = fragments.with_request_tokens(html, request)
    assert fragments.CSRF_PLACEHOLDER not in first
    assert re.fullmatch(r'<input name="csrfmiddlewaretoken" value="[\w-]{64}">', first)


def test_the_portal_homes_forms_work_when_the_page_was_kept(couple, partner_a, partner_b):
    goal = GoalFactory(couple=couple)
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_a.user)
    client.get("/portal/")
    page = client.get("/portal/").text  # kept
    assert fragments.CSRF_PLACEHOLDER not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    day = timezone.localdate().isoformat()
    response = client.post(
        f"/portal/goals/{goal.pk}/log/",
        {"csrfmiddlewaretoken": token, "day": day, "value": "1", "next": "/portal/"},
    )
    assert response.status_code == 302
    assert "Today: <strong>Done</strong>" in client.get("/portal/").text


def test_every_opening_of_a_kept_couple_page_is_audited(client, therapist, couple):
    sign_in(client, therapist.user)
    url = f"/clinic/couples/{couple.pk}/"
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=therapist.user)
    client.get(url)
    opened_once = reads.count()
    client.get(url)
    assert opened_once > 0
    assert reads.count() == 2 * opened_once


def test_a_kept_couple_page_is_the_page_drawn_and_audits_each_partner_it_shows(
    client, therapist, couple, partner_a, partner_b
):
    sign_in(client, therapist.user)
    url = f"/clinic/couples/{couple.pk}/"
    token = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

    drawn = client.get(url)
    kept = client.get(url)

    assert drawn.templates and not any(
        template.name.endswith("#couple-content") for template in kept.templates
    )
    assert token.sub("", kept.text) == token.sub("", drawn.text)
    title = f"{partner_a.display_name} &amp; {partner_b.display_name}"
    assert f"<title>{title}" in kept.text
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, actor=therapist.user)
    patients = sorted([partner_a.pk, partner_b.pk])
    assert sorted(reads.values_list("patient_id", flat=True)) == sorted(patients * 2)


def test_a_kept_couple_page_is_no_one_elses(client, therapist, couple):
    sign_in(client, therapist.user)
    client.get(f"/clinic/couples/{couple.pk}/")  # kept now
    outsider = PartnerFactory()
    other = Client()
    other.force_login(outsider.user)
    assert other.get(f"/clinic/couples/{couple.pk}/").status_code == 404
    stranger = ClinicianFactory()
    sign_in(other, stranger.user)
    assert other.get(f"/clinic/couples/{couple.pk}/").status_code == 404


def test_a_couple_page_shows_a_new_check_in_at_once(client, therapist, couple, partner_a):
    sign_in(client, therapist.user)
    url = f"/clinic/couples/{couple.pk}/"
    assert "Reported a use" not in client.get(url).text
    report(partner_a, is_sober=False)
    assert "Reported a use" in client.get(url).text


def test_kept_tags_get_the_csp_nonce_of_the_request_they_serve():
    html = f'<script nonce="{fragments.NONCE_PLACEHOLDER}"></script>'
    request = RequestFactory().get("/")
    request._csp_nonce = LazyNonce()

    assert fragments.with_request_tokens(html, request) == (
        f'<script nonce="{request._csp_nonce}"></script>'
    )
    assert fragments.request_token_placeholders(request)["csp_nonce"] == fragments.NONCE_PLACEHOLDER
    # Without the CSP middleware's nonce, the attribute is left empty rather than wrong.
    assert fragments.with_request_tokens(html, RequestFactory().get("/")) == (
        '<script nonce=""></script>'
    )


def test_plain_values_are_kept_with_the_parts_and_not_marked_safe():
    def render(ids):
        return {
            pk: fragments.Rendered(parts={"x": "<p>x</p>"}, data={"ids": [7, 8], "name": "<b>"})
            for pk in ids
        }

    fragments.fragments_get_or_render({1: "t:1"}, render)
    kept = fragments.fragments_get_or_render({1: "t:1"}, lambda ids: {})[1]

    assert kept == {"x": "<p>x</p>", "ids": [7, 8], "name": "<b>"}
    assert isinstance(kept["x"], SafeString)
    assert not isinstance(kept["name"], SafeString)
