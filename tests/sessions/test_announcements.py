"""A session's two-party steps, announced (sessions/announcements.py): booked, a weekly series
booked, moved, cancelled, and a partner's request to move or cancel; with the calendar file
each carries (sessions/ics.py) and what no email may say."""

import datetime

import pytest
from django.core import mail
from icalendar import Calendar

from couples import notifications
from couples.models import Notification
from sessions import announcements, ics, services
from sessions.announcements import (
    BOOKED,
    CANCEL_REQUESTED,
    CANCELLED,
    MOVED,
    REMINDER_1H,
    REMINDER_24H,
    RESCHEDULE_REQUESTED,
    SERIES_BOOKED,
)
from sessions.models import SessionKind, TherapySession
from sessions.notifications import when_text

# Tuesday 1 December 2026, 10:00 in New York (the couple's zone). The clock stands still.
NOW = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)
pytestmark = [pytest.mark.time_machine(NOW, tick=False), pytest.mark.timeshift]
# What no email, subject or calendar file may say: the kind of session, or anyone's name but
# the recipient's own first name in the greeting.
KIND_WORDS = ("therapy", "Therapy", "counsel", "Couples")


@pytest.fixture(autouse=True)
def _only_session_kinds(monkeypatch):
    for name in [name for name in notifications.KINDS if not name.startswith("session_")]:
        monkeypatch.delitem(notifications.KINDS, name)


def _book(maya, couple, *, starts_at=None, by=None):
    return services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=couple,
        starts_at=starts_at or NOW + datetime.timedelta(days=3),
        duration_minutes=60,
        by=by or maya.user,
    )


def _book_series(maya, couple, *, weeks=4, by=None):
    """Mondays and Wednesdays at 18:00 in New York, from Monday 7 December."""
    first = datetime.date(2026, 12, 7)
    return services.series_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=maya,
        couple=couple,
        weekdays=[0, 2],
        start_time=datetime.time(18, 0),
        duration_minutes=60,
        starts_on=first,
        ends_on=first + datetime.timedelta(weeks=weeks) - datetime.timedelta(days=1),
        by=by or maya.user,
    )


def _send_queued(now=NOW):
    ids = list(
        Notification.objects.filter(status=Notification.Status.QUEUED).values_list("pk", flat=True)
    )
    notifications.notifications_send(notification_ids=ids, now=now)
    return ids


def _rows(kind):
    return Notification.objects.filter(kind=kind)


def _calendar(email) -> Calendar:
    [(filename, content, mimetype)] = email.attachments
    assert mimetype == "text/calendar" and filename.endswith(".ics")
    return Calendar.from_ical(content)


def _all_text(email) -> str:
    [(_, content, _)] = email.attachments or [(None, b"", None)]
    content = content.decode() if isinstance(content, bytes) else content
    return " ".join([email.subject, email.body, email.alternatives[0][0], content])


def _when(moment, user):
    return when_text(moment, notifications.recipient_for(user))


# --- Booked: one session ----------------------------------------------------------------------


def test_booking_a_session_tells_each_partner_once_with_its_calendar_event(
    couples_therapist, partner_a, partner_b
):
    session = _book(couples_therapist, partner_a.couple)
    _send_queued()

    rows = _rows(BOOKED)
    # The clinician booked it herself: only the partners hear of it.
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(
        [partner_a.user_id, partner_b.user_id]
    )
    assert {(row.status, row.slot) for row in rows} == {("sent", session.starts_at)}
    email = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    assert email.subject == f"Session booked: {_when(session.starts_at, partner_a.user)}"
    assert f"/portal/sessions/{session.pk}/respond/?answer=confirmed" in email.body
    assert "answer=reschedule_requested" in email.body
    calendar = _calendar(email)
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "PUBLISH"
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"session-{session.pk}@localhost", 0)
    assert event.decoded("DTSTART") == session.starts_at
    assert str(event["ORGANIZER"]) == "mailto:no-reply@localhost"
    assert event["ORGANIZER"].params["CN"] == "Clinic Portal"
    assert str(event["SUMMARY"]) == "Appointment · Clinic Portal"


