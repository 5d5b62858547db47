"""The care team's measures: the couple page's Measures tab (trends with their bands, the change
since the first one, CSI-4 side by side, what is due), the schedule, a measure given in session
and one response's answers. Only for the clinicians whose role covers the partner.

Maya is the couples therapist (both partners); Daniel is Alex's individual therapist only.
"""

import datetime
import re

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples.queries import couple_today
from measures import charts, services
from measures.instruments import BAM, CSI4, GAD7, INSTRUMENTS, PHQ9
from measures.models import MeasureResponse, MeasureSchedule
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, PartnerFactory
from triage import services as triage_services
from triage.models import TriageItem


@pytest.fixture
def today(couple, time_machine):
    # Hold the clock: a day that turns mid-test would move the due dates under it.
    time_machine.move_to(timezone.now(), tick=False)
    return couple_today(couple=couple)


@pytest.fixture
def maya(client, couples_therapist, partner_a, partner_b):
    sign_in_with_mfa(client, couples_therapist.user)
    return couples_therapist


@pytest.fixture
def daniel(client, alexs_therapist, partner_a):
    sign_in_with_mfa(client, alexs_therapist.user)
    return alexs_therapist


def tab(couple) -> str:
    return f"/clinic/couples/{couple.pk}/measures/"


def schedule_url(partner) -> str:
    return f"/clinic/couples/{partner.couple_id}/measures/partner/{partner.pk}/schedule/"


def enter_url(partner, code: str) -> str:
    return f"/clinic/couples/{partner.couple_id}/measures/partner/{partner.pk}/{code}/enter/"


def scored(partner, code: str, total: int, *, days_ago: int, by=None, **fields):
    """A completed response as the service leaves it, `days_ago` days back."""
    band = INSTRUMENTS[code].band_of(total)
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return MeasureResponse.objects.create(
        couple=partner.couple,
        partner=partner,
        instrument=code,
        status=MeasureResponse.Status.COMPLETED,
        started_at=at,
        completed_at=at,
        total=total,
        band_label=band.label if band else "",
        band_level=band.level if band else None,
        entered_by=by,
        **fields,
    )


def phq9_answers(*, item9: int = 0, each: int = 1) -> dict[str, str]:
    return {**{f"q{n}": str(each) for n in range(1, 9)}, "q9": str(item9)}


def section(page: str, name: str) -> str:
    """The part of the tab about one partner."""
    return page.split(f"{name}’s measures</h2>")[1].split("’s measures</h2>")[0]


# The tab


def test_the_tab_draws_each_trend_over_its_bands_with_the_latest_band_and_the_change(
    client, maya, couple, partner_a
):
    scored(partner_a, "phq9", 18, days_ago=30)
    scored(partner_a, "phq9", 12, days_ago=15)
    scored(partner_a, "phq9", 9, days_ago=1)

    page = client.get(tab(couple)).text

    jordan = section(page, "Jordan")
    chart = re.search(r"<svg[^>]*aria-label=\"Jordan&#x27;s PHQ-9.*?</svg>", jordan, re.S)[0]
    for band in PHQ9.bands:
        assert f'fill="{charts.BAND_FILLS[band.level]}"' in chart
        assert f"{band.label} ({band.low}–{band.high})" in jordan
    assert chart.count("<circle") == 3 and "first 18, latest 9 (mild)" in chart
    assert ">27</text>" in chart and ">0</text>" in chart  # the vertical axis' labels
    assert re.search(r'Latest total <strong>9</strong>\s*<span class="badge [^"]*">Mild<', jordan)
    assert "Down 9 points from the baseline of 18" in jordan
    assert "A clinically meaningful improvement (5 points or more)." in jordan
    assert "Meaningful improvement</span>" in jordan
    assert jordan.count("Jordan, on the portal") == 3  # the table, one row each


def test_a_worsening_of_the_meaningful_change_is_named_and_a_smaller_one_is_not(
    client, maya, couple, partner_a, partner_b
):
    scored(partner_a, "gad7", 3, days_ago=20)
    scored(partner_a, "gad7", 7, days_ago=2)
    scored(partner_b, "gad7", 4, days_ago=20)
    scored(partner_b, "gad7", 7, days_ago=2)

    page = client.get(tab(couple)).text

    assert "Up 4 points from the baseline of 3" in section(page, "Jordan")
    assert "A clinically meaningful worsening (4 points or more)." in section(page, "Jordan")
    assert "Up 3 points from the baseline of 4" in section(page, "Alex")
    assert "Less than the 4 points that is clinically meaningful." in section(page, "Alex")


