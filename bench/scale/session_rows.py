"""Therapy sessions and their attendance, drawn one at a time by SessionPlanner."""

import datetime
import secrets
from datetime import UTC
from zoneinfo import ZoneInfo

from bench.scale.clinic import CLINIC_ZONE, MEDICAL, ZONES, Clinic, CoupleRow
from couples.models import CareRole
from sessions.models import Attendance, SessionKind, TherapySession

KIND_ROLE = {
    SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
    SessionKind.COUNSELING: CareRole.COUNSELOR,
    SessionKind.MEDICAL_VISIT: CareRole.MEDICAL_PROVIDER,
}
# kind: share of all sessions (%), local start hours, lengths in minutes, on weekends?
SESSION_PLAN = {
    SessionKind.COUPLES_THERAPY: (52, range(8, 19), (50, 60, 60, 90), False),
    SessionKind.GROUP: (14, (9, 18), (180,), False),
    SessionKind.COUNSELING: (14, range(9, 17), (50,), False),
    SessionKind.INDIVIDUAL_THERAPY: (7, range(9, 18), (50,), False),
    SessionKind.MEDICAL_VISIT: (5, range(8, 16), (30, 45), False),
    SessionKind.SOBER_ACTIVITY: (8, range(10, 15), (120,), True),
}
CANCEL_REASONS = ["Clinician unwell", "The couple asked to reschedule", "Holiday closure"]