def test_a_session_someone_else_booked_is_announced_to_its_clinician_too(
    couples_therapist, partner_a, partner_b, staff
):
    session = _book(couples_therapist, partner_a.couple, by=staff)
    _send_queued()

    email = next(m for m in mail.outbox if m.to == [couples_therapist.user.email])
    assert email.subject == f"Session booked: {_when(session.starts_at, couples_therapist.user)}"
    assert f"/clinic/sessions/{session.pk}/" in email.body
    assert _calendar(email)["METHOD"] == "PUBLISH"
    assert _rows(BOOKED).count() == 3


def test_no_booking_email_or_calendar_file_says_the_kind_or_anyone_elses_name(
    couples_therapist, partner_a, partner_b, staff
):
    _book(couples_therapist, partner_a.couple, by=staff)
    _send_queued()

    assert len(mail.outbox) == 3
    for email in mail.outbox:
        assert not [word for word in KIND_WORDS if word in _all_text(email)]
    to_jordan = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    to_maya = next(m for m in mail.outbox if m.to == [couples_therapist.user.email])
    # Each is greeted by their own first name; nobody else is named.
    for name in ("Alex", "Maya", couples_therapist.user.last_name):
        assert name not in _all_text(to_jordan)
    assert "Jordan" not in _all_text(to_maya) and "Alex" not in _all_text(to_maya)


def test_a_session_entered_after_it_began_is_announced_to_nobody(couples_therapist, partner_a):
    _book(couples_therapist, partner_a.couple, starts_at=NOW - datetime.timedelta(hours=2))

    assert not Notification.objects.exists()


def test_a_booking_notice_for_a_session_that_moved_before_it_went_out_gives_way_to_the_move(
    couples_therapist, partner_a
):
    session = _book(couples_therapist, partner_a.couple)
    services.session_reschedule(
        session=session,
        starts_at=session.starts_at + datetime.timedelta(hours=2),
        reason="Clash",
        by=couples_therapist.user,
    )
    _send_queued()

    assert set(_rows(BOOKED).values_list("status", "status_note")) == {
        ("withdrawn", "The session has moved")
    }
    assert {m.subject.split(" to ")[0] for m in mail.outbox} == {"Session moved"}


# --- Booked: a weekly series ------------------------------------------------------------------


def test_a_weekly_series_is_one_notice_per_person_holding_every_session(
    couples_therapist, partner_a, partner_b
):
    series = _book_series(couples_therapist, partner_a.couple)
    _send_queued()

    sessions = list(series.sessions.order_by("starts_at"))
    assert len(sessions) == 8
    assert not _rows(BOOKED).exists()
    assert sorted(_rows(SERIES_BOOKED).values_list("recipient_id", flat=True)) == sorted(
        [partner_a.user_id, partner_b.user_id]
    )
    assert len(mail.outbox) == 2
    email = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    first = _when(sessions[0].starts_at, partner_a.user)
    assert email.subject == f"Weekly sessions booked: Mondays and Wednesdays, from {first}"
    assert "8 weekly sessions" in email.body
    assert _when(sessions[-1].starts_at, partner_a.user) in email.body
    assert not [word for word in KIND_WORDS if word in _all_text(email)]
    calendar = _calendar(email)
    assert calendar["METHOD"] == "PUBLISH"
    events = calendar.walk("VEVENT")
    # The feed's events, one per session: a later move or cancellation replaces just one.
    feed = Calendar.from_ical(
        ics.session_calendar(
            sessions=sessions,
            calendar_uid="feed",
            clinic_name="Clinic Portal",
            site_url="http://localhost:8000",
        )
    )
    assert [str(e["UID"]) for e in events] == [str(e["UID"]) for e in feed.walk("VEVENT")]
    assert [e.decoded("DTSTART") for e in events] == [s.starts_at for s in sessions]


def test_a_series_someone_else_booked_is_announced_to_its_clinician_once(
    couples_therapist, partner_a, staff
):
    _book_series(couples_therapist, partner_a.couple, by=staff)
    _send_queued()

    to_maya = [m for m in mail.outbox if m.to == [couples_therapist.user.email]]
    assert len(to_maya) == 1
    assert "/clinic/sessions/" in to_maya[0].body


