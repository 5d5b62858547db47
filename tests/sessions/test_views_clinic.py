"""The clinic's session pages: calendar, agenda, scheduling, one session, and the session
parts of the caseload and the couple page."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from sessions import queries, services
from sessions.models import Attendance, SessionKind, SessionSeries, TherapySession
from tests.auth import sign_in_with_mfa
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory

# The clock starts on Wednesday 2 December 2026, 09:00 in New York: MONDAY's week is still
# ahead, LAST_JANUARY long past, and a session that began an hour ago falls in this week.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 12, 2, 14, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]

CLINIC = ZoneInfo("America/New_York")
WEEK = "/clinic/sessions/week/"
AGENDA = "/clinic/sessions/day/"
NEW = "/clinic/sessions/new/"
SERIES_NEW = "/clinic/sessions/series/new/"
CASELOAD = "/clinic/"
# A Monday well ahead, so nothing else is booked that week.
MONDAY = datetime.date(2027, 1, 11)
TUESDAY = MONDAY + datetime.timedelta(days=1)
LAST_JANUARY = datetime.date(2026, 1, 5)  # long past: its sessions can be marked


def detail_url(session) -> str:
    return f"/clinic/sessions/{session.pk}/"


def attendance_url(session) -> str:
    return f"/clinic/sessions/{session.pk}/attendance/"


def cancel_url(session) -> str:
    return f"/clinic/sessions/{session.pk}/cancel/"


def reschedule_url(session) -> str:
    return f"/clinic/sessions/{session.pk}/reschedule/"


def couple_url(couple, tab: str = "") -> str:
    return f"/clinic/couples/{couple.pk}/" + (f"{tab}/" if tab else "")


def sign_in(client, user):
    """Clinicians reach /clinic/ only after a second factor in this session."""
    sign_in_with_mfa(client, user)


def treat(clinician, couple, role=CareRole.COUPLES_THERAPIST, partner=None):
    couple_services.care_team_assign(
        couple=couple, role=role, clinician=clinician, partner=partner, by=None
    )


def at(day: datetime.date, clock: str, zone=CLINIC) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.fromisoformat(clock), tzinfo=zone)


def schedule(clinician, *, starts_at, couple=None, kind=SessionKind.COUPLES_THERAPY, **people):
    return services.session_schedule(
        kind=kind,
        clinician=clinician,
        couple=couple,
        starts_at=starts_at,
        duration_minutes=people.pop("minutes", 60),
        by=clinician.user,
        **people,
    )


def couple_of(first_names, **fields):
    couple = CoupleFactory(**fields)
    for name in first_names:
        PartnerFactory(couple=couple, user__first_name=name, user__last_name="Doe")
    return couple


def text_of(response) -> str:
    """The page as plain text, so assertions read like what a person sees."""
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body.replace("&amp;", "&").replace("&#x27;", "'"))


def form_of(couple, **changes) -> dict:
    """A valid one-off couples session, as the browser posts it."""
    values = {
        "kind": SessionKind.COUPLES_THERAPY,
        "couple": str(couple.pk),
        "partner": "",
        "day": TUESDAY.isoformat(),
        "start_time": "18:00",
        "duration_minutes": "60",
    }
    return {**values, **changes}


def series_of(couple, **changes) -> dict:
    values = {
        "kind": SessionKind.COUPLES_THERAPY,
        "couple": str(couple.pk),
        "partner": "",
        "weekdays": ["1"],
        "start_time": "18:00",
        "duration_minutes": "60",
        "starts_on": TUESDAY.isoformat(),
        "ends_on": (TUESDAY + datetime.timedelta(weeks=3)).isoformat(),
    }
    return {**values, **changes}


def started_this_week(minutes_ago: int = 61) -> datetime.datetime:
    """A start that has passed but falls in this week, even early on a Monday."""
    monday, _ = queries.week_bounds(day=timezone.localdate(), time_zone="America/New_York")
    return max(timezone.now() - datetime.timedelta(minutes=minutes_ago), monday)


@pytest.fixture
def maya(clinician):
    clinician.user.last_name = "Chen"
    clinician.user.save()
    return clinician


@pytest.fixture
def therapist_client(client, maya, couple, partner_a, partner_b):
    """Maya, couples therapist of Jordan and Alex (New York), signed in."""
    treat(maya, couple)
    sign_in(client, maya.user)
    return client


@pytest.fixture
def dan(couple, partner_a):
    """Jordan's individual therapist: on the care team, does not run the couple's sessions."""
    dan = ClinicianFactory(
        can_be_couples_therapist=False, can_be_individual_therapist=True, user__first_name="Dan"
    )
    treat(dan, couple, CareRole.INDIVIDUAL_THERAPIST, partner_a)
    return dan


@pytest.fixture
def session(maya, couple, partner_a, partner_b, therapist_client):
    return schedule(maya, couple=couple, starts_at=at(TUESDAY, "18:00"))


# Week calendar


def test_the_week_shows_my_sessions_monday_to_sunday_in_the_clinics_zone(
    therapist_client, maya, couple, session
):
    schedule(maya, couple=couple, starts_at=at(MONDAY + datetime.timedelta(days=7), "09:00"))
    someone_else, other = ClinicianFactory(), couple_of(["Quinn", "Robin"])
    treat(someone_else, other)
    schedule(someone_else, couple=other, starts_at=at(TUESDAY, "10:00"))

    response = therapist_client.get(WEEK, {"date": "2027-01-14"})

    page = text_of(response)
    assert response.status_code == 200
    assert "Jan 11 – Jan 17, 2027" in page
    assert "Times in Eastern Time (ET), the clinic’s time zone." in page
    assert "Tue Jan 12 6:00 PM–7:00 PM Couples therapy Jordan & Alex Scheduled" in page
    assert page.count("Couples therapy") == 1  # not next week's, not another clinician's
    assert "Quinn" not in page
    assert f'href="{detail_url(session)}"' in response.text
    assert 'href="/clinic/sessions/day/?date=2027-01-12"' in response.text


def test_the_week_links_to_the_weeks_around_it_and_back_to_this_week(therapist_client):
    response = therapist_client.get(WEEK, {"date": "2027-01-14"})

    assert 'href="/clinic/sessions/week/?date=2027-01-04"' in response.text
    assert 'href="/clinic/sessions/week/?date=2027-01-18"' in response.text
    assert 'href="/clinic/sessions/week/">This week' in response.text


@pytest.mark.parametrize("date", ["", "yesterday", "2027-02-30", "0001-01-01", "9999-12-31"])
def test_an_unreadable_date_shows_this_week(therapist_client, date):
    response = therapist_client.get(WEEK, {"date": date})

    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    assert response.status_code == 200
    assert f"My sessions, {monday:%b} {monday.day} –" in text_of(response)
    assert 'aria-current="page">This week' in response.text


def test_a_group_shows_how_many_take_part_not_who(therapist_client, maya, partner_a, partner_b):
    other = couple_of(["Quinn", "Robin"])
    treat(maya, other)
    schedule(
        maya,
        kind=SessionKind.GROUP,
        starts_at=at(TUESDAY, "09:00"),
        partners=[partner_a, partner_b, *other.partners.all()],
    )

    page = text_of(therapist_client.get(WEEK, {"date": TUESDAY.isoformat()}))

    assert "9:00 AM–10:00 AM Group 4 participants Scheduled" in page
    assert "Quinn" not in page


def test_a_cancelled_session_stays_on_the_calendar_marked_cancelled(therapist_client, session):
    services.session_cancel(session=session, reason="Snow storm", by=session.clinician.user)

    page = text_of(therapist_client.get(WEEK, {"date": TUESDAY.isoformat()}))

    assert "6:00 PM–7:00 PM Couples therapy Jordan & Alex Cancelled" in page


def test_a_kept_week_shows_a_change_on_the_next_view(therapist_client, maya, session, partner_a):
    week = {"date": TUESDAY.isoformat()}
    assert "Jordan & Alex Scheduled" in text_of(therapist_client.get(WEEK, week))
    assert "Jordan & Alex Scheduled" in text_of(therapist_client.get(WEEK, week))  # kept

    services.session_cancel(session=session, reason="Snow storm", by=maya.user)
    partner_a.preferred_name = "Jo"
    partner_a.save()
    schedule(
        maya, couple=session.couple, starts_at=at(TUESDAY + datetime.timedelta(days=1), "09:00")
    )

    page = text_of(therapist_client.get(WEEK, week))
    assert "6:00 PM–7:00 PM Couples therapy Jo & Alex Cancelled" in page
    assert "9:00 AM–10:00 AM Couples therapy Jo & Alex Scheduled" in page


def test_a_kept_week_is_no_other_clinicians(client, therapist_client, maya, couple, session):
    colleague = ClinicianFactory()
    treat(colleague, couple)
    therapist_client.get(WEEK, {"date": TUESDAY.isoformat()})  # kept for Maya
    therapist_client.logout()
    sign_in(client, colleague.user)

    page = text_of(client.get(WEEK, {"date": TUESDAY.isoformat()}))

    assert "Couples therapy" not in page  # Maya runs it: not on her colleague's calendar
    assert "No sessions" in page


def busy_week(clinician, count: int) -> list[TherapySession]:
    """`count` sessions in the week of MONDAY, couples sessions and groups of several couples."""
    couples = [couple_of([f"P{n}a", f"P{n}b"]) for n in range(6)]
    for couple in couples:
        treat(clinician, couple)
    people = [partner for couple in couples for partner in couple.partners.all()]
    sessions = []
    for number in range(count):
        day = MONDAY + datetime.timedelta(days=number % 7)
        starts_at = at(day, f"{8 + number // 7:02d}:00")
        if number % 3 == 0:
            group = people[number % 4 :: 2]
            sessions.append(
                schedule(clinician, kind=SessionKind.GROUP, starts_at=starts_at, partners=group)
            )
        else:
            couple = couples[number % len(couples)]
            sessions.append(schedule(clinician, couple=couple, starts_at=starts_at))
    return sessions


@pytest.mark.parametrize("count", [2, 40])
def test_the_week_takes_the_same_queries_however_busy_it_is(
    client, maya, count, django_assert_max_num_queries
):
    busy_week(maya, count)
    sign_in(client, maya.user)
    client.get(WEEK)  # the first request stamps the session

    # session, user with roles and authenticator; the week's sessions with clinician and
    # couple, their attendances with partners and users; the top bar's unread notifications
    with django_assert_max_num_queries(5):
        response = client.get(WEEK, {"date": MONDAY.isoformat()})
    assert response.text.count('class="session-block') == count


# Day agenda


def test_the_agenda_lists_the_days_sessions_in_order_with_attendance(
    therapist_client, maya, couple, partner_a, partner_b
):
    late = schedule(maya, couple=couple, starts_at=at(TUESDAY, "18:00"))
    early = schedule(maya, couple=couple, starts_at=at(TUESDAY, "09:00"))
    schedule(maya, couple=couple, starts_at=at(TUESDAY + datetime.timedelta(days=1), "09:00"))
    Attendance.objects.filter(session=early, partner=partner_a).update(
        status="present", minutes_attended=55
    )

    response = therapist_client.get(AGENDA, {"date": TUESDAY.isoformat()})

    page = text_of(response)
    assert "Tuesday, January 12, 2027" in page
    assert page.index("9:00 AM–10:00 AM") < page.index("6:00 PM–7:00 PM")
    assert "Jordan: Present, 55 min Alex: Not marked" in page
    assert page.count("Couples therapy") == 2
    assert f'href="{detail_url(late)}"' in response.text
    assert 'href="/clinic/sessions/week/?date=2027-01-12"' in response.text


def test_join_appears_on_the_agenda_from_ten_minutes_before_the_start(
    therapist_client, maya, couple
):
    soon = schedule(maya, couple=couple, starts_at=timezone.now() + datetime.timedelta(minutes=5))
    later = schedule(maya, couple=couple, starts_at=timezone.now() + datetime.timedelta(hours=3))

    response = therapist_client.get(AGENDA, {"date": soon.starts_at.astimezone(CLINIC).date()})

    assert f'href="/sessions/{soon.pk}/join/">Join</a>' in response.text
    assert f"/sessions/{later.pk}/join/" not in response.text
    if later.starts_at.astimezone(CLINIC).date() == soon.starts_at.astimezone(CLINIC).date():
        opens = later.starts_at.astimezone(CLINIC) - datetime.timedelta(minutes=10)
        assert f"Join opens at {opens:%H:%M}" in text_of(response)


@pytest.mark.parametrize("count", [2, 12])
def test_the_agenda_takes_the_same_queries_however_busy_the_day(
    client, maya, count, django_assert_max_num_queries
):
    sessions = [
        s for s in busy_week(maya, count * 7) if s.starts_at.astimezone(CLINIC).date() == MONDAY
    ]
    sign_in(client, maya.user)
    client.get(AGENDA)

    # session, user with roles and authenticator; the day's sessions with clinician and
    # couple, their attendances with partners and users; the top bar's unread notifications
    with django_assert_max_num_queries(5):
        response = client.get(AGENDA, {"date": MONDAY.isoformat()})
    assert response.text.count('<li class="card') == len(sessions) == count


# Scheduling one session


def test_scheduling_a_couples_session_in_the_couples_own_time_zone(
    therapist_client, maya, couple, partner_a, partner_b
):
    couple.time_zone = "America/Los_Angeles"
    couple.save()

    response = therapist_client.post(f"{NEW}?couple={couple.pk}", form_of(couple))

    session = TherapySession.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(session)
    assert session.starts_at == datetime.datetime(2027, 1, 13, 2, 0, tzinfo=datetime.UTC)
    assert session.duration == datetime.timedelta(hours=1)
    assert (session.clinician, session.couple, session.time_zone) == (
        maya,
        couple,
        "America/Los_Angeles",
    )
    assert set(session.participants.all()) == {partner_a, partner_b}
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE, target_id=str(session.pk)
    ).exists()


def test_the_form_says_which_zone_times_are_typed_in(therapist_client, couple):
    couple.time_zone = "America/Los_Angeles"
    couple.save()

    with_couple = text_of(therapist_client.get(NEW, {"couple": couple.pk}))
    without = text_of(therapist_client.get(NEW))

    assert "Dates and times are in Pacific Time (PT), where this couple lives." in with_couple
    assert "Jordan & Alex (Pacific Time (PT))" in without
    assert "for a group or a sober activity, in the clinic’s (Eastern Time (ET))." in without


def test_a_clash_is_refused_naming_the_clashing_session_and_keeps_what_was_typed(
    therapist_client, maya, couple, session
):
    other = couple_of(["Quinn", "Robin"])
    treat(maya, other)

    response = therapist_client.post(NEW, form_of(other, start_time="18:30"))

    assert response.status_code == 200
    assert "Maya Chen, LMFT already has couples therapy on Tue Jan 12, 6:00 PM–7:00 PM ET." in (
        text_of(response)
    )
    assert TherapySession.objects.count() == 1
    assert 'value="18:30"' in response.text
    assert 'value="2027-01-12"' in response.text
    assert f'<option value="{other.pk}" selected>' in response.text


def test_a_partner_booked_elsewhere_is_not_double_booked(therapist_client, couple, partner_a, dan):
    schedule(
        dan,
        couple=couple,
        kind=SessionKind.INDIVIDUAL_THERAPY,
        partner=partner_a,
        starts_at=at(TUESDAY, "17:30"),
    )

    response = therapist_client.post(NEW, form_of(couple))

    clash = "Jordan already has individual therapy on Tue Jan 12, 5:30 PM–6:30 PM ET."
    assert clash in text_of(response)
    assert TherapySession.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "who", "message"),
    [
        (SessionKind.INDIVIDUAL_THERAPY, "partner", "is not Jordan’s individual therapist."),
        (SessionKind.INDIVIDUAL_THERAPY, "", "Choose one of this couple’s partners."),
        (SessionKind.COUNSELING, "partner", "is not Jordan’s drug & alcohol counselor."),
        (SessionKind.MEDICAL_VISIT, "partner", "is not Jordan’s medical provider."),
        (SessionKind.GROUP, "", "Choose who takes part."),
        (SessionKind.SOBER_ACTIVITY, "", "Choose who takes part."),
    ],
)
def test_who_takes_part_follows_the_kind(therapist_client, couple, partner_a, kind, who, message):
    typed = form_of(couple, kind=kind, partner=str(partner_a.pk) if who else "")

    response = therapist_client.post(NEW, typed)

    assert response.status_code == 200
    assert message in text_of(response).replace("'", "’")
    assert not TherapySession.objects.exists()


def test_only_the_couples_therapist_runs_couples_therapy(client, couple, partner_a, dan):
    sign_in(client, dan.user)

    response = client.post(NEW, form_of(couple))

    assert "is not this couple’s couples therapist." in text_of(response).replace("'", "’")
    assert not TherapySession.objects.exists()


def test_an_individual_session_takes_the_partner_with_their_own_therapist(
    client, couple, partner_a, partner_b, dan
):
    sign_in(client, dan.user)

    form = form_of(couple, kind=SessionKind.INDIVIDUAL_THERAPY, partner=str(partner_a.pk))
    response = client.post(NEW, form)

    session = TherapySession.objects.get()
    assert response.url == detail_url(session)
    assert list(session.participants.all()) == [partner_a]
    assert session.clinician == dan


def test_a_group_takes_partners_of_several_of_my_couples(
    therapist_client, maya, couple, partner_a, partner_b
):
    other = couple_of(["Quinn", "Robin"])
    treat(maya, other)
    quinn = other.partners.get(user__first_name="Quinn")

    typed = form_of(couple, kind=SessionKind.GROUP, partners=[partner_a.pk, partner_b.pk, quinn.pk])
    response = therapist_client.post(NEW, typed)

    session = TherapySession.objects.get()
    assert response.url == detail_url(session)
    assert session.couple is None
    assert session.time_zone == "America/New_York"
    assert set(session.participants.all()) == {partner_a, partner_b, quinn}


def test_couples_and_partners_outside_my_caseload_cannot_be_chosen(
    therapist_client, couple, partner_a
):
    stranger = PartnerFactory()

    as_couple = therapist_client.post(NEW, form_of(stranger.couple))
    in_group = therapist_client.post(
        NEW, form_of(couple, kind=SessionKind.GROUP, partners=[partner_a.pk, stranger.pk])
    )

    assert "Select a valid choice" in as_couple.text
    assert "Select a valid choice" in in_group.text
    assert not TherapySession.objects.exists()


def test_scheduling_for_a_couple_outside_my_caseload_is_an_audited_404(therapist_client, maya):
    stranger = PartnerFactory()

    response = therapist_client.get(NEW, {"couple": stranger.couple.pk})

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=maya.user, allowed=False).exists()


def test_a_clock_time_skipped_by_daylight_saving_is_refused(therapist_client, couple):
    # Clocks in New York jump from 02:00 to 03:00 on March 14, 2027.
    typed = form_of(couple, day="2027-03-14", start_time="02:30")

    response = therapist_client.post(NEW, typed)

    assert (
        "The clocks skip 2:30 AM on that day (daylight saving begins): choose another time."
        in text_of(response)
    )
    assert not TherapySession.objects.exists()


def test_a_length_outside_the_rules_is_shown_on_its_field(therapist_client, couple):
    response = therapist_client.post(NEW, form_of(couple, duration_minutes="300"))

    assert "A session lasts 15 to 240 minutes." in text_of(response)
    assert not TherapySession.objects.exists()


# Scheduling a weekly series


@pytest.mark.parametrize(
    ("first", "last", "before_utc", "after_utc"),
    [
        # Daylight saving ends on November 1, 2026: 18:00 in New York moves from 22:00 to 23:00 UTC.
        (datetime.date(2026, 10, 20), datetime.date(2026, 11, 10), 22, 23),
        # It begins on March 14, 2027: 18:00 moves from 23:00 back to 22:00 UTC.
        (datetime.date(2027, 3, 2), datetime.date(2027, 3, 23), 23, 22),
    ],
)
def test_a_weekly_series_keeps_its_wall_clock_time_across_a_dst_change(
    therapist_client, couple, first, last, before_utc, after_utc
):
    typed = series_of(couple, starts_on=first.isoformat(), ends_on=last.isoformat())

    response = therapist_client.post(f"{SERIES_NEW}?couple={couple.pk}", typed)

    series = SessionSeries.objects.get()
    sessions = list(series.sessions.order_by("starts_at"))
    assert response.status_code == 302
    assert response.url == f"{WEEK}?date={first.isoformat()}"
    assert [s.starts_at.astimezone(CLINIC).date() for s in sessions] == [
        first + datetime.timedelta(weeks=n) for n in range(4)
    ]
    assert {s.starts_at.astimezone(CLINIC).strftime("%H:%M") for s in sessions} == {"18:00"}
    assert (sessions[0].starts_at.hour, sessions[-1].starts_at.hour) == (before_utc, after_utc)
    for session in sessions:
        week = therapist_client.get(WEEK, {"date": session.starts_at.date().isoformat()})
        assert "6:00 PM–7:00 PM Couples therapy Jordan & Alex" in text_of(week)


def test_a_series_on_several_weekdays_is_named_on_each_session(therapist_client, couple):
    therapist_client.post(SERIES_NEW, series_of(couple, weekdays=["0", "3"]))

    session = TherapySession.objects.order_by("starts_at").first()
    page = text_of(therapist_client.get(detail_url(session)))

    assert SessionSeries.objects.get().weekdays == [0, 3]
    assert TherapySession.objects.count() == 6  # Thursdays from Jan 14, Mondays from Jan 18
    assert "Weekly couples therapy on Mon, Thu at 6:00 PM ET, Jan 12 to Feb 2, 2027" in page


def test_a_series_with_a_clash_is_refused_whole(therapist_client, maya, couple):
    clash = schedule(
        maya, couple=couple, starts_at=at(TUESDAY + datetime.timedelta(weeks=2), "18:30")
    )

    response = therapist_client.post(SERIES_NEW, series_of(couple))

    assert response.status_code == 200
    assert (
        "Maya Chen, LMFT and Jordan and Alex already have couples therapy on Tue Jan 26, "
        "6:30 PM–7:30 PM ET." in text_of(response)
    )
    assert list(TherapySession.objects.all()) == [clash]
    assert not SessionSeries.objects.exists()


def test_a_series_needs_a_weekday_and_an_end_after_its_start(therapist_client, couple):
    response = therapist_client.post(
        SERIES_NEW, series_of(couple, weekdays=[], ends_on=MONDAY.isoformat())
    )

    assert "Choose at least one day of the week." in text_of(response)
    assert not SessionSeries.objects.exists()
    response = therapist_client.post(SERIES_NEW, series_of(couple, ends_on=MONDAY.isoformat()))
    assert "A series cannot end before it starts." in text_of(response)


# One session


def test_the_session_page_shows_when_who_and_status_and_records_the_read(
    therapist_client, maya, couple, session, partner_a, partner_b
):
    couple.time_zone = "America/Chicago"
    couple.save()
    chicago = ZoneInfo("America/Chicago")
    morning = schedule(maya, couple=couple, starts_at=at(TUESDAY, "09:00", chicago))

    page = text_of(therapist_client.get(detail_url(morning)))

    assert "Couples therapy Scheduled" in page
    assert "Tuesday, Jan 12, 2027, 10:00 AM–11:00 AM ET" in page
    assert "Tue Jan 12, 9:00 AM–10:00 AM in Central Time (CT), where it was scheduled" in page
    assert "Maya Chen, LMFT" in page
    assert "Jordan Not marked" in page and "Alex Not marked" in page
    assert "Join opens Jan 12 at 9:50 AM" in page
    reads = AuditEvent.objects.filter(action=AuditEvent.Action.READ, target_id=str(morning.pk))
    assert {event.patient for event in reads} == {partner_a, partner_b}


def test_the_care_team_may_read_a_session_only_its_clinician_may_change_it(client, session, dan):
    sign_in(client, dan.user)

    assert client.get(detail_url(session)).status_code == 200
    assert "Only for the participants and the clinician who runs it" in text_of(
        client.get(detail_url(session))
    )
    assert client.get(cancel_url(session)).status_code == 403
    assert client.post(cancel_url(session), {"reason": "Mine now"}).status_code == 403
    assert client.post(reschedule_url(session), {"reason": "x"}).status_code == 403
    assert client.post(attendance_url(session), {}).status_code == 403
    session.refresh_from_db()
    assert session.status == TherapySession.Status.SCHEDULED


def test_a_partner_taking_part_is_refused_the_clinic_page(client, session, partner_a):
    client.force_login(partner_a.user)

    assert client.get(detail_url(session)).status_code == 403


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", detail_url),
        ("get", cancel_url),
        ("get", reschedule_url),
        ("post", attendance_url),
        ("post", cancel_url),
        ("post", reschedule_url),
    ],
)
@pytest.mark.parametrize("who", ["clinician_elsewhere", "partner_elsewhere"])
def test_outsiders_get_an_audited_404_on_every_session_page(client, session, method, url, who):
    if who == "clinician_elsewhere":
        outsider = ClinicianFactory().user
        sign_in_with_mfa(client, outsider)
    else:
        outsider = PartnerFactory().user
        client.force_login(outsider)

    response = getattr(client, method)(url(session), {"reason": "Mine"} if method == "post" else {})

    assert response.status_code == 404
    assert AuditEvent.objects.filter(
        actor=outsider, allowed=False, detail__target_id=str(session.pk)
    ).exists()
    session.refresh_from_db()
    assert session.status == TherapySession.Status.SCHEDULED


# Attendance


@pytest.fixture
def held(maya, couple, therapist_client):
    """A couples session of this week that has just ended, not yet marked."""
    return schedule(maya, couple=couple, starts_at=started_this_week())


def marks(partner_a, partner_b, a=("present", "60"), b=("present", "60")) -> dict:
    return {
        f"status_{partner_a.pk}": a[0],
        f"minutes_{partner_a.pk}": a[1],
        f"status_{partner_b.pk}": b[0],
        f"minutes_{partner_b.pk}": b[1],
    }


def test_marking_attendance_completes_the_session_and_counts_iop_hours(
    therapist_client, couple, held, partner_a, partner_b
):
    before = text_of(therapist_client.get(couple_url(couple, "sessions")))

    response = therapist_client.post(
        attendance_url(held), marks(partner_a, partner_b, b=("late", "30"))
    )

    held.refresh_from_db()
    assert response.status_code == 302
    assert response.url == detail_url(held)
    assert held.status == TherapySession.Status.COMPLETED
    assert {(a.partner, a.status, a.minutes_attended) for a in held.attendances.all()} == {
        (partner_a, "present", 60),
        (partner_b, "late", 30),
    }
    after = text_of(therapist_client.get(couple_url(couple, "sessions")))
    assert "Jordan: 0 of 9 hours this week" in before
    assert "Jordan: 1 of 9 hours this week" in after
    assert "Alex: 0.5 of 9 hours this week" in after
    assert "Jordan: Present, 60 min" in after


def test_nobody_there_makes_a_no_show(therapist_client, held, partner_a, partner_b):
    typed = marks(partner_a, partner_b, a=("absent", ""), b=("excused", "45"))

    therapist_client.post(attendance_url(held), typed)

    held.refresh_from_db()
    assert held.status == TherapySession.Status.NO_SHOW
    assert set(held.attendances.values_list("minutes_attended", flat=True)) == {0}


@pytest.mark.parametrize(
    ("a", "message"),
    [
        (("present", ""), "How many minutes was Jordan there?"),
        (("present", "90"), "Minutes attended are between 1 and 60 for this session."),
        (("", "60"), "Choose how Jordan attended."),
    ],
)
def test_attendance_errors_are_shown_on_the_form_and_nothing_is_saved(
    therapist_client, held, partner_a, partner_b, a, message
):
    response = therapist_client.post(attendance_url(held), marks(partner_a, partner_b, a=a))

    assert response.status_code == 200
    assert message in text_of(response)
    held.refresh_from_db()
    assert held.status == TherapySession.Status.SCHEDULED
    assert not held.attendances.exclude(status="").exists()


def test_attendance_waits_for_the_session_to_start(therapist_client, session, partner_a, partner_b):
    page = text_of(therapist_client.get(detail_url(session)))
    response = therapist_client.post(attendance_url(session), marks(partner_a, partner_b))

    assert "You can mark attendance once the session has started, at 6:00 PM." in page
    assert "Attendance is marked once the session has started." in text_of(response)
    assert not session.attendances.exclude(status="").exists()


# Cancelling and moving


@pytest.fixture
def weekly(therapist_client, couple) -> list[TherapySession]:
    """Four Tuesday sessions at 18:00, January 12 to February 2."""
    therapist_client.post(SERIES_NEW, series_of(couple))
    return list(TherapySession.objects.order_by("starts_at"))


def test_cancelling_one_session_of_a_series_leaves_the_rest(therapist_client, weekly):
    form = text_of(therapist_client.get(cancel_url(weekly[1])))

    response = therapist_client.post(
        cancel_url(weekly[1]), {"reason": "Therapist ill", "scope": "one"}
    )

    assert "This session only" in form
    assert response.url == detail_url(weekly[1])
    statuses = list(TherapySession.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["scheduled", "cancelled", "scheduled", "scheduled"]
    page = text_of(therapist_client.get(detail_url(weekly[1])))
    assert "Cancelled because Therapist ill" in page


def test_cancelling_the_rest_of_a_series(therapist_client, weekly):
    therapist_client.post(cancel_url(weekly[1]), {"reason": "Moving to groups", "scope": "rest"})

    statuses = list(TherapySession.objects.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["scheduled", "cancelled", "cancelled", "cancelled"]


def test_a_cancellation_needs_a_reason(therapist_client, session):
    response = therapist_client.post(cancel_url(session), {"reason": "  "})

    assert response.status_code == 200
    assert "Give a reason: the participants will see it." in text_of(response)
    session.refresh_from_db()
    assert session.status == TherapySession.Status.SCHEDULED


def test_a_one_off_session_is_not_asked_which_sessions(therapist_client, session):
    page = therapist_client.get(cancel_url(session)).text

    assert "This session only" not in page
    assert "Which sessions" not in page


def test_moving_one_session_of_a_series(therapist_client, weekly):
    form = text_of(therapist_client.get(reschedule_url(weekly[0])))

    response = therapist_client.post(
        reschedule_url(weekly[0]),
        {"day": "2027-01-13", "start_time": "17:00", "reason": "Holiday", "scope": "one"},
    )

    assert "In Eastern Time (ET), the session's zone." in form
    unmoved = therapist_client.get(reschedule_url(weekly[1])).text
    assert 'value="2027-01-19"' in unmoved and 'value="18:00"' in unmoved
    assert response.url == detail_url(weekly[0])
    starts = [s.starts_at.astimezone(CLINIC) for s in TherapySession.objects.order_by("pk")]
    assert [f"{s:%a %H:%M}" for s in starts] == ["Wed 17:00", "Tue 18:00", "Tue 18:00", "Tue 18:00"]
    weekly[0].refresh_from_db()
    assert weekly[0].change_reason == "Holiday"


def test_moving_the_rest_of_a_series_moves_each_by_the_same_wall_clock_step(
    therapist_client, weekly
):
    therapist_client.post(
        reschedule_url(weekly[1]),
        {"day": "2027-01-21", "start_time": "19:30", "reason": "New slot", "scope": "rest"},
    )

    starts = [s.starts_at.astimezone(CLINIC) for s in TherapySession.objects.order_by("pk")]
    assert [f"{s:%a %b %d %H:%M}" for s in starts] == [
        "Tue Jan 12 18:00",
        "Thu Jan 21 19:30",
        "Thu Jan 28 19:30",
        "Thu Feb 04 19:30",
    ]


def test_a_move_into_a_clash_is_refused_naming_it(therapist_client, maya, couple, session):
    other = couple_of(["Quinn", "Robin"])
    treat(maya, other)
    schedule(maya, couple=other, starts_at=at(TUESDAY, "10:00"))

    response = therapist_client.post(
        reschedule_url(session), {"day": TUESDAY.isoformat(), "start_time": "10:30", "reason": "x"}
    )

    assert response.status_code == 200
    assert "Maya Chen, LMFT already has couples therapy on Tue Jan 12, 10:00 AM–11:00 AM ET." in (
        text_of(response)
    )
    assert 'value="10:30"' in response.text
    session.refresh_from_db()
    assert session.starts_at == at(TUESDAY, "18:00")


# The caseload and the couple page


def test_the_caseload_shows_each_couples_next_session_and_iop_hours(
    therapist_client, maya, couple, partner_a, partner_b, held
):
    services.attendance_mark(
        session=held,
        marks={partner_a.pk: ("present", 60), partner_b.pk: ("present", 30)},
        by=maya.user,
    )
    cancelled = schedule(maya, couple=couple, starts_at=timezone.now() + datetime.timedelta(days=1))
    nearer = schedule(maya, couple=couple, starts_at=timezone.now() + datetime.timedelta(days=2))
    services.session_cancel(session=cancelled, reason="Flu", by=maya.user)
    idle = couple_of(["Quinn", "Robin"])
    treat(maya, idle)

    response = therapist_client.get(CASELOAD)

    page = text_of(response)
    when = nearer.starts_at.astimezone(CLINIC)
    assert f'href="{detail_url(nearer)}"' in response.text
    assert f"{when:%a %b} {when.day}, {when:%H:%M} Couples therapy" in page
    assert "Jordan: 1 of 9 Alex: 0.5 of 9" in page
    assert "Quinn: 0 of 9 Robin: 0 of 9" in page


def test_the_caseload_names_a_colleagues_group_without_linking_to_it(
    therapist_client, couple, partner_a
):
    colleague = ClinicianFactory()
    group = schedule(
        colleague,
        kind=SessionKind.GROUP,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        partners=[partner_a],
    )

    response = therapist_client.get(CASELOAD)

    assert "Group" in text_of(response)
    assert detail_url(group) not in response.text


@pytest.mark.parametrize("size", [3, 30])
def test_the_caseload_takes_the_same_queries_with_sessions(
    client, maya, size, django_assert_num_queries
):
    for number in range(size):
        couple = couple_of(["Pat", "Lee"])
        treat(maya, couple)
        hours = datetime.timedelta(hours=number)
        schedule(maya, couple=couple, starts_at=at(MONDAY, "08:00") + hours)
        done = schedule(maya, couple=couple, starts_at=at(LAST_JANUARY, "08:00") + hours)
        services.attendance_mark(
            session=done,
            marks={p.pk: ("present", 60) for p in couple.partners.all()},
            by=maya.user,
        )
    sign_in(client, maya.user)
    client.get(CASELOAD)

    # The 13 of tests/couples/test_views_clinic.py but the queue's couples (its queue is
    # empty here), with sessions: each couple's next session (one windowed query) and this
    # week's IOP minutes of every partner listed (one aggregate) are among them either way,
    # as are the notes to write and to co-sign (one query each, however many wait)
    with django_assert_num_queries(12):
        response = client.get(CASELOAD)
    assert len(re.findall(r'href="/clinic/sessions/\d+/"', response.text)) == min(
        size, 20
    )  # a page


def test_the_couple_page_shows_upcoming_and_past_sessions_with_attendance(
    therapist_client, maya, couple, partner_a, partner_b, held
):
    services.attendance_mark(
        session=held,
        marks={partner_a.pk: ("present", 60), partner_b.pk: ("absent", 0)},
        by=maya.user,
    )
    coming = schedule(maya, couple=couple, starts_at=at(TUESDAY, "18:00"))
    other = couple_of(["Quinn", "Robin"])
    treat(maya, other)
    group = schedule(
        maya,
        kind=SessionKind.GROUP,
        starts_at=at(TUESDAY, "09:00"),
        partners=[partner_a, *other.partners.all()],
    )

    response = therapist_client.get(couple_url(couple, "sessions"))

    page = text_of(response)
    upcoming, past = page.split("Upcoming", 1)[1].split("Past, with attendance", 1)
    assert "Tue Jan 12, 09:00–10:00 Group" in upcoming
    assert "Tue Jan 12, 18:00–19:00 Couples therapy" in upcoming
    assert "Quinn" not in page  # another couple in the same group
    assert "Jordan: Present, 60 min Alex: Absent" in past
    assert "Jordan: 1 of 9 hours this week" in page
    assert "Alex: 0 of 9 hours this week" in page
    assert f'href="{detail_url(coming)}"' in response.text
    assert f'href="{detail_url(group)}"' in response.text
    assert f'href="/clinic/sessions/new/?couple={couple.pk}"' in response.text
    assert f'href="/clinic/sessions/series/new/?couple={couple.pk}"' in response.text


@pytest.mark.parametrize("count", [1, 15])
def test_the_couple_pages_sessions_take_the_same_queries_however_many(
    therapist_client, maya, couple, count, django_assert_num_queries
):
    for number in range(count):
        days = datetime.timedelta(days=number)
        schedule(maya, couple=couple, starts_at=at(MONDAY, "08:00") + days)
        schedule(maya, couple=couple, starts_at=at(LAST_JANUARY, "08:00") + days)
    therapist_client.get(couple_url(couple))

    # The sessions tab: session, user (the top bar's unread count comes with it), couple,
    # partners, the audit rows (lock the chain head, insert, move the head); this week's IOP
    # minutes; the upcoming sessions and their attendances with partners; the past ones and
    # theirs.
    with django_assert_num_queries(12):
        assert therapist_client.get(couple_url(couple, "sessions")).status_code == 200
    # The overview of tests/couples/test_views_clinic.py: 12 with or without sessions (the
    # next session comes with its clinician; its places are on the sessions tab).
    with django_assert_num_queries(12):
        response = therapist_client.get(couple_url(couple))
    assert "Next session: Mon Jan 11, 8:00 AM Couples therapy" in text_of(response)


def test_clinicians_have_a_calendar_link(therapist_client):
    assert 'href="/clinic/sessions/week/"' in therapist_client.get(CASELOAD).text


# Partners' answers to reminders


def answer(session, partner, response, note="", at_moment=None):
    services.attendance_respond(session=session, partner=partner, response=response, note=note)
    if at_moment is not None:
        Attendance.objects.filter(session=session, partner=partner).update(responded_at=at_moment)


def test_the_session_page_shows_each_partners_answer_with_its_time_and_note(
    therapist_client, session, partner_a, partner_b
):
    answer(session, partner_a, "confirmed", at_moment=at(MONDAY, "08:05"))
    answer(
        session,
        partner_b,
        "reschedule_requested",
        "Could we move to Thursday?",
        at(MONDAY, "21:40"),
    )

    page = text_of(therapist_client.get(detail_url(session)))

    assert "Answers to reminders" in page
    assert "Jordan Confirmed Jan 11, 8:05 AM" in page
    assert "Alex Asked to reschedule Jan 11, 9:40 PM “Could we move to Thursday?”" in page


def test_a_partner_who_has_not_answered_is_shown_so(therapist_client, session, partner_a):
    answer(session, partner_a, "confirmed")

    page = text_of(therapist_client.get(detail_url(session)))

    assert "Alex No answer" in page


def test_the_agenda_marks_each_partners_answer(therapist_client, session, partner_a, partner_b):
    answer(session, partner_a, "confirmed")
    answer(session, partner_b, "cancel_requested", "Private detail for the session page")

    response = therapist_client.get(AGENDA, {"date": TUESDAY.isoformat()})

    page = text_of(response)
    assert "Jordan: Not marked Confirmed Alex: Not marked Asked to cancel" in page
    assert "Private detail" not in page  # the note is on the session's own page
    assert 'class="badge text-bg-warning">Asked to cancel' in response.text
