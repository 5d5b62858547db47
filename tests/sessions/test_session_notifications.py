"""The outbox (couples/notifications/) through the session kinds: reminders, moves, cancels."""

import dataclasses
import datetime
import smtplib
from email import message_from_bytes
from zoneinfo import ZoneInfo

import psycopg
import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.utils import timezone

from couples import notifications
from couples.models import Notification, NotificationPreference
from couples.tasks import notifications_tick_task
from sessions import notifications as session_notifications
from sessions import services
from sessions.models import Attendance, SessionKind, TherapySession

NOW = datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC)
# The sends below are given a `now`, but a reminder's own check ("has the session begun?") and
# the tick task read the clock: it stands still at NOW, a Tuesday, so the sessions stay ahead.
pytestmark = [pytest.mark.time_machine(NOW, tick=False), pytest.mark.timeshift]


@pytest.fixture(autouse=True)
def _only_session_kinds(monkeypatch):
    """Other apps' kinds (digests, prompts) have their own tests."""
    # Out of the one registry every part of the outbox reads, until the test ends.
    for name in [name for name in notifications.KINDS if not name.startswith("session_")]:
        monkeypatch.delitem(notifications.KINDS, name)


@pytest.fixture
def session(partner_a, partner_b, clinician):
    """Couples therapy tomorrow at 16:00 UTC (11:00 in New York): its 24-hour reminder is due
    at 16:00 today, an hour after NOW."""
    session = TherapySession.objects.create(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=clinician,
        couple=partner_a.couple,
        starts_at=NOW + datetime.timedelta(hours=25),
        ends_at=NOW + datetime.timedelta(hours=26),
        time_zone="America/New_York",
        created_by=clinician.user,
    )
    Attendance.objects.create(session=session, partner=partner_a)
    Attendance.objects.create(session=session, partner=partner_b)
    return session


def _tick(now, sent=None):
    """One beat tick without a broker: plan, rescue, dispatch into a list."""
    sent = [] if sent is None else sent
    notifications.notifications_plan(now=now)
    notifications.notifications_rescue(now=now)
    notifications.notifications_dispatch(now=now, send=sent.extend)
    return sent


def _send_all(ids, now):
    for pk in ids:
        notifications.notification_send(notification_id=pk, now=now)


def test_nothing_is_planned_before_the_reminder_is_due(session):
    assert _tick(NOW) == []
    assert not Notification.objects.exists()


def test_a_due_reminder_is_one_row_per_participant_and_planning_again_adds_none(session):
    due = NOW + datetime.timedelta(hours=1)

    first = _tick(due)
    second = _tick(due)

    rows = Notification.objects.filter(kind=session_notifications.REMINDER_24H)
    assert rows.count() == 2
    assert sorted(first) == sorted(rows.values_list("pk", flat=True))
    assert second == []  # dispatched already, within the dispatch lease
    assert {r.recipient_id for r in rows} == {p.user_id for p in session.participants.all()}
    # Planned from ids, the rows name the session as a withdrawal by the session would.
    assert {r.object_ref for r in rows} == {notifications.object_ref(session)}


def test_the_reminder_email_holds_a_time_and_login_links_but_not_the_kind(session, partner_a):
    due = NOW + datetime.timedelta(hours=1)
    _send_all(_tick(due), due)

    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 2
    email = next(m for m in mail.outbox if m.to == [partner_a.user.email])
    html = email.alternatives[0][0]
    assert "Jordan" in email.body
    assert "Wednesday, December 2 at 11:00 AM ET" in email.body
    assert "Couples therapy" not in email.body + html + email.subject
    assert f"/portal/sessions/{session.pk}/respond/?answer=confirmed" in email.body
    assert "answer=reschedule_requested" in html
    assert email.extra_headers["Message-ID"].startswith("<notification-")
    filename, content, mimetype = email.attachments[0]
    assert (filename, mimetype) == ("session.ics", "text/calendar")
    content = content.decode() if isinstance(content, bytes) else content
    assert "Couples therapy" not in content
    assert "DTSTART:20261202T160000Z" in content


