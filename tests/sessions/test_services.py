import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEvent
from couples import services as couple_services
from couples.models import CareRole
from sessions import queries, services
from sessions.models import Attendance, SessionKind, TherapySession
from tests.factories import ClinicianFactory

# The clock starts on Wednesday 21 October 2026, 10:00 in New York: every session and series
# booked below (from Monday 26 October on) is still ahead, as when a clinician books it.
pytestmark = [
    pytest.mark.time_machine(datetime.datetime(2026, 10, 21, 14, 0, tzinfo=datetime.UTC)),
    pytest.mark.timeshift,
]

NEW_YORK = ZoneInfo("America/New_York")


def at(day: str, clock: str, zone=NEW_YORK) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)


@pytest.fixture
def team(partner_a, partner_b, staff):
    """Couple A's care team: a couples therapist, Jordan's therapist and counselor."""
    couple = partner_a.couple
    members = {
        "couples": ClinicianFactory(user__first_name="Maya", user__last_name="Chen"),
        "therapist": ClinicianFactory(
            can_be_couples_therapist=False, can_be_individual_therapist=True, user__first_name="Dan"
        ),
        "counselor": ClinicianFactory(
            can_be_couples_therapist=False, can_be_counselor=True, user__first_name="Sam"
        ),
        "doctor": ClinicianFactory(
            can_be_couples_therapist=False, can_be_medical_provider=True, user__first_name="Ellen"
        ),
    }
    couple_services.care_team_assign(
        couple=couple, role=CareRole.COUPLES_THERAPIST, clinician=members["couples"], by=staff
    )
    couple_services.care_team_assign(
        couple=couple,
        partner=partner_a,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=members["therapist"],
        by=staff,
    )
    couple_services.care_team_assign(
        couple=couple,
        partner=partner_a,
        role=CareRole.COUNSELOR,
        clinician=members["counselor"],
        by=staff,
    )
    couple_services.care_team_assign(
        couple=couple,
        partner=partner_a,
        role=CareRole.MEDICAL_PROVIDER,
        clinician=members["doctor"],
        by=staff,
    )
    return members


def _couples_session(team, couple, starts_at, minutes=60, **kwargs):
    return services.session_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=team["couples"],
        couple=couple,
        starts_at=starts_at,
        duration_minutes=minutes,
        by=team["couples"].user,
        **kwargs,
    )


def test_a_couples_session_brings_both_partners_and_their_couples_therapist(
    team, partner_a, partner_b
):
    session = _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))

    assert set(session.participants.all()) == {partner_a, partner_b}
    assert session.ends_at - session.starts_at == datetime.timedelta(hours=1)
    assert session.starts_at == datetime.datetime(2026, 12, 1, 23, 0, tzinfo=datetime.UTC)
    assert AuditEvent.objects.filter(target_type="therapy_sessions.TherapySession").count() == 1


def test_only_the_couples_own_therapist_runs_their_couples_session(team, partner_a):
    with pytest.raises(ValidationError, match="is not this couple's couples therapist"):
        services.session_schedule(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=ClinicianFactory(),
            couple=partner_a.couple,
            starts_at=at("2026-12-01", "18:00"),
            duration_minutes=60,
            by=team["couples"].user,
        )
    assert not TherapySession.objects.exists()


@pytest.mark.parametrize(
    ("kind", "member", "allowed"),
    [
        (SessionKind.INDIVIDUAL_THERAPY, "therapist", True),
        (SessionKind.INDIVIDUAL_THERAPY, "counselor", False),
        (SessionKind.COUNSELING, "counselor", True),
        (SessionKind.COUNSELING, "therapist", False),
        (SessionKind.MEDICAL_VISIT, "doctor", True),
        (SessionKind.MEDICAL_VISIT, "therapist", False),
    ],
)
def test_one_partner_sessions_need_the_right_clinician(team, partner_a, kind, member, allowed):
    def schedule():
        return services.session_schedule(
            kind=kind,
            clinician=team[member],
            couple=partner_a.couple,
            partner=partner_a,
            starts_at=at("2026-12-02", "10:00"),
            duration_minutes=50,
            by=team[member].user,
        )

    if allowed:
        assert list(schedule().participants.all()) == [partner_a]
    else:
        with pytest.raises(ValidationError):
            schedule()


def test_a_group_gathers_partners_of_several_couples_with_any_clinician(
    team, partner_a, partner_b, outsider
):
    session = services.session_schedule(
        kind=SessionKind.GROUP,
        clinician=ClinicianFactory(),
        partners=[partner_a, partner_b, outsider],
        starts_at=at("2026-12-02", "18:00"),
        duration_minutes=180,
        by=team["couples"].user,
    )

    assert session.couple is None
    assert session.participants.count() == 3


