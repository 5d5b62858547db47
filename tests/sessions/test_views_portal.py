import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from icalendar import Calendar

from audit.models import AuditEvent
from common.moments import clock_text, relative_text
from couples import services as couple_services
from couples.models import CareRole
from sessions import queries, services
from sessions.models import Attendance, CalendarFeed, SessionKind, TherapySession
from tests.auth import sign_in_with_mfa
from tests.factories import (
    ClinicianFactory,
    CoupleFactory,
    NotificationFactory,
    PartnerFactory,
    UserFactory,
)

pytestmark = pytest.mark.timeshift

SESSIONS = "/portal/sessions/"
HOME = "/portal/"
CALENDAR = "/calendar/"
CHICAGO = ZoneInfo("America/Chicago")


def sign_in_with_totp(client, user):
    """Clinicians reach video rooms and calendar pages only after a second factor."""
    sign_in_with_mfa(client, user)


def join_url(session):
    return f"/sessions/{session.pk}/join/"


def feed_url(feed):
    return f"/calendar/{feed.token}.ics"


def _token_shown(page) -> str:
    """The feed token in the address the page shows (once, right after it is made)."""
    return re.search(r"/calendar/([\w-]+)\.ics", page.text).group(1)


def minutes_from_now(minutes: int) -> datetime.datetime:
    # Whole minutes, as a calendar file carries no fractions of a second.
    return timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=minutes)


def local_clock(moment: datetime.datetime, zone=CHICAGO) -> str:
    return clock_text(moment.astimezone(zone))


def events_of(response) -> list:
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


@pytest.fixture
def couple(db):
    """Jordan and Alex live in Chicago, an hour behind the clinic."""
    return CoupleFactory(time_zone="America/Chicago")


@pytest.fixture
def maya(couple, partner_a, partner_b):
    """The couple's couples therapist."""
    maya = ClinicianFactory(user__first_name="Maya", user__last_name="Chen", credentials="LMFT")
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    return maya


@pytest.fixture
def dan(couple, partner_a, maya):
    """Jordan's individual therapist: on the care team, but not in the couple's sessions."""
    dan = ClinicianFactory(
        can_be_couples_therapist=False,
        can_be_individual_therapist=True,
        user__first_name="Dan",
        user__last_name="Okafor",
    )
    couple_services.care_team_assign(
        couple=couple,
        partner=partner_a,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=dan,
        by=None,
    )
    return dan


@pytest.fixture
def jordan(client, partner_a, partner_b):
    """Jordan (partner A) signed in, with Alex (partner B) as partner."""
    client.force_login(partner_a.user)
    return client


def couples_session(maya, couple, *, starts_in: int, minutes: int = 60) -> TherapySession:
    return services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=couple,
        starts_at=minutes_from_now(starts_in),
        duration_minutes=minutes,
        by=maya.user,
    )


def group_session(clinician, partners, *, starts_in: int, minutes: int = 180) -> TherapySession:
    return services.session_schedule(
        kind=SessionKind.GROUP,
        clinician=clinician,
        partners=partners,
        starts_at=minutes_from_now(starts_in),
        duration_minutes=minutes,
        by=clinician.user,
    )


def other_couple_partners() -> list:
    first = PartnerFactory(user__first_name="Quinn", user__last_name="Zephyr")
    second = PartnerFactory(couple=first.couple, user__first_name="Rowan", user__last_name="Zephyr")
    return [first, second]


def mark(session, by, **marks):
    """Attendance by partner: mark(session, maya.user, **{str(pk): ("present", 50)})."""
    return services.attendance_mark(
        session=session, marks={int(pk): value for pk, value in marks.items()}, by=by
    )


# My sessions


def test_my_sessions_are_listed_with_times_in_my_couples_time_zone(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=2 * 24 * 60)

    response = jordan.get(SESSIONS)

    assert response.status_code == 200
    assert "Times are in your time zone, Central Time (CT)." in response.text
    local = session.starts_at.astimezone(CHICAGO)
    assert f"{local:%A, %B} {local.day}, {clock_text(local)}–" in response.text
    assert "Couples therapy" in response.text
    assert "With Maya Chen, LMFT" in response.text