class SessionPlanner:
    """Draws plausible sessions one at a time: a kind, then people in the program that day.

    The day is drawn over the whole range first and a couple accepted only if it is in
    the program that day, so couples in the program longer have more sessions.
    """

    def __init__(self, clinic: Clinic):
        self.clinic = clinic
        self.rng = clinic.rng
        self.user_of = {c.pk: c.user_pk for c in clinic.clinicians}
        self.leaders = [c.pk for c in clinic.clinicians if c.profile != MEDICAL]
        self.couples = [
            c for c in clinic.couples if c.session_from and c.session_from <= c.session_to
        ]
        self.by_zone: dict[str, list[CoupleRow]] = {}
        for couple in self.couples:
            self.by_zone.setdefault(couple.zone, []).append(couple)
        self.holders = {kind: [] for kind in KIND_ROLE}
        for couple in self.couples:
            for (role, partner), clinician in couple.partner_roles.items():
                for kind, kind_role in KIND_ROLE.items():
                    if kind_role == role:
                        self.holders[kind].append((couple, partner, clinician))
        self.kinds = [kind for kind, plan in SESSION_PLAN.items() for _ in range(plan[0])]
        self.span = (clinic.future_end - clinic.start).days + 1
        self.zones = {zone: ZoneInfo(zone) for zone in [*ZONES, CLINIC_ZONE]}

    def draw(self) -> tuple[TherapySession, list[tuple]] | None:
        """One session (unsaved) and its attendance rows without the session id."""
        kind = self.kinds[int(self.rng.random() * len(self.kinds))]
        if kind in KIND_ROLE and not self.holders[kind]:
            kind = SessionKind.COUPLES_THERAPY
        if not self.couples:
            return None
        weekend = SESSION_PLAN[kind][3]
        if kind in KIND_ROLE:
            (couple, partner, clinician), day = self._draw_in_program(self.holders[kind], weekend)
            partners, zone, couple_pk = [partner], couple.zone, couple.pk
        elif kind == SessionKind.COUPLES_THERAPY:
            couple, day = self._draw_in_program(self.couples, weekend)
            clinician = couple.couples_therapist_on(day)
            partners, zone, couple_pk = couple.partners, couple.zone, couple.pk
        else:
            couple, day = self._draw_in_program(self.couples, weekend)
            clinician, zone, couple_pk = self.rng.choice(self.leaders), couple.zone, None
            size = self.rng.randint(3, 6) if kind == SessionKind.GROUP else self.rng.randint(2, 4)
            partners = [p for c in self._others_in_zone(couple, day, size) for p in c.partners]
        return self._session(kind, clinician, couple_pk, zone, day, partners)

    def _draw_in_program(self, candidates, weekend: bool):
        rng = self.rng
        for _ in range(12):
            candidate = candidates[int(rng.random() * len(candidates))]
            couple = candidate[0] if isinstance(candidate, tuple) else candidate
            day = self.clinic.start + datetime.timedelta(days=int(rng.random() * self.span))
            if couple.session_from <= day <= couple.session_to and (day.weekday() >= 5) == weekend:
                return candidate, day
        # A short stay rarely wins the draw above: any day of its own will do.
        offset = rng.randint(0, (couple.session_to - couple.session_from).days)
        return candidate, couple.session_from + datetime.timedelta(days=offset)

    def _others_in_zone(self, first: CoupleRow, day: datetime.date, size: int):
        chosen = {first.pk: first}
        pool = self.by_zone[first.zone]
        for _ in range(size * 3):
            if len(chosen) == size:
                break
            couple = pool[int(self.rng.random() * len(pool))]
            if couple.session_from <= day <= couple.session_to:
                chosen[couple.pk] = couple
        return chosen.values()

    def _session(self, kind, clinician, couple_pk, zone, day, partners):
        rng, now = self.rng, self.clinic.now
        _, hours, lengths, _ = SESSION_PLAN[kind]
        hour = rng.choice(hours)
        minute = 0 if kind == SessionKind.GROUP else rng.choice((0, 0, 30))
        local = datetime.datetime.combine(day, datetime.time(hour, minute), self.zones[zone])
        starts_at = local.astimezone(UTC)
        ends_at = starts_at + datetime.timedelta(minutes=rng.choice(lengths))
        status, reason = TherapySession.Status.SCHEDULED, ""
        if rng.random() < 0.04:
            status, reason = TherapySession.Status.CANCELLED, rng.choice(CANCEL_REASONS)
        attendance = [self._attendance(p, starts_at, ends_at, status, clinician) for p in partners]
        marked = status != TherapySession.Status.CANCELLED and ends_at <= now
        if marked:
            anyone_there = any(row[1] in ("present", "late") for row in attendance)
            status = (
                TherapySession.Status.COMPLETED if anyone_there else TherapySession.Status.NO_SHOW
            )
        session = TherapySession(
            kind=kind,
            clinician_id=clinician,
            couple_id=couple_pk,
            starts_at=starts_at,
            ends_at=ends_at,
            time_zone=zone,
            room_id=secrets.token_urlsafe(16),  # a real room link: never from the seeded RNG
            status=status,
            change_reason=reason,
            created_by_id=self.user_of[clinician],
        )
        return session, attendance

    def _attendance(self, partner, starts_at, ends_at, status, clinician) -> tuple:
        """(partner, status, minutes, marked_at, marked_by, response, note, responded_at).

        Past sessions are marked; some partners have confirmed one still ahead of them.
        """
        rng, now = self.rng, self.clinic.now
        if status == TherapySession.Status.CANCELLED or ends_at > now:
            if starts_at > now and status != TherapySession.Status.CANCELLED and rng.random() < 0.4:
                answered = min(now, starts_at - datetime.timedelta(hours=rng.randint(2, 48)))
                return (partner, "", 0, None, None, Attendance.Response.CONFIRMED, "", answered)
            return (partner, "", 0, None, None, "", "", None)
        length = int((ends_at - starts_at).total_seconds() // 60)
        roll = rng.random()
        if roll < 0.8:
            status, minutes = Attendance.Status.PRESENT, length
        elif roll < 0.9:
            status, minutes = Attendance.Status.LATE, max(1, length - rng.choice((5, 10, 20)))
        elif roll < 0.97:
            status, minutes = Attendance.Status.ABSENT, 0
        else:
            status, minutes = Attendance.Status.EXCUSED, 0
        marked_at = min(now, ends_at + datetime.timedelta(minutes=rng.randint(5, 180)))
        return (partner, status, minutes, marked_at, self.user_of[clinician], "", "", None)