def test_a_sent_row_is_not_sent_again_by_a_redelivered_task(session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    _send_all(ids, due)
    _send_all(ids, due)

    assert len(mail.outbox) == 2


def test_a_row_claimed_by_another_worker_is_left_to_it(session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    Notification.objects.filter(pk=ids[0]).update(
        status=Notification.Status.SENDING, claimed_at=due
    )

    _send_all(ids[:1], due)

    assert mail.outbox == []


def test_a_worker_that_died_holding_a_row_gives_it_back_after_the_lease(session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.SENDING, claimed_at=due
    )

    assert _tick(due + notifications.SEND_LEASE - datetime.timedelta(seconds=1)) == []
    later = due + notifications.SEND_LEASE + datetime.timedelta(seconds=1)
    again = _tick(later)
    _send_all(again, later)

    assert sorted(again) == sorted(ids)
    assert len(mail.outbox) == 2


def test_a_dispatched_row_nobody_claimed_is_dispatched_again_after_the_lease(session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)

    assert _tick(due + notifications.DISPATCH_LEASE) == []
    assert sorted(_tick(due + notifications.DISPATCH_LEASE + datetime.timedelta(seconds=1))) == (
        sorted(ids)
    )


def test_moving_a_session_withdraws_its_queued_reminder_and_plans_the_new_one(session, clinician):
    due = NOW + datetime.timedelta(hours=1)
    old_ids = _tick(due)

    services.session_reschedule(
        session=session,
        starts_at=session.starts_at + datetime.timedelta(hours=2),
        reason="Clinician unwell",
        by=clinician.user,
    )
    _send_all(old_ids, due)  # the tasks already on the broker arrive
    later = due + datetime.timedelta(hours=2)
    _send_all(_tick(later), later)

    old = Notification.objects.filter(pk__in=old_ids)
    assert {r.status for r in old} == {Notification.Status.WITHDRAWN}
    assert set(old.values_list("status_note", flat=True)) == {"The session has moved"}
    reminders = [m for m in mail.outbox if m.subject.startswith("Session reminder")]
    moved = [m for m in mail.outbox if m.subject.startswith("Session moved")]
    assert len(reminders) == 2
    assert all("Wednesday, December 2 at 1:00 PM ET" in m.subject for m in reminders)
    assert len(moved) == 2  # both partners; the clinician moved it himself


def test_a_reminder_claimed_before_the_move_is_stopped_by_its_own_check(session, clinician):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    # Moved behind the outbox's back (no withdrawal): the send re-checks the session.
    TherapySession.objects.filter(pk=session.pk).update(
        starts_at=session.starts_at + datetime.timedelta(hours=3),
        ends_at=session.ends_at + datetime.timedelta(hours=3),
    )

    _send_all(ids, due)

    assert mail.outbox == []
    assert set(Notification.objects.values_list("status", flat=True)) == {"withdrawn"}


def test_moving_a_session_back_revives_its_withdrawn_reminders(session, clinician):
    due = NOW + datetime.timedelta(hours=1)
    _tick(due)
    original = session.starts_at
    services.session_reschedule(
        session=session,
        starts_at=original + datetime.timedelta(days=1),
        reason="x",
        by=clinician.user,
    )
    session.refresh_from_db()
    services.session_reschedule(session=session, starts_at=original, reason="y", by=clinician.user)

    reminders = Notification.objects.filter(kind=session_notifications.REMINDER_24H)
    assert {r.status for r in reminders} == {Notification.Status.QUEUED}
    _send_all(_tick(due), due)
    assert len([m for m in mail.outbox if m.subject.startswith("Session reminder")]) == 2


def test_cancelling_withdraws_reminders_and_tells_the_participants(session, clinician, staff):
    due = NOW + datetime.timedelta(hours=1)
    _tick(due)

    services.session_cancel(session=session, reason="Snow", by=staff)
    _send_all(_tick(due), due)

    assert {
        r.status for r in Notification.objects.filter(kind=session_notifications.REMINDER_24H)
    } == {Notification.Status.WITHDRAWN}
    cancelled = [m for m in mail.outbox if m.subject.startswith("Session cancelled")]
    # Both partners, and the clinician because someone else cancelled.
    assert sorted(m.to[0] for m in cancelled) == sorted(
        [p.user.email for p in session.participants.all()] + [clinician.user.email]
    )
    assert "Snow" not in cancelled[0].body  # the reason is behind the login


def test_a_clinician_gets_reminders_only_after_opting_in(session, clinician):
    due = NOW + datetime.timedelta(hours=1)
    _tick(due)
    assert not Notification.objects.filter(recipient=clinician.user).exists()

    NotificationPreference.objects.create(user=clinician.user, session_reminders=True)
    _send_all(_tick(due), due)

    email = next(m for m in mail.outbox if m.to == [clinician.user.email])
    assert f"/clinic/sessions/{session.pk}/" in email.body


def test_a_partner_who_turned_reminders_off_gets_none(session, partner_a):
    NotificationPreference.objects.create(user=partner_a.user, session_reminders=False)
    due = NOW + datetime.timedelta(hours=1)
    _send_all(_tick(due), due)

    assert [m.to for m in mail.outbox] == [
        [session.participants.exclude(pk=partner_a.pk).get().user.email]
    ]


def test_quiet_hours_hold_a_reminder_until_they_end_in_the_recipients_zone(session, partner_a):
    # 16:00 UTC is 11:00 in New York, 17:00 in Berlin.
    NotificationPreference.objects.create(
        user=partner_a.user,
        time_zone="Europe/Berlin",
        quiet_hours_start=datetime.time(16, 30),
        quiet_hours_end=datetime.time(18, 0),
    )
    due = NOW + datetime.timedelta(hours=1)
    _send_all(_tick(due), due)

    held = Notification.objects.get(recipient=partner_a.user)
    assert held.status == Notification.Status.QUEUED
    assert held.next_attempt_at == datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
    assert len(mail.outbox) == 1  # the other partner's

    assert _tick(due + datetime.timedelta(minutes=30)) == []
    after = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
    _send_all(_tick(after), after)
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("start", "end", "clock", "quiet_end"),
    [
        ("22:00", "07:00", "23:30", "2026-12-02T07:00"),
        ("22:00", "07:00", "06:59", "2026-12-01T07:00"),
        ("22:00", "07:00", "07:00", None),
        ("13:00", "14:00", "12:59", None),
    ],
)
def test_quiet_hours_across_midnight(partner_a, start, end, clock, quiet_end):
    zone = "America/New_York"
    preference = NotificationPreference(
        user=partner_a.user,
        time_zone=zone,
        quiet_hours_start=datetime.time.fromisoformat(start),
        quiet_hours_end=datetime.time.fromisoformat(end),
    )
    recipient = notifications.Recipient(
        user=partner_a.user, preference=preference, zone=ZoneInfo(zone)
    )
    now = datetime.datetime.fromisoformat(f"2026-12-01T{clock}").replace(tzinfo=ZoneInfo(zone))

    until = notifications.quiet_until(recipient, now)

    expected = (
        None
        if quiet_end is None
        else datetime.datetime.fromisoformat(quiet_end).replace(tzinfo=ZoneInfo(zone))
    )
    assert until == expected


def _refuse_with(monkeypatch, error):
    def refuse(self, *args, **kwargs):
        raise error

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)