def test_only_my_own_sessions_are_listed(jordan, maya, couple, partner_b):
    alexs_own = group_session(maya, [partner_b], starts_in=3 * 24 * 60)
    other = other_couple_partners()
    other_therapist = ClinicianFactory(user__last_name="Faraday")
    couple_services.care_team_assign(
        couple=other[0].couple, role=CareRole.COUPLES_THERAPIST, clinician=other_therapist, by=None
    )
    couples_session(other_therapist, other[0].couple, starts_in=24 * 60)
    mine = couples_session(maya, couple, starts_in=2 * 24 * 60)

    response = jordan.get(SESSIONS)

    assert [row.session for row in response.context["upcoming"]] == [mine]
    assert join_url(alexs_own) not in response.text
    assert "Faraday" not in response.text


def test_join_is_enabled_from_ten_minutes_before_the_start(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=5)

    response = jordan.get(SESSIONS)

    assert f'href="{join_url(session)}"' in response.text
    assert "Join opens at" not in response.text


def test_join_is_disabled_half_an_hour_before_and_says_when_it_opens(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=30)

    response = jordan.get(SESSIONS)

    opens = session.starts_at - datetime.timedelta(minutes=10)
    assert f"Join opens at {local_clock(opens)}" in response.text
    assert join_url(session) not in response.text
    assert "disabled" in response.text


def test_a_session_that_has_ended_is_listed_as_past_without_join(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=-120)

    response = jordan.get(SESSIONS)

    assert response.context["upcoming"] == []
    assert [row.session for row in response.context["past"]] == [session]
    assert join_url(session) not in response.text
    assert "Attendance not marked yet" in response.text


def test_a_cancelled_or_moved_session_shows_its_reason(jordan, maya, couple):
    cancelled = couples_session(maya, couple, starts_in=24 * 60)
    moved = couples_session(maya, couple, starts_in=2 * 24 * 60)
    services.session_cancel(session=cancelled, reason="Maya is unwell", by=maya.user)
    services.session_reschedule(
        session=moved,
        starts_at=moved.starts_at + datetime.timedelta(hours=2),
        reason="Later, after work",
        by=maya.user,
    )

    response = jordan.get(SESSIONS)

    assert "Cancelled: Maya is unwell" in response.text
    assert "Moved: Later, after work" in response.text
    assert join_url(cancelled) not in response.text


def test_past_sessions_show_my_attendance_and_minutes(jordan, maya, couple, partner_a, partner_b):
    session = couples_session(maya, couple, starts_in=-24 * 60)
    mark(session, maya.user, **{str(partner_a.pk): ("late", 45), str(partner_b.pk): ("absent", 0)})

    response = jordan.get(SESSIONS)

    assert "Late · 45 min" in response.text
    assert "Absent" not in response.text


def test_a_group_shows_the_clinician_and_a_count_never_other_couples(
    jordan, maya, partner_a, partner_b
):
    others = other_couple_partners()
    upcoming = group_session(maya, [partner_a, partner_b, *others], starts_in=24 * 60)
    past = group_session(maya, [partner_a, *others], starts_in=-2 * 24 * 60)
    mark(
        past,
        maya.user,
        **{
            str(partner_a.pk): ("present", 170),
            str(others[0].pk): ("excused", 0),
            str(others[1].pk): ("absent", 0),
        },
    )

    response = jordan.get(SESSIONS)

    assert upcoming.pk in [row.session.pk for row in response.context["upcoming"]]
    assert "With Maya Chen, LMFT · 4 participants" in response.text
    assert "3 participants" in response.text
    assert "Present · 170 min" in response.text
    assert "Quinn" not in response.text and "Rowan" not in response.text
    assert "Zephyr" not in response.text
    assert "Excused" not in response.text and "Absent" not in response.text


def test_this_weeks_program_hours_count_my_marked_minutes(
    jordan, maya, couple, partner_a, partner_b
):
    week_start, _ = queries.week_bounds(
        day=timezone.now().astimezone(CHICAGO).date(), time_zone="America/Chicago"
    )
    # Started within this week whatever the day: attendance is marked once it began.
    starts_at = max(minutes_from_now(-100), week_start.astimezone(datetime.UTC))
    session = services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=couple,
        starts_at=starts_at,
        duration_minutes=90,
        by=maya.user,
    )
    mark(
        session, maya.user, **{str(partner_a.pk): ("present", 90), str(partner_b.pk): ("late", 30)}
    )

    response = jordan.get(SESSIONS)

    assert response.context["iop"] == {"hours": 1.5, "target": 9, "is_met": False}
    assert "<strong>1.5</strong> of 9 hours" in response.text