def test_a_series_with_one_session_ahead_is_announced_as_that_session(
    couples_therapist, partner_a, partner_b
):
    series = _book_series(couples_therapist, partner_a.couple, weeks=1)  # Monday, Wednesday
    assert _rows(SERIES_BOOKED).count() == 2
    Notification.objects.all().delete()

    # Announced as if booked on the Tuesday between them (a series entered late).
    late = datetime.datetime(2026, 12, 8, 12, 0, tzinfo=datetime.UTC)
    sessions = list(series.sessions.order_by("starts_at"))
    announcements.series_booked_announce(
        series=series,
        sessions=sessions,
        partners=[partner_a],
        by=couples_therapist.user,
        now=late,
    )

    [row] = Notification.objects.all()
    assert (row.kind, row.object_ref) == (BOOKED, notifications.object_ref(sessions[1]))


# --- Moved and cancelled: the calendar file replaces the event --------------------------------


def test_a_move_raises_the_sequence_and_its_notice_updates_the_same_event(
    couples_therapist, partner_a
):
    session = _book(couples_therapist, partner_a.couple)
    _send_queued()
    mail.outbox.clear()

    services.session_reschedule(
        session=session,
        starts_at=session.starts_at + datetime.timedelta(days=1),
        reason="Clinician away",
        by=couples_therapist.user,
    )
    _send_queued()

    session.refresh_from_db()
    assert session.sequence == 1
    email = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    calendar = _calendar(email)
    [event] = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "PUBLISH"
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"session-{session.pk}@localhost", 1)
    assert event.decoded("DTSTART") == session.starts_at
    assert "Clinician away" not in _all_text(email)


def test_a_cancellation_notice_carries_a_cancel_of_the_same_event(
    couples_therapist, partner_a, partner_b
):
    session = _book(couples_therapist, partner_a.couple)
    _send_queued()
    mail.outbox.clear()

    services.session_cancel(session=session, reason="Snow", by=couples_therapist.user)
    _send_queued()

    session.refresh_from_db()
    assert session.sequence == 1
    assert len(mail.outbox) == 2
    email = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    calendar = _calendar(email)
    [event] = calendar.walk("VEVENT")
    # What RFC 5546 asks of a CANCEL: UID, SEQUENCE, DTSTAMP and ORGANIZER.
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"session-{session.pk}@localhost", 1)
    assert event.decoded("DTSTAMP") == session.updated_at
    assert str(event["ORGANIZER"]) == "mailto:no-reply@localhost"
    text = _all_text(email)
    assert not [word for word in KIND_WORDS if word in text] and "Snow" not in text


def test_each_change_raises_the_sequence_the_feed_shows(couples_therapist, partner_a):
    session = _book(couples_therapist, partner_a.couple)
    services.session_reschedule(
        session=session,
        starts_at=session.starts_at + datetime.timedelta(hours=1),
        reason="x",
        by=couples_therapist.user,
    )
    services.session_reschedule(
        session=session,
        starts_at=session.starts_at + datetime.timedelta(hours=1),
        reason="y",
        by=couples_therapist.user,
    )
    services.session_cancel(session=session, reason="z", by=couples_therapist.user)

    feed = ics.session_calendar(
        sessions=[TherapySession.objects.get(pk=session.pk)],
        calendar_uid="feed",
        clinic_name="Clinic Portal",
        site_url="http://localhost:8000",
    )
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert (event["SEQUENCE"], str(event["STATUS"])) == (3, "CANCELLED")


def test_cancelling_the_rest_of_a_series_raises_each_sessions_sequence(
    couples_therapist, partner_a
):
    series = _book_series(couples_therapist, partner_a.couple, weeks=2)
    first, *rest = series.sessions.order_by("starts_at")

    services.session_cancel(
        session=rest[0], reason="Holiday", by=couples_therapist.user, scope="rest"
    )

    first.refresh_from_db()
    assert first.sequence == 0
    assert {s.sequence for s in TherapySession.objects.filter(pk__in=[r.pk for r in rest])} == {1}


def test_a_cancellation_before_the_booking_notice_went_out_tells_nobody(
    couples_therapist, partner_a
):
    session = _book(couples_therapist, partner_a.couple)

    services.session_cancel(session=session, reason="Booked by mistake", by=couples_therapist.user)
    _send_queued()

    assert set(_rows(BOOKED).values_list("status", flat=True)) == {"withdrawn"}
    assert not _rows(CANCELLED).exists()
    assert mail.outbox == []


def test_a_cancellation_after_the_booking_notice_went_out_is_told(
    couples_therapist, partner_a, partner_b
):
    session = _book(couples_therapist, partner_a.couple)
    _send_queued()

    services.session_cancel(session=session, reason="Snow", by=couples_therapist.user)

    assert _rows(CANCELLED).count() == 2