def test_a_clinician_is_never_double_booked(team, partner_a, outsider, staff):
    _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))
    couple_services.care_team_assign(
        couple=outsider.couple, role=CareRole.COUPLES_THERAPIST, clinician=team["couples"], by=staff
    )

    with pytest.raises(ValidationError) as error:
        _couples_session(team, outsider.couple, at("2026-12-01", "18:30"))

    assert "already has couples therapy on Tue Dec 1, 6:00 PM–7:00 PM ET." in str(error.value)
    assert TherapySession.objects.count() == 1


def test_a_partner_is_never_double_booked(team, partner_a):
    _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))

    with pytest.raises(ValidationError, match="Jordan already has couples therapy"):
        services.session_schedule(
            kind=SessionKind.INDIVIDUAL_THERAPY,
            clinician=team["therapist"],
            couple=partner_a.couple,
            partner=partner_a,
            starts_at=at("2026-12-01", "18:45"),
            duration_minutes=50,
            by=team["therapist"].user,
        )


def test_back_to_back_sessions_do_not_clash(team, partner_a):
    _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))

    _couples_session(team, partner_a.couple, at("2026-12-01", "19:00"))

    assert TherapySession.objects.count() == 2


def test_a_cancelled_session_frees_its_time(team, partner_a):
    first = _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))
    services.session_cancel(session=first, reason="Therapist ill", by=team["couples"].user)

    _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))

    assert TherapySession.objects.filter(status="scheduled").count() == 1


def test_a_weekly_series_keeps_its_wall_clock_time_across_the_dst_change(team, partner_a):
    # US daylight saving ended on Sunday 1 November 2026: 18:00 was 22:00 UTC, then 23:00.
    series = services.series_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=team["couples"],
        couple=partner_a.couple,
        weekdays=[0, 2],  # Monday and Wednesday
        start_time=datetime.time(18, 0),
        duration_minutes=60,
        starts_on=datetime.date(2026, 10, 26),
        ends_on=datetime.date(2026, 11, 8),
        time_zone="America/New_York",
        by=team["couples"].user,
    )

    starts = list(series.sessions.order_by("starts_at").values_list("starts_at", flat=True))
    assert [s.astimezone(NEW_YORK).strftime("%a %d %H:%M") for s in starts] == [
        "Mon 26 18:00",
        "Wed 28 18:00",
        "Mon 02 18:00",
        "Wed 04 18:00",
    ]
    assert [s.hour for s in starts] == [22, 22, 23, 23]


def test_a_series_that_clashes_anywhere_is_refused_whole(team, partner_a):
    _couples_session(team, partner_a.couple, at("2026-11-04", "18:30"))

    with pytest.raises(ValidationError, match="Wed Nov 4, 6:30 PM–7:30 PM ET"):
        services.series_schedule(
            kind=SessionKind.COUPLES_THERAPY,
            clinician=team["couples"],
            couple=partner_a.couple,
            weekdays=[2],
            start_time=datetime.time(18, 0),
            duration_minutes=60,
            starts_on=datetime.date(2026, 10, 26),
            ends_on=datetime.date(2026, 11, 30),
            by=team["couples"].user,
        )
    assert TherapySession.objects.count() == 1


def _series(team, partner_a):
    return services.series_schedule(
        kind=SessionKind.COUPLES_THERAPY,
        clinician=team["couples"],
        couple=partner_a.couple,
        weekdays=[1],
        start_time=datetime.time(18, 0),
        duration_minutes=60,
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 29),
        by=team["couples"].user,
    )


def test_cancelling_the_rest_of_a_series_leaves_earlier_sessions(team, partner_a):
    series = _series(team, partner_a)
    third = series.sessions.order_by("starts_at")[2]

    services.session_cancel(
        session=third, reason="Program change", by=team["couples"].user, scope="rest"
    )

    statuses = list(series.sessions.order_by("starts_at").values_list("status", flat=True))
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled", "cancelled"]
    series.refresh_from_db()
    assert series.ends_on == datetime.date(2026, 12, 14)


def test_moving_the_rest_of_a_series_keeps_local_time_on_each_date(team, partner_a):
    series = _series(team, partner_a)
    second = series.sessions.order_by("starts_at")[1]

    services.session_reschedule(
        session=second,
        starts_at=at("2026-12-09", "17:30"),
        reason="New slot",
        by=team["couples"].user,
        scope="rest",
    )

    local = [
        s.astimezone(NEW_YORK).strftime("%a %d %H:%M")
        for s in series.sessions.order_by("starts_at").values_list("starts_at", flat=True)
    ]
    assert local == ["Tue 01 18:00", "Wed 09 17:30", "Wed 16 17:30", "Wed 23 17:30", "Wed 30 17:30"]
    series.refresh_from_db()
    assert (series.weekdays, series.start_time) == ([2], datetime.time(17, 30))