def test_bam_shows_use_risk_and_protective_and_who_entered_it_in_session(
    client, maya, couple, partner_a
):
    subscales = {"Use": 2, "Risk": 13, "Protective": 10}
    scored(partner_a, "bam", 13, days_ago=3, by=maya.user, subscales=subscales, flags=["use"])

    jordan = section(client.get(tab(couple)).text, "Jordan")

    assert (
        "Use <strong>2</strong> · Risk <strong>13</strong> · Protective <strong>10</strong>"
        in jordan
    )
    assert '<th scope="col">Use</th><th scope="col">Risk</th>' in jordan
    assert f"{maya.user.get_full_name()}, in session" in jordan
    assert "At or above the risk cut-off" in jordan and "Use reported" in jordan
    assert 'width="7" height="7" fill="#ffffff"' in jordan  # a square: given in session
    assert "No published threshold" not in jordan and "Baseline only: 13" in jordan


def test_csi4_of_both_partners_side_by_side_with_how_far_apart_they_are(
    client, maya, couple, partner_a, partner_b
):
    scored(partner_a, "csi4", 12, days_ago=40)
    scored(partner_a, "csi4", 16, days_ago=2)
    scored(partner_b, "csi4", 9, days_ago=3)

    page = client.get(tab(couple)).text

    side_by_side = page.split('id="satisfaction-heading"')[1].split("</section>")[0]
    assert "Jordan and Alex see the relationship 7 points apart" in side_by_side
    assert "Divergence 7" in side_by_side
    assert re.search(r"Jordan</th>\s*<td><a [^>]*>16<", side_by_side)
    assert re.search(r"Alex</th>\s*<td><a [^>]*>9<", side_by_side)
    # Higher is better on the CSI-4: up is an improvement, with no published threshold.
    assert "Up 4 points from the baseline of 12 on" in section(page, "Jordan")
    assert "(better). No published threshold" in section(page, "Jordan")


def test_csi4_side_by_side_waits_for_both_partners(client, maya, couple, partner_a):
    scored(partner_a, "csi4", 16, days_ago=2)

    page = client.get(tab(couple)).text

    assert "once each has filled one" in page and "Divergence" not in page


def test_what_is_due_and_overdue_for_each_partner(client, maya, couple, partner_a, today):
    for code, starts in (("phq9", 10), ("gad7", 1)):
        services.schedule_set(
            partner=partner_a,
            instrument=code,
            cadence="weekly",
            starts_on=today - datetime.timedelta(days=starts),
            by=maya.user,
        )

    jordan = section(client.get(tab(couple)).text, "Jordan")

    due = jordan.split("Due now</h3>")[1].split("</ul>")[0]
    phq9, gad7 = due.split("</li>")[:2]
    assert "PHQ-9, due" in phq9 and "Overdue" in phq9
    assert "GAD-7, due" in gad7 and "Overdue" not in gad7
    assert "Every week from" in jordan and "set by Maya" in jordan


def test_alexs_therapist_sees_alexs_measures_and_jordans_are_neither_shown_nor_read(
    client, daniel, couple, partner_a, partner_b
):
    scored(partner_a, "phq9", 21, days_ago=2)
    scored(partner_a, "csi4", 16, days_ago=2)
    scored(partner_b, "phq9", 7, days_ago=2)
    scored(partner_b, "csi4", 9, days_ago=2)

    page = client.get(tab(couple)).text

    jordan, alex = section(page, "Jordan"), section(page, "Alex")
    assert "Not shared with you" in jordan and "<svg" not in jordan and "PHQ-9" not in jordan
    assert 'card-title">PHQ-9</h4>' in alex and "<strong>7</strong>" in alex
    assert f"/partner/{partner_a.pk}/" not in page  # no schedule nor entry for Jordan
    assert 'id="satisfaction-heading"' not in page  # comparing would read Jordan's
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, allowed=True)
    assert [event.patient_id for event in reads] == [partner_b.pk]