# --- The reminders beside a booking -----------------------------------------------------------


def _tick(now):
    sent = []
    notifications.notifications_plan(now=now)
    notifications.notifications_dispatch(now=now, send=sent.extend)
    notifications.notifications_send(notification_ids=sent, now=now)


def test_a_session_booked_within_a_day_gets_its_notice_not_also_the_24_hour_reminder(
    couples_therapist, partner_a
):
    session = _book(
        couples_therapist, partner_a.couple, starts_at=NOW + datetime.timedelta(hours=20)
    )
    _tick(NOW)

    assert set(_rows(BOOKED).values_list("status", flat=True)) == {"sent"}
    assert set(_rows(REMINDER_24H).values_list("status", "status_note")) == {
        ("withdrawn", "Said by the booking notice")
    }
    hour_before = session.starts_at - datetime.timedelta(hours=1)
    _tick(hour_before)
    assert set(_rows(REMINDER_1H).values_list("status", flat=True)) == {"sent"}


def test_a_session_booked_days_ahead_still_gets_its_24_hour_reminder(couples_therapist, partner_a):
    session = _book(couples_therapist, partner_a.couple)
    _tick(NOW)

    _tick(session.starts_at - datetime.timedelta(hours=24))

    assert set(_rows(REMINDER_24H).values_list("status", flat=True)) == {"sent"}


# --- A partner asks to move or cancel ---------------------------------------------------------


@pytest.fixture
def booked(couples_therapist, partner_a, partner_b):
    session = _book(couples_therapist, partner_a.couple)
    Notification.objects.all().delete()
    return session


def _ask(session, partner, response, note=""):
    return services.attendance_respond(
        session=session, partner=partner, response=response, note=note
    )


def test_asking_to_reschedule_tells_the_clinician_and_only_the_app_names_who(
    booked, couples_therapist, partner_a
):
    _ask(booked, partner_a, "reschedule_requested", note="Work trip")
    _send_queued()

    [row] = Notification.objects.all()
    when = _when(booked.starts_at, couples_therapist.user)
    assert (row.kind, row.recipient_id, row.status) == (
        RESCHEDULE_REQUESTED,
        couples_therapist.user_id,
        "sent",
    )
    assert row.subject == f"Jordan asked to reschedule the session on {when}"
    assert row.link == f"/clinic/sessions/{booked.pk}/"
    [email] = mail.outbox
    assert email.subject == "A session request to review"
    text = _all_text(email)
    assert f"/clinic/sessions/{booked.pk}/" in text
    for word in ("Jordan", "Alex", "reschedule", "Work trip", *KIND_WORDS):
        assert word not in text


def test_asking_to_cancel_is_a_request_of_its_own(booked, partner_a):
    _ask(booked, partner_a, "reschedule_requested")
    _ask(booked, partner_a, "cancel_requested")
    _send_queued()

    assert sorted(Notification.objects.values_list("kind", "status")) == [
        (CANCEL_REQUESTED, "sent"),
        (RESCHEDULE_REQUESTED, "withdrawn"),  # answered otherwise before it went out
    ]
    assert Notification.objects.get(kind=CANCEL_REQUESTED).subject.startswith(
        "Jordan asked to cancel the session on "
    )


def test_the_same_request_sent_twice_or_again_later_is_one_notice(booked, partner_a, partner_b):
    _ask(booked, partner_a, "cancel_requested")
    _ask(booked, partner_a, "cancel_requested")  # a double submission
    _send_queued()
    _ask(booked, partner_a, "cancel_requested", note="Still cannot come")
    _send_queued()
    _ask(booked, partner_b, "cancel_requested")  # the other partner's is their own
    _send_queued()

    assert Notification.objects.filter(kind=CANCEL_REQUESTED).count() == 2
    assert len(mail.outbox) == 2


def test_confirming_sends_nothing(booked, partner_a):
    _ask(booked, partner_a, "confirmed")

    assert not Notification.objects.exists()