def test_cancelling_needs_a_reason(team, partner_a):
    session = _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"))

    with pytest.raises(ValidationError, match="Give a reason"):
        services.session_cancel(session=session, reason="  ", by=team["couples"].user)


def _past_session(team, partner_a):
    start = timezone.now() - datetime.timedelta(hours=2)
    return _couples_session(team, partner_a.couple, start, minutes=90)


def test_marking_attendance_completes_the_session_and_counts_iop_hours(team, partner_a, partner_b):
    session = _past_session(team, partner_a)

    services.attendance_mark(
        session=session,
        marks={partner_a.pk: ("present", 90), partner_b.pk: ("late", 70)},
        by=team["couples"].user,
    )

    session.refresh_from_db()
    assert session.status == TherapySession.Status.COMPLETED
    hours = queries.iop_hours_this_week(
        couple=partner_a.couple, partners=[partner_a, partner_b], today=timezone.localdate()
    )
    assert hours == {partner_a.pk: 1.5, partner_b.pk: 1.2}


def test_a_session_nobody_attended_becomes_a_no_show(team, partner_a, partner_b):
    session = _past_session(team, partner_a)

    services.attendance_mark(
        session=session,
        marks={partner_a.pk: ("absent", 0), partner_b.pk: ("excused", 30)},
        by=team["couples"].user,
    )

    session.refresh_from_db()
    assert session.status == TherapySession.Status.NO_SHOW
    assert Attendance.objects.get(partner=partner_b).minutes_attended == 0


def test_minutes_beyond_the_sessions_length_are_refused(team, partner_a, partner_b):
    session = _past_session(team, partner_a)

    with pytest.raises(ValidationError, match="between 1 and 90"):
        services.attendance_mark(
            session=session,
            marks={partner_a.pk: ("present", 91), partner_b.pk: ("present", 60)},
            by=team["couples"].user,
        )


def test_attendance_waits_for_the_session_to_start(team, partner_a, partner_b):
    session = _couples_session(team, partner_a.couple, timezone.now() + datetime.timedelta(hours=1))

    with pytest.raises(ValidationError, match="once the session has started"):
        services.attendance_mark(
            session=session,
            marks={partner_a.pk: ("present", 60), partner_b.pk: ("present", 60)},
            by=team["couples"].user,
        )


def test_sessions_out_of_bounds_are_refused(team, partner_a):
    with pytest.raises(ValidationError, match="15 to 240 minutes"):
        _couples_session(team, partner_a.couple, at("2026-12-01", "18:00"), minutes=300)


def test_a_new_calendar_feed_replaces_the_old_one(partner_a):
    first = services.calendar_feed_create(user=partner_a.user)
    second = services.calendar_feed_create(user=partner_a.user)

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert queries.calendar_feed_for_user(user=partner_a.user) == second
    assert first.token != second.token


def test_the_join_window_opens_ten_minutes_before_and_closes_at_the_end(team, partner_a, outsider):
    start = at("2026-12-01", "18:00")
    session = queries.session_get_for_user(
        user=partner_a.user, pk=_couples_session(team, partner_a.couple, start).pk
    )

    def state(user, minutes):
        return queries.join_state(
            session=session, user=user, now=start + datetime.timedelta(minutes=minutes)
        )

    assert state(partner_a.user, -11) == queries.JoinState.TOO_EARLY
    assert state(partner_a.user, -10) == queries.JoinState.OPEN
    assert state(team["couples"].user, 59) == queries.JoinState.OPEN
    assert state(partner_a.user, 60) == queries.JoinState.ENDED
    assert state(team["therapist"].user, 0) == queries.JoinState.NOT_YOURS


def test_dst_week_bounds_are_seven_local_days(db):
    start, end = queries.week_bounds(day=datetime.date(2026, 11, 4), time_zone="America/New_York")

    assert (start.isoformat(), end.isoformat()) == (
        "2026-11-02T00:00:00-05:00",
        "2026-11-09T00:00:00-05:00",
    )
    start, end = queries.week_bounds(day=datetime.date(2026, 11, 1), time_zone="America/New_York")
    # The week that ends daylight saving lasts an hour longer in real time.
    assert end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC) == datetime.timedelta(
        days=7, hours=1
    )