@pytest.mark.parametrize("size", [2, 30])
def test_my_sessions_page_uses_the_same_number_of_queries_for_any_number_of_sessions(
    jordan, maya, couple, partner_a, partner_b, size, django_assert_num_queries
):
    others = other_couple_partners()
    for number in range(size):
        # Spread over the last 30 and the next 14 days, a group every third one.
        starts_in = (-29 * 24 * 60) + number * (42 * 24 * 60 // size)
        if number % 3 == 0:
            group_session(maya, [partner_a, partner_b, *others], starts_in=starts_in, minutes=60)
        else:
            couples_session(maya, couple, starts_in=starts_in)
    jordan.get(SESSIONS)  # the first request stamps the session

    # session, user with roles, partner with couple and user, the couple's partners with
    # users, the sessions with clinicians, their participants, my minutes this week
    with django_assert_num_queries(7):
        response = jordan.get(SESSIONS)

    rows = response.context["upcoming"] + response.context["past"]
    assert len(rows) == size


def test_a_clinician_cannot_open_the_partners_sessions_page(client, maya):
    sign_in_with_totp(client, maya.user)

    assert client.get(SESSIONS).status_code == 403


# Portal home


def test_the_home_shows_my_next_session_with_join_when_open(jordan, maya, couple, time_machine):
    # Held still: "In 5 min" must not become "In 4 min" if a minute turns before the page.
    time_machine.move_to(timezone.now(), tick=False)
    session = couples_session(maya, couple, starts_in=5)
    couples_session(maya, couple, starts_in=24 * 60)

    response = jordan.get(HOME)

    assert response.context["next_session"].session == session
    assert f'href="{join_url(session)}"' in response.text
    assert f"In 5 min CT</time>, until {local_clock(session.ends_at)}" in response.text
    assert "of 9 hours" in response.text


def test_the_home_skips_a_cancelled_session_and_says_when_the_next_is(jordan, maya, couple):
    cancelled = couples_session(maya, couple, starts_in=5)
    services.session_cancel(session=cancelled, reason="Snow", by=maya.user)
    # Two days ahead: never today, even on the 25-hour day the clocks fall back.
    later = couples_session(maya, couple, starts_in=48 * 60)

    response = jordan.get(HOME)

    assert response.context["next_session"].session == later
    # This week says when it is in words; "Join opens at" is for a session today.
    when = relative_text(later.starts_at, zone=CHICAGO)  # "Wednesday at 6:00 PM"
    assert f"{when[0].upper()}{when[1:]} CT" in response.text
    assert "Join opens at" not in response.text


@pytest.mark.parametrize("size", [2, 30])
def test_the_homes_sessions_part_costs_the_same_queries_for_any_number_of_sessions(
    jordan, maya, couple, partner_a, partner_b, size, django_assert_num_queries
):
    for number in range(size):
        # Daily, half of them past, and the next one an hour from now.
        session = couples_session(maya, couple, starts_in=(number - size // 2) * 24 * 60 + 60)
        if session.starts_at < timezone.now():
            mark(session, maya.user, **{str(p.pk): ("present", 60) for p in (partner_a, partner_b)})
    jordan.get(HOME)  # the first request stamps the session

    # The home without sessions is pinned in tests/couples/test_views.py (11, with the
    # measures part's schedules and the plans part); the sessions part adds one query when
    # there is a next session: its participants.
    with django_assert_num_queries(12):
        response = jordan.get(HOME)

    assert response.context["next_session"] is not None


def test_the_home_says_when_no_session_is_scheduled(jordan):
    response = jordan.get(HOME)

    assert response.context["next_session"] is None
    assert "No session scheduled yet." in response.text


# Joining


def test_a_participant_joins_during_the_window_and_it_is_audited(jordan, maya, couple, partner_a):
    session = couples_session(maya, couple, starts_in=5)

    response = jordan.get(join_url(session))

    assert response.status_code == 302
    assert response["Location"] == session.video_url
    assert session.video_url.startswith(settings.TELEHEALTH_BASE_URL.rstrip("/"))
    event = AuditEvent.objects.get(actor=partner_a.user, action=AuditEvent.Action.READ)
    assert (event.target_type, event.target_id, event.allowed) == (
        "therapy_sessions.TherapySession",
        str(session.pk),
        True,
    )


def test_the_sessions_clinician_joins_during_the_window(client, maya, couple):
    session = couples_session(maya, couple, starts_in=-20)
    sign_in_with_totp(client, maya.user)

    response = client.get(join_url(session))

    assert response.status_code == 302
    assert response["Location"] == session.video_url


def test_joining_too_early_says_when_it_opens_and_gives_no_link(jordan, maya, couple, partner_a):
    session = couples_session(maya, couple, starts_in=30)

    response = jordan.get(join_url(session))

    assert response.status_code == 200
    opens = session.starts_at - datetime.timedelta(minutes=10)
    assert f"The session opens at <strong>{local_clock(opens)}</strong>" in response.text
    assert session.room_id not in response.text
    assert not AuditEvent.objects.filter(actor=partner_a.user).exists()


def test_joining_after_the_end_says_it_has_ended(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=-90)

    response = jordan.get(join_url(session))

    assert response.status_code == 200
    assert "This session has ended." in response.text
    assert session.room_id not in response.text


def test_joining_a_cancelled_session_says_so_with_its_reason(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=5)
    services.session_cancel(session=session, reason="Maya is unwell", by=maya.user)

    response = jordan.get(join_url(session))

    assert response.status_code == 200
    assert "This session was cancelled: Maya is unwell" in response.text
    assert session.room_id not in response.text


def test_an_outsider_gets_404_and_it_is_audited(client, maya, couple, outsider):
    session = couples_session(maya, couple, starts_in=5)
    client.force_login(outsider.user)

    response = client.get(join_url(session))

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=outsider.user, allowed=False).exists()


def test_a_care_team_clinician_who_does_not_run_the_session_gets_403(client, maya, dan, couple):
    session = couples_session(maya, couple, starts_in=5)
    sign_in_with_totp(client, dan.user)

    response = client.get(join_url(session))

    assert response.status_code == 403
    # The refusal is audited (issue 17: every denial), and nothing else about the session.
    (refused,) = AuditEvent.objects.filter(actor=dan.user)
    assert not refused.allowed and refused.detail["status"] == 403


def test_joining_needs_sign_in(client, maya, couple):
    session = couples_session(maya, couple, starts_in=5)

    response = client.get(join_url(session))

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={join_url(session)}"


# Calendar page


def test_the_calendar_page_offers_to_create_an_address_and_creates_nothing_by_itself(jordan):
    response = jordan.get(CALENDAR)

    assert response.status_code == 200
    assert "This address is private." in response.text
    assert 'value="create"' in response.text
    assert not CalendarFeed.objects.exists()


def test_creating_an_address_shows_it_in_full(jordan, partner_a):
    response = jordan.post(CALENDAR, {"action": "create"})

    assert response.status_code == 302
    assert response["Location"] == CALENDAR
    page = jordan.get(CALENDAR)
    token = _token_shown(page)
    assert f'value="{settings.SITE_URL}/calendar/{token}.ics"' in page.text
    assert f'href="webcal://localhost:8000/calendar/{token}.ics"' in page.text
    assert 'value="replace"' in page.text and 'value="revoke"' in page.text
    # Only its hash is kept: the address is shown that once.
    feed = CalendarFeed.objects.get(user=partner_a.user, revoked_at=None)
    assert token not in str(CalendarFeed.objects.filter(pk=feed.pk).values().get())
    again = jordan.get(CALENDAR).text
    assert token not in again and "shown only when it was made" in again


def test_replacing_the_address_stops_the_old_one_at_once(jordan, client, partner_a):
    jordan.post(CALENDAR, {"action": "create"})
    old = _token_shown(jordan.get(CALENDAR))

    response = jordan.post(CALENDAR, {"action": "replace"})

    new = _token_shown(jordan.get(CALENDAR))
    assert response.status_code == 302
    assert new != old
    client.logout()
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_turning_the_address_off_stops_it(jordan, client, partner_a):
    jordan.post(CALENDAR, {"action": "create"})
    token = _token_shown(jordan.get(CALENDAR))

    response = jordan.post(CALENDAR, {"action": "revoke"})

    assert response.status_code == 302
    assert not CalendarFeed.objects.filter(revoked_at=None).exists()
    assert 'value="create"' in jordan.get(CALENDAR).text
    client.logout()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_every_fetch_of_the_feed_is_audited(client, partner_a):
    feed = services.calendar_feed_create(user=partner_a.user)

    client.get(feed_url(feed))
    client.get(feed_url(feed))

    fetches = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert fetches.count() == 2
    assert {event.patient for event in fetches} == {partner_a}
    assert fetches.first().detail == {"via": "calendar feed", "owner": partner_a.user_id}


def test_an_unknown_calendar_action_changes_nothing(jordan):
    response = jordan.post(CALENDAR, {"action": "delete-everything"})

    assert response.status_code == 302
    assert not CalendarFeed.objects.exists()


def test_a_clinician_has_a_calendar_address_too(client, maya):
    sign_in_with_totp(client, maya.user)

    response = client.post(CALENDAR, {"action": "create"})

    assert response.status_code == 302
    assert CalendarFeed.objects.filter(user=maya.user).exists()


def test_someone_without_sessions_cannot_have_a_calendar_address(client, db):
    client.force_login(UserFactory())

    assert client.get(CALENDAR).status_code == 403
    assert client.post(CALENDAR, {"action": "create"}).status_code == 403
    assert not CalendarFeed.objects.exists()


# Calendar feed


def test_the_feed_has_exactly_my_sessions_at_their_times(
    client, maya, dan, couple, partner_a, partner_b
):
    mine = [
        couples_session(maya, couple, starts_in=-2 * 24 * 60),
        couples_session(maya, couple, starts_in=3 * 24 * 60, minutes=90),
    ]
    alexs_own = group_session(maya, [partner_b], starts_in=24 * 60)
    services.session_schedule(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=dan,
        couple=couple,
        partner=partner_a,
        starts_at=minutes_from_now(5 * 24 * 60),
        duration_minutes=50,
        by=dan.user,
    )
    mine.append(TherapySession.objects.get(clinician=dan))
    feed = services.calendar_feed_create(user=partner_a.user)

    response = client.get(feed_url(feed))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    events = events_of(response)
    host = "localhost"
    assert [str(event["UID"]) for event in events] == [f"session-{s.pk}@{host}" for s in mine]
    assert f"session-{alexs_own.pk}@" not in response.text
    for event, session in zip(events, mine, strict=True):
        assert event.decoded("DTSTART") == session.starts_at
        assert event.decoded("DTEND") == session.ends_at
        assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(0)
        # Lock screens and shared calendars: not the kind of session, not the clinic's name.
        assert str(event["SUMMARY"]) == f"Appointment · {settings.CLINIC_DISCREET_NAME}"
        assert str(event["URL"]) == f"{settings.SITE_URL}/sessions/{session.pk}/join/"
        assert str(event["STATUS"]) == "CONFIRMED"


def test_the_feed_names_nobody_and_carries_no_notes(client, maya, couple, partner_a, partner_b):
    others = other_couple_partners()
    group_session(maya, [partner_a, *others], starts_in=24 * 60)
    moved = couples_session(maya, couple, starts_in=2 * 24 * 60)
    services.session_reschedule(
        session=moved,
        starts_at=moved.starts_at + datetime.timedelta(hours=3),
        reason="Jordan asked for an evening slot after the relapse talk",
        by=maya.user,
    )
    feed = services.calendar_feed_create(user=partner_a.user)

    body = client.get(feed_url(feed)).content.decode()

    for word in ("Jordan", "Alex", "Quinn", "Rowan", "Zephyr", "Maya", "Chen", "relapse"):
        assert word not in body
    assert partner_a.user.last_name not in body
    assert "@example.test" not in body


def test_a_cancelled_session_is_in_the_feed_as_cancelled(client, maya, couple, partner_a):
    session = couples_session(maya, couple, starts_in=24 * 60)
    services.session_cancel(session=session, reason="Snow storm", by=maya.user)
    feed = services.calendar_feed_create(user=partner_a.user)

    [event] = events_of(client.get(feed_url(feed)))

    assert str(event["STATUS"]) == "CANCELLED"
    assert "Snow storm" not in client.get(feed_url(feed)).content.decode()


def test_a_clinicians_feed_has_the_sessions_they_run_not_their_teams(
    client, maya, dan, couple, partner_a
):
    run_by_maya = couples_session(maya, couple, starts_in=24 * 60)
    services.session_schedule(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=dan,
        couple=couple,
        partner=partner_a,
        starts_at=minutes_from_now(2 * 24 * 60),
        duration_minutes=50,
        by=dan.user,
    )
    feed = services.calendar_feed_create(user=maya.user)

    events = events_of(client.get(feed_url(feed)))

    assert [str(event["UID"]) for event in events] == [f"session-{run_by_maya.pk}@localhost"]


def test_the_feed_reaches_a_month_back_and_half_a_year_ahead(client, maya, couple, partner_a):
    couples_session(maya, couple, starts_in=-31 * 24 * 60)
    inside = [
        couples_session(maya, couple, starts_in=-29 * 24 * 60),
        couples_session(maya, couple, starts_in=179 * 24 * 60),
    ]
    couples_session(maya, couple, starts_in=181 * 24 * 60)
    feed = services.calendar_feed_create(user=partner_a.user)

    events = events_of(client.get(feed_url(feed)))

    assert [str(e["UID"]) for e in events] == [f"session-{s.pk}@localhost" for s in inside]


def test_the_feed_is_neither_cached_nor_indexed(client, maya, couple, partner_a):
    feed = services.calendar_feed_create(user=partner_a.user)

    response = client.get(feed_url(feed))

    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert "noindex" in response["X-Robots-Tag"]


def test_unknown_and_revoked_addresses_are_404(client, partner_a):
    feed = services.calendar_feed_create(user=partner_a.user)
    services.calendar_feed_revoke(feed=feed)

    assert client.get(feed_url(feed)).status_code == 404
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_the_feed_of_a_deactivated_person_is_404(client, partner_a):
    feed = services.calendar_feed_create(user=partner_a.user)
    partner_a.user.is_active = False
    partner_a.user.save(update_fields=["is_active"])

    assert client.get(feed_url(feed)).status_code == 404


@pytest.mark.parametrize("size", [2, 30])
def test_the_feed_uses_five_queries_for_any_number_of_sessions(
    client, maya, couple, partner_a, size, django_assert_num_queries
):
    for number in range(size):
        couples_session(maya, couple, starts_in=-20 * 24 * 60 + number * 24 * 60)
    feed = services.calendar_feed_create(user=partner_a.user)

    # the feed with its user, the fetch's audit row (lock a chain, insert, move its head),
    # the sessions
    with django_assert_num_queries(5):
        response = client.get(feed_url(feed))

    assert len(events_of(response)) == size


# Answering a reminder


def respond_url(session, answer: str | None = None) -> str:
    url = f"/portal/sessions/{session.pk}/respond/"
    return f"{url}?answer={answer}" if answer else url


def my_attendance(session, partner):
    return Attendance.objects.get(session=session, partner=partner)


@pytest.mark.parametrize("answer", ["confirmed", "cancel_requested", "reschedule_requested"])
def test_a_reminders_link_opens_the_page_with_its_answer_chosen_and_records_nothing(
    jordan, maya, couple, partner_a, answer
):
    session = couples_session(maya, couple, starts_in=24 * 60)

    response = jordan.get(respond_url(session, answer))

    assert response.status_code == 200
    assert response.context["form"]["response"].value() == answer
    assert re.search(rf'value="{answer}"[^>]*checked', response.text)
    local = session.starts_at.astimezone(CHICAGO)
    assert f"{local:%A, %B} {local.day}, {clock_text(local)}–" in response.text
    assert my_attendance(session, partner_a).responded_at is None
    assert not AuditEvent.objects.filter(target_type="therapy_sessions.Attendance").exists()


def test_an_unknown_answer_in_the_link_falls_back_to_my_last_answer(
    jordan, maya, couple, partner_a
):
    session = couples_session(maya, couple, starts_in=24 * 60)
    services.attendance_respond(
        session=session, partner=partner_a, response="cancel_requested", note="Sick"
    )

    response = jordan.get(respond_url(session, "delete_everything"))

    assert response.context["form"]["response"].value() == "cancel_requested"
    assert "Your answer so far: Asked to cancel" in " ".join(response.text.split()).replace(
        "<strong>", ""
    ).replace("</strong>", "")


def test_sending_an_answer_records_it_and_returns_to_my_sessions(jordan, maya, couple, partner_a):
    session = couples_session(maya, couple, starts_in=24 * 60)

    response = jordan.post(
        respond_url(session, "confirmed"),
        {"response": "reschedule_requested", "note": "Could we do Thursday?"},
        follow=True,
    )

    assert response.redirect_chain == [(SESSIONS, 302)]
    assert "Your request to move the session is saved" in response.text
    attendance = my_attendance(session, partner_a)
    assert attendance.response == "reschedule_requested"
    assert attendance.response_note == "Could we do Thursday?"
    assert "My answer: <strong>Asked to reschedule</strong>" in response.text


def test_my_sessions_offer_an_answer_only_for_sessions_still_to_come(
    jordan, maya, couple, partner_a
):
    coming = couples_session(maya, couple, starts_in=24 * 60)
    under_way = couples_session(maya, couple, starts_in=-10)

    response = jordan.get(SESSIONS)

    assert f'href="{respond_url(coming)}"' in response.text
    assert f'href="{respond_url(under_way)}"' not in response.text


def test_the_other_partners_answer_is_not_shown_to_me(jordan, maya, couple, partner_b):
    session = couples_session(maya, couple, starts_in=24 * 60)
    services.attendance_respond(
        session=session, partner=partner_b, response="cancel_requested", note="Private reason"
    )

    response = jordan.get(SESSIONS)

    assert "Asked to cancel" not in response.text
    assert "Private reason" not in response.text


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({}, "Choose whether you will be there."),
        ({"response": "maybe"}, "Select a valid choice."),
        ({"response": "confirmed", "note": "x" * 301}, "at most 300 characters"),
    ],
)
def test_a_bad_answer_is_explained_and_changes_nothing(
    jordan, maya, couple, partner_a, posted, message
):
    session = couples_session(maya, couple, starts_in=24 * 60)

    response = jordan.post(respond_url(session), posted)

    assert response.status_code == 200
    assert message in response.text
    assert my_attendance(session, partner_a).response == ""