def test_the_couples_therapists_tab_audits_a_read_of_both_partners(
    client, maya, couple, partner_a, partner_b
):
    client.get(tab(couple))

    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, allowed=True)
    assert sorted(event.patient_id for event in reads) == sorted([partner_a.pk, partner_b.pk])


def test_an_off_team_clinician_gets_the_audited_404(client, couple, partner_a):
    outsider = ClinicianFactory()
    sign_in_with_mfa(client, outsider.user)

    assert client.get(tab(couple)).status_code == 404
    assert AuditEvent.objects.filter(actor=outsider.user, allowed=False).exists()


@pytest.mark.parametrize("count", [1, 30])
def test_the_tab_takes_the_same_queries_however_many_responses(
    client, maya, couple, partner_a, partner_b, today, count, django_assert_num_queries
):
    for code in ("phq9", "csi4"):
        services.schedule_set(
            partner=partner_a, instrument=code, cadence="weekly", starts_on=today, by=maya.user
        )
    for number in range(count):
        for partner in (partner_a, partner_b):
            scored(partner, "phq9", number % 27, days_ago=number, by=maya.user)
            subscales = {"Use": 0, "Risk": number % 24, "Protective": 14}
            scored(partner, "bam", number % 24, days_ago=number, subscales=subscales)
            scored(partner, "csi4", number % 21, days_ago=number)
    client.get(tab(couple))

    # session, user, couple, partners, Maya's coverage; the audit rows (lock the chain head,
    # insert, move the head); the completed responses with who entered them, the current
    # schedules with who set them, and what is due (the schedules, the responses since).
    with django_assert_num_queries(12):
        assert client.get(tab(couple)).status_code == 200


# The schedule


def test_setting_changing_and_stopping_a_schedule_keeps_its_history(
    client, maya, couple, partner_a, today
):
    starts = today + datetime.timedelta(days=2)
    answer = client.post(
        schedule_url(partner_a),
        {"instrument": "phq9", "cadence": "weekly", "starts_on": starts.isoformat()},
    )

    assert answer.status_code == 302
    assert answer["Location"] == f"{tab(couple)}#schedule-{partner_a.pk}"
    current = MeasureSchedule.objects.get(partner=partner_a, ended_at__isnull=True)
    assert (current.instrument, current.cadence, current.starts_on) == ("phq9", "weekly", starts)
    assert current.set_by == maya.user

    client.post(
        schedule_url(partner_a),
        {"instrument": "phq9", "cadence": "fortnightly", "starts_on": today.isoformat()},
    )
    page = client.get(tab(couple)).text
    assert "Jordan is asked to fill the PHQ-9 every two weeks from" in page
    assert MeasureSchedule.objects.get(ended_at__isnull=True).cadence == "fortnightly"

    client.post(schedule_url(partner_a), {"instrument": "phq9", "cadence": "none"})

    assert not MeasureSchedule.objects.filter(ended_at__isnull=True).exists()
    history = MeasureSchedule.objects.order_by("set_at", "pk")
    assert [row.cadence for row in history] == ["weekly", "fortnightly"]
    assert all(row.ended_at is not None for row in history)
    assert "Jordan is no longer asked to fill the PHQ-9." in client.get(tab(couple)).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"instrument": "phq9", "cadence": "weekly", "starts_on": "+120"}, "Start within 90"),
        ({"instrument": "phq9", "cadence": "weekly", "starts_on": "2200-01-01"}, "Start within"),
        ({"instrument": "phq9", "cadence": "daily", "starts_on": "+0"}, "Choose how often"),
        ({"instrument": "cssrs", "cadence": "weekly", "starts_on": "+0"}, "scheduled measures"),
        ({"instrument": "phq9", "cadence": "weekly", "starts_on": ""}, "the day it starts"),
    ],
)
def test_bad_schedule_input_says_why_and_changes_nothing(
    client, maya, couple, partner_a, today, data, message
):
    services.schedule_set(
        partner=partner_a, instrument="phq9", cadence="once", starts_on=today, by=maya.user
    )
    if data["starts_on"].startswith("+"):
        days = int(data["starts_on"][1:])
        data = {**data, "starts_on": (today + datetime.timedelta(days=days)).isoformat()}
    before = list(MeasureSchedule.objects.values_list("pk", "cadence", "ended_at"))

    answer = client.post(schedule_url(partner_a), data, follow=True)

    assert "schedule not changed" in answer.text.lower()
    assert message in answer.text
    assert list(MeasureSchedule.objects.values_list("pk", "cadence", "ended_at")) == before


