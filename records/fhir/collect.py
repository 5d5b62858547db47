"""What one partner's copy of their record carries, read in a fixed number of queries.

A partner's copy holds their own data, the couple's shared data, and the other partner's
individual goals (with their progress), check-ins and questionnaire scores (their completed
self-report measures, `other_measures`, apart from the partner's own `measures`) only where
the other partner's consent covers them at the moment of the copy. Never the other partner's
C-SSRS screens or unfinished measures, never psychotherapy notes, never another
participant's entry in a note.

Every related row a mapper reads is loaded here (or set from rows already read): walking a
PartnerRecord costs no further query. Nothing else should be walked: `session.participants`
or `note.entries` would read other people's rows.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import F, Prefetch, Q, prefetch_related_objects
from django.utils import timezone

from couples.models import CareAssignment, Couple, Partner, SharingConsent
from couples.queries import care_team_for_partner, couple_time_zone
from goals.models import CheckIn, Goal, ProgressEntry
from insurance.models import Coverage
from measures.models import MeasureResponse
from measures.queries import SHAREABLE_CODES
from notes.models import Addendum, Note
from notes.queries import notes_own_for_partner
from sessions.models import Attendance, TherapySession

# At most this many queries, however large the record (tests/records/fhir pins it).
RECORD_QUERIES = 12


@dataclass(frozen=True)
class PartnerRecord:
    partner: Partner
    couple: Couple
    # The other partner, named in the record as a related person; None for a couple of one.
    other: Partner | None
    # Whether the other partner's consent, current at `generated_at`, shares with this partner.
    other_goals_shared: bool
    other_checkins_shared: bool
    care_team: list[CareAssignment]
    # Shared goals, this partner's own, and the other partner's if `other_goals_shared`.
    goals: list[Goal]
    # The entries on those goals (on a shared goal, both partners' entries).
    progress: list[ProgressEntry]
    # This partner's check-ins, and the other partner's if `other_checkins_shared`.
    checkins: list[CheckIn]
    # This partner's completed measures only.
    measures: list[MeasureResponse]
    # Sessions this partner was booked into (past and ahead), and their own attendance.
    sessions: list[TherapySession]
    attendance: list[Attendance]
    coverages: list[Coverage]
    # Consents this partner gave and received.
    consents: list[SharingConsent]
    # Signed notes on this partner (never psychotherapy notes); a group note's
    # `entries_for_partner` attribute holds only this partner's entry.
    notes: list[Note]
    generated_at: datetime.datetime
    # The other partner's completed self-report measures, oldest first, if
    # `other_measures_shared` (their consent in force at `generated_at` shares their scores).
    other_measures: list[MeasureResponse] = field(default_factory=list)
    other_measures_shared: bool = False


def record_for_partner(*, partner: Partner, at: datetime.datetime | None = None) -> PartnerRecord:
    """Everything one partner's copy carries, as it stood at `at` (now by default).

    At most RECORD_QUERIES queries, whatever the record's size:
    1. the couple's partners, with their users and the couple;
    2. the consents this partner gave and received (the other's sharing is read from them);
    3. this partner's care team; 4. goals; 5. progress; 6. check-ins; 7. measures (the
    other partner's shared ones in the same query);
    8. sessions and 9. this partner's places in them; 10. coverages;
    11. this partner's entries in their signed notes, with the notes; 12. the notes' addenda.

    The caller has checked that the asker may have this partner's record: this reads it all.
    """
    generated_at = at or timezone.now()
    partners = list(
        Partner.objects.filter(couple_id=partner.couple_id)
        .select_related("user", "couple")
        .order_by("pk")
    )
    partner = next(p for p in partners if p.pk == partner.pk)
    couple = partner.couple
    other = next((p for p in partners if p.pk != partner.pk), None)
    people = {p.pk: p for p in partners}
    for person in partners:
        person.couple = couple

    consents = _consents(partner=partner)
    day = timezone.localtime(generated_at, couple_time_zone(couple=couple)).date()
    sharing = (
        _consent_in_force(consents, owner=other, recipient=partner, at=generated_at, day=day)
        if other is not None
        else None
    )
    goals_shared = bool(sharing and sharing.shares_goals)
    checkins_shared = bool(sharing and sharing.shares_checkins)
    measures_shared = bool(sharing and sharing.shares_measures)

    goals = _goals(partner=partner, other=other if goals_shared else None, people=people)
    sessions, attendance = _sessions(partner=partner)
    measures, other_measures = _measures(partner=partner, other=other if measures_shared else None)
    return PartnerRecord(
        partner=partner,
        couple=couple,
        other=other,
        other_goals_shared=goals_shared,
        other_checkins_shared=checkins_shared,
        care_team=_care_team(partner=partner),
        goals=goals,
        progress=_progress(goals=goals, people=people),
        checkins=_checkins(
            partners=[partner, other] if checkins_shared else [partner], people=people
        ),
        measures=measures,
        sessions=sessions,
        attendance=attendance,
        coverages=_coverages(partner=partner),
        consents=consents,
        notes=_notes(partner=partner),
        generated_at=generated_at,
        other_measures=other_measures,
        other_measures_shared=measures_shared,
    )


def _consents(*, partner: Partner) -> list[SharingConsent]:
    """Given and received, oldest first, with both ends and who granted and revoked each."""
    return list(
        SharingConsent.objects.filter(Q(partner=partner) | Q(recipient=partner))
        .select_related("partner__user", "recipient__user", "granted_by", "revoked_by")
        .order_by("granted_at", "pk")
    )


def _consent_in_force(
    consents: list[SharingConsent],
    *,
    owner: Partner,
    recipient: Partner,
    at: datetime.datetime,
    day: datetime.date,
) -> SharingConsent | None:
    """The owner's consent to the recipient in force at `at`: consent_active_for's rule
    (open, not expired on the couple's `day`) read at a moment rather than now, so a copy
    made for a past moment counts a revocation only from when it was made."""
    in_force = [
        consent
        for consent in consents
        if consent.partner_id == owner.pk
        and consent.recipient_id == recipient.pk
        and consent.granted_at <= at
        and (consent.revoked_at is None or consent.revoked_at > at)
        and (consent.expires_on is None or day <= consent.expires_on)
    ]
    return in_force[-1] if in_force else None


def _care_team(*, partner: Partner) -> list[CareAssignment]:
    """The portal's care team: the couples therapist and this partner's own clinicians.
    The other partner's individual clinicians are theirs to disclose, not this copy's."""
    team = list(care_team_for_partner(partner=partner))
    for assignment in team:
        assignment.couple = partner.couple
        assignment.partner = partner if assignment.partner_id == partner.pk else None
    return team


def _goals(*, partner: Partner, other: Partner | None, people: dict[int, Partner]) -> list[Goal]:
    """Shared goals and this partner's own in every status (proposed and cancelled ones are
    part of the record); the other partner's only as their consent shows them on the portal
    (goals.queries.goal_list_for_user: not cancelled)."""
    wanted = Q(partner__isnull=True) | Q(partner=partner)
    if other is not None:
        wanted |= Q(partner=other) & ~Q(status=Goal.Status.CANCELLED)
    goals = list(
        Goal.objects.filter(wanted, couple_id=partner.couple_id)
        .select_related("created_by")
        .order_by("start_on", "pk")
    )
    for goal in goals:
        goal.couple = partner.couple
        goal.partner = people[goal.partner_id] if goal.partner_id is not None else None
    return goals


def _progress(*, goals: list[Goal], people: dict[int, Partner]) -> list[ProgressEntry]:
    """Entries on these goals: both partners' on a shared goal, the owner's on an individual
    one (never anyone else's, even if the services let one through)."""
    if not goals:
        return []
    by_pk = {goal.pk: goal for goal in goals}
    entries = list(
        ProgressEntry.objects.filter(goal_id__in=list(by_pk))
        .filter(Q(goal__partner__isnull=True) | Q(partner_id=F("goal__partner_id")))
        .order_by("day", "goal_id", "partner_id")
    )
    for entry in entries:
        entry.goal = by_pk[entry.goal_id]
        entry.partner = people[entry.partner_id]
    return entries


def _checkins(*, partners: list[Partner], people: dict[int, Partner]) -> list[CheckIn]:
    checkins = list(
        CheckIn.objects.filter(partner_id__in=[p.pk for p in partners]).order_by(
            "day", "partner_id"
        )
    )
    for checkin in checkins:
        checkin.partner = people[checkin.partner_id]
    return checkins


def _measures(
    *, partner: Partner, other: Partner | None
) -> tuple[list[MeasureResponse], list[MeasureResponse]]:
    """This partner's completed measures, and the other partner's completed self-report ones
    when `other` is given (their consent shares their scores), in one query; answers
    included, oldest first. Not measures.queries.completed_for_partners: it defers the
    answers a QuestionnaireResponse carries, which would cost a query per response."""
    wanted = Q(partner=partner)
    if other is not None:
        wanted |= Q(partner=other, instrument__in=sorted(SHAREABLE_CODES))
    responses = list(
        MeasureResponse.objects.filter(wanted, status=MeasureResponse.Status.COMPLETED)
        .select_related("entered_by")
        .order_by("completed_at", "pk")
    )
    by_pk = {response.pk: response for response in responses}
    for response in responses:
        owner = partner if response.partner_id == partner.pk else other
        response.partner, response.couple = owner, partner.couple
        if response.follows_id in by_pk:  # a C-SSRS screen after a PHQ-9
            response.follows = by_pk[response.follows_id]
    own = [response for response in responses if response.partner_id == partner.pk]
    return own, [response for response in responses if response.partner_id != partner.pk]


def _sessions(*, partner: Partner) -> tuple[list[TherapySession], list[Attendance]]:
    """Every session this partner has a place in (a couple's session gives both partners
    one, a group each participant one), in any status, oldest first; each session's
    `attendances` holds this partner's place only: a group's other participants are not
    this partner's to see."""
    own_places = Attendance.objects.filter(partner=partner)
    sessions = list(
        TherapySession.objects.filter(attendances__partner=partner)
        .select_related("clinician__user", "couple")
        .prefetch_related(Prefetch("attendances", queryset=own_places))
        .order_by("starts_at", "pk")
    )
    attendance = []
    for session in sessions:
        for place in session.attendances.all():
            place.partner = partner
            attendance.append(place)
    return sessions, attendance


def _coverages(*, partner: Partner) -> list[Coverage]:
    coverages = list(
        Coverage.objects.filter(partner=partner).select_related("payer").order_by("pk")
    )
    for coverage in coverages:
        coverage.partner = partner
    return coverages


def _notes(*, partner: Partner) -> list[Note]:
    """The notes the portal shows this partner (notes.queries.notes_own_for_partner: signed,
    never psychotherapy notes, through their own entry), newest session first, each with
    `entries_for_partner` (their own entry only, whatever the note's kind: in a couples note
    too the other partner's part is theirs) and its addenda."""
    entries = notes_own_for_partner(user=partner.user)
    notes = []
    for entry in entries:
        note = entry.note
        entry.partner = partner
        note.entries_for_partner = [entry]
        if note.couple_id == partner.couple_id:
            note.couple = partner.couple
        if note.partner_id == partner.pk:
            note.partner = partner
        notes.append(note)
    prefetch_related_objects(
        notes, Prefetch("addenda", queryset=Addendum.objects.select_related("author__user"))
    )
    return notes
