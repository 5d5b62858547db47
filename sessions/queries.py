"""Reads of sessions, limited to who may see them.

A partner sees the sessions they take part in; a clinician sees the sessions they
run and those of the couples whose care team they are on. Everyone else gets 404.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import Couple, Partner, User
from couples.queries import couple_list_for_user
from couples.roles import Role, roles_for_user
from sessions.models import Attendance, CalendarFeed, TherapySession, token_hash_of


def session_list_for_user(*, user: User) -> QuerySet[TherapySession]:
    roles = roles_for_user(user)
    visible = Q(pk__in=[])
    if Role.PARTNER in roles:
        visible |= Q(pk__in=Attendance.objects.filter(partner__user=user).values("session_id"))
    if Role.CLINICIAN in roles:
        visible |= Q(clinician__user=user) | Q(couple__in=couple_list_for_user(user=user))
    return TherapySession.objects.filter(visible)


def _with_people(sessions: QuerySet[TherapySession]) -> QuerySet[TherapySession]:
    attendances = Attendance.objects.select_related("partner__user").order_by("partner_id")
    return sessions.select_related("clinician__user", "couple").prefetch_related(
        Prefetch("attendances", queryset=attendances)
    )


def session_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> TherapySession:
    session = _with_people(session_list_for_user(user=user)).filter(pk=pk).first()
    if session is None:
        access_denied_record(
            user=user, request=request, target_type="therapy_sessions.TherapySession", target_id=pk
        )
        raise Http404
    return session


def session_attendance_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> Attendance:
    """The signed-in partner's own place in session `pk`, with the session, its clinician and
    the partner's couple: one query. Anyone who does not take part in it, a clinician of the
    couple included, gets the audited 404."""
    attendance = (
        Attendance.objects.select_related(
            "session__clinician__user", "partner__user", "partner__couple"
        )
        .filter(session_id=pk, partner__user=user)
        .first()
    )
    if attendance is None:
        access_denied_record(
            user=user, request=request, target_type="therapy_sessions.TherapySession", target_id=pk
        )
        raise Http404
    return attendance


def session_list_for_clinician_between(
    *, user: User, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[TherapySession]:
    """The sessions a clinician runs in a time range, with participants: two queries."""
    return _with_people(_run_by_between(user=user, start=start, end=end))


def _run_by_between(
    *, user: User, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[TherapySession]:
    """The sessions a clinician runs that start in a time range, in order."""
    return TherapySession.objects.filter(
        clinician__user=user, starts_at__gte=start, starts_at__lt=end
    ).order_by("starts_at", "pk")


@dataclass(frozen=True)
class CalendarSession:
    """A session as the week calendar shows it, read as plain values: for a busy week, model
    instances of its sessions, attendances, partners and users cost more than the whole page."""

    pk: int
    kind: str
    status: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    couple_id: int | None
    clinician_user_id: int
    names: list[str]  # the participants' display names, by partner id


def session_calendar_for_clinician(
    *, user: User, start: datetime.datetime, end: datetime.datetime
) -> list[CalendarSession]:
    """What session_list_for_clinician_between gives, for the week calendar: two queries."""
    rows = list(
        _run_by_between(user=user, start=start, end=end).values_list(
            "pk", "kind", "status", "starts_at", "ends_at", "couple_id", "clinician__user_id"
        )
    )
    people = (
        Attendance.objects.filter(session__in=[row[0] for row in rows])
        .order_by("partner_id")
        .values_list(
            "session_id",
            "partner__preferred_name",
            "partner__user__first_name",
            "partner__user__email",
        )
    )
    names = defaultdict(list)
    for session_id, preferred_name, first_name, email in people:
        names[session_id].append(Partner.name_from(preferred_name, first_name, email))
    return [CalendarSession(*row, names=names[row[0]]) for row in rows]


def session_list_for_partner(
    *,
    partner: Partner,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> QuerySet[TherapySession]:
    sessions = TherapySession.objects.filter(attendances__partner=partner)
    if start is not None:
        sessions = sessions.filter(ends_at__gt=start)
    if end is not None:
        sessions = sessions.filter(starts_at__lt=end)
    return _with_people(sessions)


def week_bounds(
    *, day: datetime.date, time_zone: str
) -> tuple[datetime.datetime, datetime.datetime]:
    """Monday 00:00 to the next Monday 00:00 in a zone, as aware datetimes (DST-safe)."""
    zone = ZoneInfo(time_zone)
    monday = day - datetime.timedelta(days=day.weekday())
    start = datetime.datetime.combine(monday, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(
        monday + datetime.timedelta(days=7), datetime.time(), tzinfo=zone
    )
    return start, end


def iop_minutes_for_partners(
    *, partners: list[Partner], start: datetime.datetime, end: datetime.datetime
) -> dict[int, int]:
    """partner id -> minutes attended (present or late) in sessions starting in the range.

    One query that reads only covering indexes: the partners' places with their marks, and
    the sessions by start (PostgreSQL hashes the range's sessions and matches the places)."""
    rows = (
        Attendance.objects.filter(
            partner__in=partners,
            status__in=[Attendance.Status.PRESENT, Attendance.Status.LATE],
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        )
        .values("partner_id")
        .annotate(minutes=Sum("minutes_attended"))
        .values_list("partner_id", "minutes")
    )
    return {partner.pk: 0 for partner in partners} | dict(rows)


def iop_hours_this_week(
    *, couple: Couple, partners: list[Partner], today: datetime.date
) -> dict[int, float]:
    """partner id -> hours attended this week (Monday to Sunday, the couple's zone), for
    the couple's partners given (one query)."""
    start, end = week_bounds(day=today, time_zone=couple.time_zone)
    minutes = iop_minutes_for_partners(partners=partners, start=start, end=end)
    return {pk: round(value / 60, 1) for pk, value in minutes.items()}


def iop_target_hours() -> int:
    return settings.IOP_WEEKLY_HOURS_TARGET


class JoinState:
    OPEN = "open"
    TOO_EARLY = "too_early"
    ENDED = "ended"
    CANCELLED = "cancelled"
    NOT_YOURS = "not_yours"


def join_state(*, session: TherapySession, user: User, now: datetime.datetime) -> str:
    """Whether this person may join now: participants and the clinician, from a few
    minutes before the start until the end."""
    is_participant = any(a.partner.user_id == user.pk for a in session.attendances.all())
    if not is_participant and session.clinician.user_id != user.pk:
        return JoinState.NOT_YOURS
    if session.status == TherapySession.Status.CANCELLED:
        return JoinState.CANCELLED
    opens = session.starts_at - datetime.timedelta(minutes=settings.JOIN_OPENS_MINUTES_BEFORE)
    if now < opens:
        return JoinState.TOO_EARLY
    if now >= session.ends_at:
        return JoinState.ENDED
    return JoinState.OPEN


def calendar_feed_for_user(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_get(*, token: str) -> CalendarFeed:
    """The open feed at this address (only its hash is stored), with its owner and, if the
    owner is a partner, their partner profile."""
    feed = (
        CalendarFeed.objects.select_related("user", "user__partner")
        .filter(token_hash=token_hash_of(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if feed is None:
        raise Http404
    return feed


def join_opens_at(*, session: TherapySession) -> datetime.datetime:
    """When the Join button opens: the same rule as join_state."""
    return session.starts_at - datetime.timedelta(minutes=settings.JOIN_OPENS_MINUTES_BEFORE)


def session_next_for_partner(*, partner: Partner, now: datetime.datetime) -> TherapySession | None:
    """The partner's session going on now or coming next, cancelled ones left out: two queries."""
    upcoming = session_list_for_partner(partner=partner, start=now).exclude(
        status=TherapySession.Status.CANCELLED
    )
    return upcoming.order_by("starts_at", "pk").first()


def session_list_for_feed(
    *, user: User, start: datetime.datetime, end: datetime.datetime
) -> QuerySet[TherapySession]:
    """A calendar feed's sessions: those the user takes part in or runs, not the whole care
    team's. One query; nothing about the other people is loaded."""
    mine = Q(pk__in=Attendance.objects.filter(partner__user=user).values("session_id"))
    return TherapySession.objects.filter(
        mine | Q(clinician__user=user), starts_at__gte=start, starts_at__lt=end
    ).order_by("starts_at", "pk")


# Clinic pages: the day agenda, the scheduling form, the caseload and the couple page


def day_bounds(
    *, day: datetime.date, time_zone: str
) -> tuple[datetime.datetime, datetime.datetime]:
    """Midnight to the next midnight in a zone (23 or 25 hours on a DST change)."""
    zone = ZoneInfo(time_zone)
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    return start, end


def couple_list_for_scheduling(*, user: User) -> list[Couple]:
    """The couples a clinician may schedule sessions for, with partners: two queries."""
    partners = Partner.objects.select_related("user").order_by("pk")
    return list(
        couple_list_for_user(user=user)
        .prefetch_related(Prefetch("partners", queryset=partners))
        .order_by("pk")
    )


def session_next_for_couples(
    *, couples: list[Couple], now: datetime.datetime
) -> dict[int, TherapySession]:
    """couple id -> the next scheduled session one of its partners takes part in (a group
    too), going on now or coming up. One query for the whole caseload.

    1. The inner query numbers each couple's places in upcoming sessions by start and keeps
       the first. It reads only two covering indexes, the partners' places and the scheduled
       sessions by end, and never a session row.
    2. The outer query loads just those places' sessions, with their clinicians (a group
       that comes first for two couples is read once for each).
    """
    firsts = (
        Attendance.objects.filter(
            partner__couple__in=couples,
            session__status=TherapySession.Status.SCHEDULED,
            session__ends_at__gt=now,
        )
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=F("partner__couple_id"),
                order_by=["session__starts_at", "session_id"],
            )
        )
        .filter(place=1)
        .values("pk")
    )
    upcoming = (
        TherapySession.objects.filter(attendances__in=firsts)
        .annotate(for_couple=F("attendances__partner__couple_id"))
        .select_related("clinician")
        .order_by("starts_at", "pk")
    )
    return {session.for_couple: session for session in upcoming}


def session_list_upcoming_for_couple(
    *, partners: list[Partner], now: datetime.datetime, limit: int
) -> list[TherapySession]:
    """The next `limit` sessions the couple's partners (given by the page, which read them)
    take part in, with this couple's people (_with_couple_people): two queries."""
    if not partners:
        return []
    theirs = _sessions_of(partners).filter(starts_at__gte=now).order_by("starts_at", "pk")
    return _partners_attach(list(_with_couple_people(theirs, partners)[:limit]), partners)


def session_next_for_couple(
    *, partners: list[Partner], now: datetime.datetime
) -> TherapySession | None:
    """The next session the couple's partners take part in, with its clinician only (the
    overview names it; its places are on the sessions tab): one query."""
    if not partners:
        return None
    theirs = _sessions_of(partners).filter(starts_at__gte=now).order_by("starts_at", "pk")
    return theirs.select_related("clinician__user").first()


def session_list_past_for_couple(
    *, partners: list[Partner], now: datetime.datetime, limit: int
) -> list[TherapySession]:
    """The couple's last `limit` sessions, newest first, with this couple's people: two
    queries."""
    if not partners:
        return []
    theirs = _sessions_of(partners).filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    return _partners_attach(list(_with_couple_people(theirs, partners)[:limit]), partners)


def _partners_attach(sessions: list[TherapySession], partners: list[Partner]) -> list:
    """Each place's partner is one the page already read (with their user), not read again."""
    by_id = {partner.pk: partner for partner in partners}
    for session in sessions:
        for attendance in session.attendances.all():
            attendance.partner = by_id[attendance.partner_id]
    return sessions


def _sessions_of(partners: list[Partner]) -> QuerySet[TherapySession]:
    # Through the couple, not a list of the partners' ids: with the ids PostgreSQL walks every
    # upcoming session by start to find the first of theirs (10 ms at 2,000 couples); through
    # the couple it reads their places first (about 1 ms).
    return TherapySession.objects.filter(
        pk__in=Attendance.objects.filter(partner__couple_id=partners[0].couple_id).values(
            "session_id"
        )
    )


def _with_couple_people(sessions: QuerySet[TherapySession], partners: list[Partner]):
    """The sessions with their clinician and only this couple's places: a group's other
    couples are not this care team's to see, so they are not read either. The group's head
    count comes with each session (session.participant_count)."""
    theirs = Attendance.objects.filter(
        partner_id__in=[partner.pk for partner in partners]
    ).order_by("partner_id")
    head_count = (
        Attendance.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        sessions.select_related("clinician__user")
        .annotate(participant_count=Subquery(head_count))
        .prefetch_related(Prefetch("attendances", queryset=theirs))
    )