def test_calendar_feed_changes_are_audited(partner_a):
    feed = services.calendar_feed_create(user=partner_a.user)
    services.calendar_feed_revoke(feed=feed)

    actions = list(
        AuditEvent.objects.filter(target_type="therapy_sessions.CalendarFeed").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["create", "update"]


def test_a_session_under_way_still_blocks_its_time_after_attendance(team, partner_a, partner_b):
    started = timezone.now() - datetime.timedelta(minutes=30)
    session = _couples_session(team, partner_a.couple, started, minutes=90)
    services.attendance_mark(
        session=session,
        marks={partner_a.pk: ("present", 30), partner_b.pk: ("present", 30)},
        by=team["couples"].user,
    )

    with pytest.raises(ValidationError, match="already"):
        _couples_session(team, partner_a.couple, started + datetime.timedelta(minutes=45))


def test_a_medical_visit_needs_the_partners_own_medical_provider(team, partner_a):
    other_doctor = ClinicianFactory(can_be_couples_therapist=False, can_be_medical_provider=True)

    with pytest.raises(ValidationError, match="is not Jordan's medical provider"):
        services.session_schedule(
            kind=SessionKind.MEDICAL_VISIT,
            clinician=other_doctor,
            couple=partner_a.couple,
            partner=partner_a,
            starts_at=at("2026-12-02", "10:00"),
            duration_minutes=30,
            by=other_doctor.user,
        )


# A partner's answer to a reminder


def _tomorrow(team, partner_a):
    return _couples_session(
        team, partner_a.couple, timezone.now() + datetime.timedelta(days=1), minutes=60
    )


def test_a_partners_answer_is_recorded_with_its_time_and_audited(team, partner_a, partner_b):
    session = _tomorrow(team, partner_a)

    attendance = services.attendance_respond(
        session=session,
        partner=partner_a,
        response=Attendance.Response.RESCHEDULE_REQUESTED,
        note="  Work trip that week.  ",
    )

    attendance.refresh_from_db()
    assert attendance.response == "reschedule_requested"
    assert attendance.response_note == "Work trip that week."
    assert timezone.now() - attendance.responded_at < datetime.timedelta(seconds=5)
    assert Attendance.objects.get(session=session, partner=partner_b).response == ""
    event = AuditEvent.objects.filter(target_type="therapy_sessions.Attendance").get()
    assert (event.actor, event.patient) == (partner_a.user, partner_a)
    assert event.detail == {"response": "reschedule_requested"}  # the note stays out of the log
    session.refresh_from_db()
    assert session.status == TherapySession.Status.SCHEDULED  # the clinician decides


def test_a_new_answer_replaces_the_last_one(team, partner_a):
    session = _tomorrow(team, partner_a)
    services.attendance_respond(
        session=session, partner=partner_a, response="cancel_requested", note="Sick"
    )

    services.attendance_respond(session=session, partner=partner_a, response="confirmed", note="")

    attendance = Attendance.objects.get(session=session, partner=partner_a)
    assert (attendance.response, attendance.response_note) == ("confirmed", "")


def test_an_answer_must_be_one_of_the_three(team, partner_a):
    session = _tomorrow(team, partner_a)

    with pytest.raises(ValidationError, match="Choose whether you will be there"):
        services.attendance_respond(session=session, partner=partner_a, response="maybe", note="")


def test_a_cancelled_or_started_session_takes_no_answer(team, partner_a):
    cancelled = _tomorrow(team, partner_a)
    services.session_cancel(session=cancelled, reason="Snow", by=team["couples"].user)
    started = _couples_session(
        team, partner_a.couple, timezone.now() - datetime.timedelta(minutes=5), minutes=60
    )

    with pytest.raises(ValidationError, match="is cancelled"):
        services.attendance_respond(
            session=cancelled, partner=partner_a, response="confirmed", note=""
        )
    with pytest.raises(ValidationError, match="already started"):
        services.attendance_respond(
            session=started, partner=partner_a, response="confirmed", note=""
        )
    assert not Attendance.objects.exclude(response="").exists()


def test_a_session_cancelled_after_the_page_was_opened_takes_no_answer(team, partner_a):
    """The service reads the session again: the copy the page loaded may be stale."""
    session = _tomorrow(team, partner_a)
    stale = TherapySession.objects.get(pk=session.pk)
    services.session_cancel(session=session, reason="Snow", by=team["couples"].user)

    with pytest.raises(ValidationError, match="is cancelled"):
        services.attendance_respond(session=stale, partner=partner_a, response="confirmed", note="")


def test_only_a_participant_can_answer(team, partner_a, outsider):
    session = services.session_schedule(
        kind=SessionKind.INDIVIDUAL_THERAPY,
        clinician=team["therapist"],
        couple=partner_a.couple,
        partner=partner_a,
        starts_at=timezone.now() + datetime.timedelta(days=1),
        duration_minutes=50,
        by=team["therapist"].user,
    )
    alex = partner_a.couple.partners.exclude(pk=partner_a.pk).get()

    for someone in [alex, outsider]:
        with pytest.raises(ValidationError, match="do not take part"):
            services.attendance_respond(
                session=session, partner=someone, response="confirmed", note=""
            )