def test_a_mail_server_that_drops_the_connection_is_probed_again_soon(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    _refuse_with(monkeypatch, smtplib.SMTPServerDisconnected("connection lost"))

    delay = notifications.notification_send(notification_id=ids[0], now=due)

    row = Notification.objects.get(pk=ids[0])
    assert delay == notifications.PROBE_DELAYS[0]
    assert (row.status, row.attempts, row.dispatched_at) == ("queued", 1, None)
    assert row.last_error == "SMTPServerDisconnected: connection lost"
    assert row.next_attempt_at == due + datetime.timedelta(seconds=delay)
    assert notifications.mail_down_since() == due


def test_while_the_mail_server_is_down_other_rows_wait_for_the_probe_untried(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    first, second = _tick(due)
    tried = []

    def refuse(self, *args, **kwargs):
        tried.append(self)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)

    notifications.notification_send(notification_id=first, now=due)
    assert len(tried) == 1
    # Another worker, a second later: the row is left for the probe without a try.
    notifications.notification_send(notification_id=second, now=due + datetime.timedelta(seconds=1))

    row = Notification.objects.get(pk=second)
    assert len(tried) == 1
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.status_note == "Waiting for the mail server"
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
    assert row.next_attempt_at == due + datetime.timedelta(seconds=notifications.PROBE_DELAYS[0])


def test_the_first_send_that_goes_through_ends_the_outage(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    first, second = _tick(due)
    with monkeypatch.context() as patched:
        _refuse_with(patched, TimeoutError("timed out"))
        notifications.notification_send(notification_id=first, now=due)
        later = due + datetime.timedelta(seconds=notifications.PROBE_DELAYS[0])
        notifications.notification_send(notification_id=second, now=later)  # the probe
        assert notifications.mail_down_since() == due

    probe = later + datetime.timedelta(seconds=notifications.PROBE_DELAYS[1])
    _send_all([first, second], probe)

    assert notifications.mail_down_since() is None
    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_4xx_for_one_address_backs_that_row_off_and_leaves_the_server_up(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    _refuse_with(
        monkeypatch, smtplib.SMTPRecipientsRefused({"x@example.test": (452, b"mailbox full")})
    )

    delay = notifications.notification_send(notification_id=ids[0], now=due)

    assert 15 <= delay <= 30
    assert Notification.objects.get(pk=ids[0]).status == "queued"
    assert notifications.mail_down_since() is None


def test_a_reminder_is_tried_until_its_session_starts_then_expires(session, monkeypatch):
    """Thirty minutes before its session the 1-hour reminder meets a mail server that refuses
    every connection: it is tried again and again (never failed), then expires."""
    due = session.starts_at - datetime.timedelta(hours=1)
    ids = _tick(due)
    _refuse_with(monkeypatch, ConnectionRefusedError(111, "Connection refused"))
    moment = due
    for _ in range(1000):
        rows = list(Notification.objects.filter(pk__in=ids, status="queued"))
        if not rows:
            break
        moment = max(moment, min(row.next_attempt_at for row in rows))
        _send_all([row.pk for row in rows], moment)
        assert set(Notification.objects.filter(pk__in=ids).values_list("status", flat=True)) <= {
            "queued",
            "expired",
        }

    rows = Notification.objects.filter(pk__in=ids)
    assert {row.status for row in rows} == {"expired"}
    assert {row.status_note for row in rows} == {"Not delivered before the session started"}
    assert max(row.attempts for row in rows) > 20
    assert moment < session.starts_at
    assert mail.outbox == []


def test_a_row_that_met_trouble_and_is_past_its_time_expires_without_a_try(session, time_machine):
    due = NOW + datetime.timedelta(hours=1)
    first, second = _tick(due)
    Notification.objects.filter(pk=first).update(last_error="ConnectionRefusedError")
    time_machine.move_to(session.starts_at, tick=False)

    _send_all([first, second], session.starts_at)

    rows = {row.pk: row for row in Notification.objects.all()}
    assert (rows[first].status, rows[first].status_note) == (
        "expired",
        "Not delivered before the session started",
    )
    # Without trouble it is the kind's own check that stops a message.
    assert (rows[second].status, rows[second].status_note) == (
        "withdrawn",
        "The session has already started",
    )
    assert mail.outbox == []


def test_a_permanent_mail_error_fails_at_once(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    pk = _tick(due)[0]

    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"x@example.test": (550, b"no such user")})

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert notifications.notification_send(notification_id=pk, now=due) is None

    row = Notification.objects.get(pk=pk)
    assert (row.status, row.attempts) == (Notification.Status.FAILED, 1)


def test_in_app_only_sends_no_email_but_keeps_the_row(session, partner_a):
    NotificationPreference.objects.create(user=partner_a.user, email_enabled=False)
    due = NOW + datetime.timedelta(hours=1)
    _send_all(_tick(due), due)

    row = Notification.objects.get(recipient=partner_a.user)
    assert (row.status, row.emailed, row.in_app) == ("sent", False, True)
    assert row.subject.startswith("Session reminder")
    assert partner_a.user.email not in [m.to[0] for m in mail.outbox]


def test_a_deactivated_recipient_gets_nothing(session, partner_a):
    partner_a.user.is_active = False
    partner_a.user.save()
    due = NOW + datetime.timedelta(hours=1)
    _send_all(_tick(due), due)

    assert Notification.objects.get(recipient=partner_a.user).status == "withdrawn"


def test_a_reminder_for_a_session_booked_late_skips_the_24_hour_one(partner_a, clinician):
    starts = NOW + datetime.timedelta(hours=3)
    late = TherapySession.objects.create(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=clinician,
        couple=partner_a.couple,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=1),
        time_zone="America/New_York",
        created_by=clinician.user,
    )
    Attendance.objects.create(session=late, partner=partner_a)

    _tick(NOW)
    _tick(starts - datetime.timedelta(minutes=59))

    assert list(Notification.objects.values_list("kind", flat=True)) == [
        session_notifications.REMINDER_1H
    ]


def test_the_tick_task_sends_through_the_task(session):
    """Eager Celery: the tick's tasks run as they are published, reading the (pinned) clock."""
    starts = timezone.now() + datetime.timedelta(hours=24) - datetime.timedelta(minutes=1)
    TherapySession.objects.filter(pk=session.pk).update(
        starts_at=starts, ends_at=starts + datetime.timedelta(hours=1)
    )

    notifications_tick_task.delay()

    assert len(mail.outbox) == 2
    assert all(message_from_bytes(m.message().as_bytes())["Message-ID"] for m in mail.outbox)


def test_planning_and_dispatching_keep_a_constant_number_of_queries(
    django_assert_max_num_queries, clinician, partner_a, partner_b
):
    def book(count):
        for i in range(count):
            s = TherapySession.objects.create(
                kind=SessionKind.COUPLES_THERAPY,
                clinician=clinician,
                couple=partner_a.couple,
                starts_at=NOW + datetime.timedelta(hours=24, minutes=i),
                ends_at=NOW + datetime.timedelta(hours=24, minutes=i + 1),
                time_zone="UTC",
                created_by=clinician.user,
            )
            Attendance.objects.create(session=s, partner=partner_a)
            Attendance.objects.create(session=s, partner=partner_b)

    book(2)
    due = NOW + datetime.timedelta(hours=1)
    with django_assert_max_num_queries(25) as small:
        _tick(due)
    Notification.objects.all().delete()
    book(40)
    with django_assert_max_num_queries(len(small.captured_queries) + 4):
        _tick(due)
    assert Notification.objects.count() == 84
    assert timezone.is_aware(Notification.objects.first().slot)


def test_a_check_that_breaks_fails_the_row_instead_of_looping(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    pk = _tick(due)[0]

    def broken(notification, recipient):
        raise RuntimeError("bug in a check")

    kind = notifications.KINDS[session_notifications.REMINDER_24H]
    monkeypatch.setitem(
        notifications.KINDS,
        kind.name,
        notifications.Kind(name=kind.name, label=kind.label, message=kind.message, check=broken),
    )
    notifications.notification_send(notification_id=pk, now=due)

    row = Notification.objects.get(pk=pk)
    assert (row.status, row.last_error) == ("failed", "RuntimeError: bug in a check")


def test_an_unknown_time_zone_name_falls_back_to_the_clinics(partner_a):
    partner_a.couple.time_zone = "Mars/Olympus_Mons"
    partner_a.couple.save()

    recipient = notifications.recipient_for(partner_a.user)

    assert str(recipient.zone) == "America/New_York"


def _book(clinician, partners, count):
    for i in range(count):
        booked = TherapySession.objects.create(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=clinician,
            couple=partners[0].couple,
            starts_at=NOW + datetime.timedelta(hours=24, minutes=i + 1),
            ends_at=NOW + datetime.timedelta(hours=25, minutes=i + 1),
            time_zone="UTC",
            created_by=clinician.user,
        )
        for partner in partners:
            Attendance.objects.create(session=booked, partner=partner)


@pytest.mark.parametrize("sessions", [1, 10])
def test_a_chunk_reads_its_rows_and_sessions_once_and_builds_each_calendar_file_once(
    django_assert_max_num_queries, monkeypatch, clinician, partner_a, partner_b, sessions
):
    _book(clinician, [partner_a, partner_b], sessions)
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    built = []
    invite = session_notifications.session_invite
    monkeypatch.setattr(
        session_notifications,
        "session_invite",
        lambda **kwargs: built.append(kwargs["session"].pk) or invite(**kwargs),
    )

    # The rows, their sessions, the places in them, the booking notices of those sessions;
    # then each row's claim and its outcome.
    with django_assert_max_num_queries(4 + 2 * len(ids)):
        assert notifications.notifications_send(notification_ids=ids, now=due) == {}

    assert len(ids) == 2 * sessions
    assert len(mail.outbox) == 2 * sessions
    assert sorted(built) == sorted(set(built)) and len(built) == sessions
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_a_row_withdrawn_after_its_chunk_was_read_is_not_sent(monkeypatch, session):
    due = NOW + datetime.timedelta(hours=1)
    first, second = _tick(due)
    load = session_notifications.sessions_load

    def load_then_withdraw(rows):
        load(rows)
        Notification.objects.filter(pk=second).update(status=Notification.Status.WITHDRAWN)

    for name in session_notifications.REMINDERS:
        kind = notifications.KINDS[name]
        monkeypatch.setitem(
            notifications.KINDS, name, dataclasses.replace(kind, load=load_then_withdraw)
        )

    notifications.notifications_send(notification_ids=[first, second], now=due)

    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=first).status == "sent"
    assert Notification.objects.get(pk=second).status == "withdrawn"


def test_a_chunk_whose_load_fails_is_sent_row_by_row(monkeypatch, session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)

    def broken(rows):
        raise RuntimeError("bug in a load")

    for name in session_notifications.REMINDERS:
        kind = notifications.KINDS[name]
        monkeypatch.setitem(notifications.KINDS, name, dataclasses.replace(kind, load=broken))

    notifications.notifications_send(notification_ids=ids, now=due)

    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


# --- Faults inside a worker ----------------------------------------------------------------------


def test_a_soft_time_limit_ends_the_chunk_and_gives_its_rest_back_to_the_tick(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    first, second = _tick(due)
    _refuse_with(monkeypatch, SoftTimeLimitExceeded())

    notifications.notifications_send(notification_ids=[first, second], now=due)

    rows = {row.pk: row for row in Notification.objects.all()}
    assert (rows[first].status, rows[first].attempts) == ("queued", 1)
    assert rows[first].last_error.startswith("SoftTimeLimitExceeded")
    assert (rows[second].status, rows[second].attempts, rows[second].dispatched_at) == (
        "queued",
        0,
        None,
    )
    assert sorted(_tick(due + datetime.timedelta(seconds=5))) == [first, second]


def _terminate_this_connection() -> None:
    """End this process's PostgreSQL connection from another one, as a restarted server or a
    failover would: the next statement on it fails."""
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="terminates a PostgreSQL connection"
)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_sent_mark_survives_a_connection_dropped_during_the_send(session, monkeypatch):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    send = EmailMultiAlternatives.send

    def send_then_lose_the_database(self, *args, **kwargs):
        _terminate_this_connection()
        return send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_then_lose_the_database)
    monkeypatch.setattr(notifications.sending, "MARK_RETRY_DELAYS", (0.01, 0.01))

    notifications.notifications_send(notification_ids=ids, now=due)

    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_connection_dropped_before_a_chunk_is_read_costs_nothing(session):
    due = NOW + datetime.timedelta(hours=1)
    ids = _tick(due)
    _terminate_this_connection()

    notifications.notifications_send(notification_ids=ids, now=due)

    assert len(mail.outbox) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