def test_a_session_that_has_started_takes_no_answer(jordan, maya, couple, partner_a):
    session = couples_session(maya, couple, starts_in=-5)

    page = jordan.get(respond_url(session, "confirmed"))
    posted = jordan.post(respond_url(session), {"response": "confirmed"})

    assert "This session has already started, so it takes no answer now." in page.text
    assert "Send my answer" not in page.text
    assert posted.status_code == 200
    assert my_attendance(session, partner_a).response == ""


def test_a_cancelled_session_says_so(jordan, maya, couple):
    session = couples_session(maya, couple, starts_in=24 * 60)
    services.session_cancel(session=session, reason="Snow", by=maya.user)

    response = jordan.get(respond_url(session, "confirmed"))

    assert "This session is cancelled, so it takes no answer now." in response.text


@pytest.mark.parametrize("who", ["another_couples_partner", "partner_not_in_it", "clinician"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_sessions_own_partners_find_the_page(
    client, maya, dan, couple, partner_a, partner_b, who, method
):
    # Jordan's individual session: Alex is not in it, and Dan, who runs it, is a clinician.
    session = services.session_schedule(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=dan,
        couple=couple,
        partner=partner_a,
        starts_at=minutes_from_now(24 * 60),
        duration_minutes=50,
        by=dan.user,
    )
    visitor = {
        "another_couples_partner": other_couple_partners()[0].user,
        "partner_not_in_it": partner_b.user,
        "clinician": dan.user,
    }[who]
    sign_in_with_totp(client, visitor)

    response = getattr(client, method)(respond_url(session, "confirmed"), {"response": "confirmed"})

    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=visitor, allowed=False).exists()
    assert my_attendance(session, partner_a).response == ""


@pytest.mark.parametrize("size", [2, 30])
def test_the_answer_page_uses_the_same_number_of_queries_for_any_number_of_notifications(
    jordan, maya, couple, partner_a, size, django_assert_max_num_queries
):
    session = couples_session(maya, couple, starts_in=24 * 60)
    for _ in range(size):
        NotificationFactory(recipient=partner_a.user)
    jordan.get(respond_url(session))  # the first request stamps the session

    # session, user with roles, my place in the session with the session, its clinician and
    # my couple; the top bar's unread notifications
    with django_assert_max_num_queries(4):
        assert jordan.get(respond_url(session, "confirmed")).status_code == 200