def test_alexs_therapist_may_schedule_alex_and_gets_the_audited_404_for_jordan(
    client, daniel, couple, partner_a, partner_b, today
):
    data = {"instrument": "bam", "cadence": "weekly", "starts_on": today.isoformat()}

    assert client.post(schedule_url(partner_a), data).status_code == 404
    assert AuditEvent.objects.filter(actor=daniel.user, allowed=False).exists()
    assert client.post(schedule_url(partner_b), data).status_code == 302
    assert MeasureSchedule.objects.get().partner == partner_b


def test_a_partner_of_another_couple_named_in_the_url_is_the_audited_404(
    client, maya, couple, partner_a, today
):
    stranger = PartnerFactory()
    data = {"instrument": "bam", "cadence": "weekly", "starts_on": today.isoformat()}
    url = f"/clinic/couples/{couple.pk}/measures/partner/{stranger.pk}/schedule/"

    assert client.post(url, data).status_code == 404
    assert not MeasureSchedule.objects.exists()


# Given in session


@pytest.mark.parametrize("instrument", [PHQ9, GAD7, BAM, CSI4, INSTRUMENTS["cssrs"]])
def test_the_entry_form_asks_every_item(client, maya, partner_a, instrument):
    page = client.get(enter_url(partner_a, instrument.code)).text

    for item in instrument.items:
        assert f'name="{item.key}"' in page
    assert page.count('type="radio"') == sum(len(item.choices) for item in instrument.items)


def test_a_measure_given_in_session_is_scored_and_records_who_entered_it(client, maya, partner_a):
    answer = client.post(enter_url(partner_a, "phq9"), {**phq9_answers(each=1), "q10": "1"})

    response = MeasureResponse.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/clinic/measures/{response.pk}/"
    assert (response.status, response.total, response.band_label) == ("completed", 8, "Mild")
    assert response.entered_by == maya.user and response.due_on is None
    page = client.get(answer["Location"]).text
    assert "Jordan’s PHQ-9 is saved: 8 (mild)." in page
    assert f"{maya.user.get_full_name()}, in session" in page


def test_a_measure_given_in_session_while_one_is_overdue_answers_it_and_ends_its_item(
    client, maya, couple, partner_a, today
):
    services.schedule_set(
        partner=partner_a,
        instrument="phq9",
        cadence="weekly",
        starts_on=today - datetime.timedelta(days=10),
        by=maya.user,
    )
    due_on = today - datetime.timedelta(days=3)
    item, _ = triage_services.item_raise(
        partner=partner_a,
        kind=TriageItem.Kind.MEASURE_OVERDUE,
        severity=TriageItem.Severity.ROUTINE,
        summary="Jordan's PHQ-9 is overdue",
        source_ref=f"measures.due:{partner_a.pk}:phq9:{due_on}",
    )

    client.post(enter_url(partner_a, "phq9"), phq9_answers())

    assert MeasureResponse.objects.get().due_on == due_on
    item.refresh_from_db()
    assert item.resolved_at is not None and item.resolution == "PHQ-9 filled"
    assert "Nothing due." in section(client.get(tab(couple)).text, "Jordan")


def test_a_missing_answer_shows_the_form_again_with_the_answers_kept(client, maya, partner_a):
    answers = phq9_answers(each=2)
    del answers["q4"]

    answer = client.post(enter_url(partner_a, "phq9"), answers)

    assert answer.status_code == 200
    assert "still to answer: 4" in answer.text and "Answer this question." in answer.text
    assert re.search(r'name="q1" value="2"[^>]*checked', answer.text)
    assert not MeasureResponse.objects.exists()


def test_the_safety_screen_asks_what_its_skip_logic_asks(client, maya, partner_a):
    answer = client.post(enter_url(partner_a, "cssrs"), {"q1": "1", "q2": "1", "q6": "0"})

    assert answer.status_code == 200 and "still to answer: 3, 4, 5" in answer.text
    assert not MeasureResponse.objects.exists()


def test_an_unknown_measure_is_404(client, maya, partner_a):
    assert client.get(enter_url(partner_a, "audit")).status_code == 404