def test_a_request_answered_otherwise_then_asked_again_goes_out(booked, partner_a):
    _ask(booked, partner_a, "reschedule_requested")
    _ask(booked, partner_a, "confirmed")
    _send_queued()
    assert Notification.objects.get().status_note == "The partner answered again"

    _ask(booked, partner_a, "reschedule_requested")
    _send_queued()

    assert Notification.objects.get().status == "sent"
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("change", ["move", "cancel"])
def test_an_unsent_request_is_withdrawn_when_the_clinician_changes_the_session(
    booked, couples_therapist, partner_a, change
):
    _ask(booked, partner_a, "reschedule_requested")
    if change == "move":
        services.session_reschedule(
            session=booked,
            starts_at=booked.starts_at + datetime.timedelta(days=1),
            reason="As asked",
            by=couples_therapist.user,
        )
    else:
        services.session_cancel(session=booked, reason="As asked", by=couples_therapist.user)

    request = Notification.objects.get(kind=RESCHEDULE_REQUESTED)
    assert request.status == "withdrawn"
    assert request.status_note in ("The session has moved", "The session was cancelled")
    assert {row.kind for row in Notification.objects.exclude(pk=request.pk)} == {
        MOVED if change == "move" else CANCELLED
    }


def test_a_request_after_the_session_moved_is_a_new_notice(booked, couples_therapist, partner_a):
    _ask(booked, partner_a, "reschedule_requested")
    _send_queued()
    services.session_reschedule(
        session=booked,
        starts_at=booked.starts_at + datetime.timedelta(days=1),
        reason="As asked",
        by=couples_therapist.user,
    )
    booked.refresh_from_db()
    _ask(booked, partner_a, "reschedule_requested")

    slots = Notification.objects.filter(kind=RESCHEDULE_REQUESTED).values_list("slot", flat=True)
    assert sorted(slots) == [booked.starts_at - datetime.timedelta(days=1), booked.starts_at]


# --- Queries: a worker's chunk is read at once -------------------------------------------------


@pytest.mark.parametrize("count", [1, 8])
def test_sending_booking_notices_reads_a_chunk_at_once(
    django_assert_max_num_queries, couples_therapist, partner_a, partner_b, count
):
    for day in range(count):
        _book(couples_therapist, partner_a.couple, starts_at=NOW + datetime.timedelta(days=day + 1))
    ids = list(_rows(BOOKED).values_list("pk", flat=True))

    # The rows, their sessions, the places in them; then each row's claim and its outcome.
    with django_assert_max_num_queries(3 + 2 * len(ids)):
        notifications.notifications_send(notification_ids=ids, now=NOW)

    assert len(mail.outbox) == 2 * count


@pytest.mark.parametrize("count", [1, 8])
def test_sending_request_notices_reads_a_chunk_at_once(
    django_assert_max_num_queries, couples_therapist, partner_a, partner_b, count
):
    for day in range(count):
        session = _book(
            couples_therapist, partner_a.couple, starts_at=NOW + datetime.timedelta(days=day + 1)
        )
        _ask(session, partner_a, "cancel_requested")
        _ask(session, partner_b, "reschedule_requested")
    ids = list(
        Notification.objects.filter(kind__in=[CANCEL_REQUESTED, RESCHEDULE_REQUESTED]).values_list(
            "pk", flat=True
        )
    )

    # The rows, and for each kind its places with their sessions and partners; then each
    # row's claim, its outcome and the clinician's zone (the outbox reads a recipient's
    # couple's zone with the rows, and looks again for someone who has none).
    with django_assert_max_num_queries(3 + 3 * len(ids)):
        notifications.notifications_send(notification_ids=ids, now=NOW)

    assert len(mail.outbox) == 2 * count


def test_sending_series_notices_reads_the_series_at_once(
    django_assert_max_num_queries, couples_therapist, partner_a, partner_b
):
    _book_series(couples_therapist, partner_a.couple, weeks=8)
    ids = list(_rows(SERIES_BOOKED).values_list("pk", flat=True))

    # The rows, the series' sessions ahead, the places in them; then each row's claim and its
    # outcome.
    with django_assert_max_num_queries(3 + 2 * len(ids)):
        notifications.notifications_send(notification_ids=ids, now=NOW)

    assert len(mail.outbox) == 2
    assert len(_calendar(mail.outbox[0]).walk("VEVENT")) == 16


def test_announcing_a_booking_is_one_insert(
    django_assert_num_queries, couples_therapist, partner_a
):
    session = _book(couples_therapist, partner_a.couple)
    Notification.objects.all().delete()

    with django_assert_num_queries(1):
        announcements.session_booked_announce(
            session=session, partners=[partner_a], by=couples_therapist.user, now=NOW
        )