def test_a_safety_answer_asks_for_the_c_ssrs_screen_which_then_follows_the_phq9(
    client, maya, partner_a
):
    answer = client.post(enter_url(partner_a, "phq9"), phq9_answers(item9=1), follow=True)
    phq9 = MeasureResponse.objects.get()
    screen_url = f"{enter_url(partner_a, 'cssrs')}?follows={phq9.pk}"
    assert "Give the C-SSRS screen now" in answer.text and screen_url in answer.text
    assert "Safety: needs a same-day follow-up" in answer.text

    screen = {"q1": "1", "q2": "0", "q6": "0"}
    assert "question 9 was answered above 0" in client.get(screen_url).text
    client.post(screen_url, screen)

    follow_up = MeasureResponse.objects.get(instrument="cssrs")
    assert (follow_up.follows, follow_up.band_label) == (phq9, "Low risk")
    assert follow_up.answers == {"q1": 1, "q2": 0, "q6": 0}
    page = client.get(f"/clinic/measures/{phq9.pk}/").text
    assert "Safety screen that followed" in page and "low risk" in page
    assert "Give the C-SSRS screen now" not in page
    screen_page = client.get(f"/clinic/measures/{follow_up.pk}/").text
    assert "Not asked (its skip logic)" in screen_page  # questions 3 to 5 after a no to 2


def test_alexs_therapist_cannot_enter_a_measure_for_jordan(client, daniel, partner_a, partner_b):
    assert client.get(enter_url(partner_a, "phq9")).status_code == 404
    assert client.post(enter_url(partner_a, "phq9"), phq9_answers()).status_code == 404
    assert client.get(enter_url(partner_b, "phq9")).status_code == 200
    assert not MeasureResponse.objects.exists()


# One response


def test_a_response_shows_each_answer_by_its_label_with_the_score_and_the_read_is_audited(
    client, maya, partner_a
):
    client.post(enter_url(partner_a, "bam"), {key: "0" for key in _bam_keys()} | {"q4": "2"})
    response = MeasureResponse.objects.get()

    page = client.get(f"/clinic/measures/{response.pk}/").text

    assert (
        "how many days did you drink ANY alcohol?</td>\n                  <td>4–8 days (2)" in page
    )
    assert "Excellent (0)" in page
    assert '<dt class="col-6">Use</dt><dd class="col-6">2</dd>' in page
    assert "Use reported" in page and "Risk" in page
    read = AuditEvent.objects.get(action=AuditEvent.Action.READ, target_id=str(response.pk))
    assert (read.patient_id, read.actor_id, read.allowed) == (partner_a.pk, maya.user_id, True)


def test_jordans_response_is_the_audited_404_for_alexs_therapist(client, daniel, partner_a):
    response = scored(partner_a, "phq9", 5, days_ago=1)

    assert client.get(f"/clinic/measures/{response.pk}/").status_code == 404
    assert AuditEvent.objects.filter(actor=daniel.user, allowed=False).exists()
    assert not AuditEvent.objects.filter(allowed=True, patient=partner_a).exists()


def test_the_response_page_takes_a_fixed_number_of_queries(
    client, maya, partner_a, django_assert_num_queries
):
    response = scored(partner_a, "phq9", 5, days_ago=1, answers={"q1": 3, "q2": 2})
    client.get(f"/clinic/measures/{response.pk}/")

    # session, user, the response with its partner, couple and enterer, Maya's coverage,
    # its follow-up screens; the audit row (lock the chain head, insert, move the head).
    with django_assert_num_queries(8):
        assert client.get(f"/clinic/measures/{response.pk}/").status_code == 200


def _bam_keys() -> list[str]:
    return [item.key for item in BAM.items if not item.optional]


# The chart


@pytest.mark.parametrize("instrument", [PHQ9, GAD7, BAM, CSI4, INSTRUMENTS["cssrs"]])
def test_the_bands_tile_the_chart_from_zero_to_the_top_score(instrument):
    svg = charts.trend_chart(
        instrument=instrument, points=[charts.Point(datetime.date(2026, 1, 5), 1)], label="x"
    )

    strips = re.findall(r'<rect x="30" y="([\d.]+)" width="320" height="([\d.]+)"', svg)
    assert len(strips) == len(instrument.bands)
    tops = sorted(float(y) for y, _ in strips)
    assert tops[0] == charts.TOP
    assert sum(float(height) for _, height in strips) == pytest.approx(charts.PLOT_HEIGHT, abs=0.05)
