"""A couple with a bit of everything, for the tests of what a partner's record carries
(and for the FHIR mapping and export tests, which may use the same fixture)."""

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from couples import services as couple_services
from couples.models import CareRole, Partner
from goals.models import CheckIn, Goal, ProgressEntry
from insurance.models import Coverage, Payer
from measures.instruments import INSTRUMENTS
from measures.models import MeasureResponse
from notes import services as note_services
from sessions.models import SessionKind, TherapySession
from tests.factories import ClinicianFactory, GoalFactory, PartnerFactory, session_written
from tests.notes.conftest import attended_session, written
from tests.records.conftest import note_with


def progress(goal: Goal, partner: Partner, *, days_ago: int, value: int = 1) -> ProgressEntry:
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    return ProgressEntry.objects.create(
        goal=goal, partner=partner, day=day, measure=goal.measure, value=value, recorded_on=day
    )


def checkins(partner: Partner, *, days: int, before: int = 0) -> list[CheckIn]:
    """Daily check-ins for the last `days` days, today included; `before` days earlier
    than that when asked (after the ones a fixture made)."""
    today = timezone.localdate()
    return CheckIn.objects.bulk_create(
        CheckIn(
            partner=partner,
            day=today - datetime.timedelta(days=offset),
            is_sober=True,
            craving=2,
            mood=3,
            had_trust_discussion=True,
            attended_meeting=False,
            recorded_on=today - datetime.timedelta(days=offset),
        )
        for offset in range(before, before + days)
    )


def scored(partner: Partner, code: str = "phq9", *, total: int = 6, days_ago: int = 3):
    """A completed response as the service leaves it, `days_ago` days back."""
    band = INSTRUMENTS[code].band_of(total)
    at = timezone.now() - datetime.timedelta(days=days_ago, minutes=partner.pk)
    return MeasureResponse.objects.create(
        couple=partner.couple,
        partner=partner,
        instrument=code,
        status=MeasureResponse.Status.COMPLETED,
        answers={"q1": 1},
        started_at=at,
        completed_at=at,
        total=total,
        band_label=band.label if band else "",
        band_level=band.level if band else None,
    )


def coverage(partner: Partner, payer_name: str) -> Coverage:
    return Coverage.objects.create(
        partner=partner,
        payer=Payer.objects.get_or_create(name=payer_name)[0],
        member_id=f"M{partner.pk:06}",
        subscriber_name=partner.display_name,
        effective_on=timezone.localdate() - datetime.timedelta(days=60),
    )


def individual_therapist(couple, partner) -> object:
    therapist = ClinicianFactory(can_be_couples_therapist=False, can_be_individual_therapist=True)
    couple_services.care_team_assign(
        couple=couple,
        role=CareRole.INDIVIDUAL_THERAPIST,
        clinician=therapist,
        partner=partner,
        by=None,
    )
    return therapist


def couple_items(couple, partners, *, couples_therapist, therapists, hours_ago=2):
    """Goals of every kind, progress, check-ins, measures, sessions and notes for a couple;
    returns them by name."""
    first, second = partners
    made = {"couple": couple, "created_by": first.user}
    items = SimpleNamespace(
        shared=GoalFactory(**made, title="Talk after dinner"),
        shared_proposed=GoalFactory(**made, status="proposed", measure="milestone", target=None),
        shared_cancelled=GoalFactory(**made, status="cancelled"),
        first_goal=GoalFactory(**made, partner=first, title="Call my sponsor"),
        first_cancelled=GoalFactory(**made, partner=first, status="cancelled"),
        second_goal=GoalFactory(**made, partner=second, title="Morning walk"),
        second_cancelled=GoalFactory(**made, partner=second, status="cancelled"),
    )
    items.shared_progress = [
        progress(items.shared, first, days_ago=1),
        progress(items.shared, second, days_ago=1),
    ]
    items.first_progress = progress(items.first_goal, first, days_ago=2)
    items.second_progress = progress(items.second_goal, second, days_ago=2)
    items.first_checkins = checkins(first, days=3)
    items.second_checkins = checkins(second, days=3)
    items.first_measure = scored(first)
    items.first_unfinished = MeasureResponse.objects.create(
        couple=couple, partner=first, instrument="gad7", started_at=timezone.now()
    )
    items.second_measure = scored(second)

    def session(kind, clinician, people, hours):
        return attended_session(
            kind=kind, clinician=clinician, couple=couple, partners=people, hours_ago=hours
        )

    couples_session = session(
        SessionKind.COUPLES_THERAPY, couples_therapist, [first, second], hours_ago + 1
    )
    items.couples_note = written(couples_session, text="Both named one trigger each.")
    first_therapist, second_therapist = therapists
    items.first_note = written(
        session(SessionKind.INDIVIDUAL_THERAPY, first_therapist, [first], hours_ago + 2)
    )
    items.addendum = note_services.addendum_add(
        note=items.first_note,
        author=first_therapist,
        text="Added later.",
        by=first_therapist.user,
    )
    items.first_psychotherapy_note = note_with(
        session(SessionKind.INDIVIDUAL_THERAPY, first_therapist, [first], hours_ago + 3),
        psychotherapy=True,
    )
    items.first_draft = written(
        session(SessionKind.INDIVIDUAL_THERAPY, first_therapist, [first], hours_ago + 4),
        sign=False,
    )
    items.second_note = written(
        session(SessionKind.INDIVIDUAL_THERAPY, second_therapist, [second], hours_ago + 5)
    )
    items.upcoming = session_written(
        couples_therapist,
        [first, second],
        starts_at=timezone.now() + datetime.timedelta(days=2),
        kind=SessionKind.COUPLES_THERAPY,
        minutes=50,
    )
    items.cancelled = session_written(
        first_therapist,
        [first],
        starts_at=timezone.now() + datetime.timedelta(days=3),
        kind=SessionKind.INDIVIDUAL_THERAPY,
        minutes=50,
        status=TherapySession.Status.CANCELLED,
    )
    items.coverage_first = coverage(first, "Blue Cross PPO")
    items.coverage_second = coverage(second, "Aetna")
    return items


@pytest.fixture
def partner_record_data(couple, partner_a, partner_b, couples_therapist, alexs_therapist):
    """Jordan (partner_a) and Alex (partner_b), with Maya as couples therapist, their own
    individual therapists, and another couple (Sam and Robin) beside them.

    For each couple (`.ours`, `.theirs`, see couple_items): shared goals (active, proposed,
    cancelled), each partner's own (active, cancelled), progress by both on the shared goal
    and by each on their own, three days of check-ins each, a completed PHQ-9 each and an
    unfinished GAD-7 for the first partner, a signed couples note, the first partner's signed
    individual note (with an addendum), psychotherapy note and draft, the second partner's
    signed note, an upcoming couples session, a cancelled individual one, a coverage each.
    `.group_note`: a signed group note with Jordan, Alex and Sam. No consent is given.
    """
    jordans_therapist = individual_therapist(couple, partner_a)
    sam = PartnerFactory(user__first_name="Sam")
    robin = PartnerFactory(couple=sam.couple, user__first_name="Robin")
    their_therapist = ClinicianFactory(user__first_name="Tess")
    couple_services.care_team_assign(
        couple=sam.couple, role=CareRole.COUPLES_THERAPIST, clinician=their_therapist, by=None
    )
    theirs = couple_items(
        sam.couple,
        [sam, robin],
        couples_therapist=their_therapist,
        therapists=[individual_therapist(sam.couple, sam), individual_therapist(sam.couple, robin)],
        hours_ago=10,
    )
    couple_services.consent_grant(
        partner=robin, shares_goals=True, shares_checkins=True, by=robin.user
    )
    gail = ClinicianFactory(user__first_name="Gail")
    group_note = written(
        attended_session(
            kind=SessionKind.GROUP, clinician=gail, partners=[partner_a, partner_b, sam]
        )
    )
    return SimpleNamespace(
        jordan=partner_a,
        alex=partner_b,
        sam=sam,
        robin=robin,
        maya=couples_therapist,
        jordans_therapist=jordans_therapist,
        alexs_therapist=alexs_therapist,
        ours=couple_items(
            couple,
            [partner_a, partner_b],
            couples_therapist=couples_therapist,
            therapists=[jordans_therapist, alexs_therapist],
        ),
        theirs=theirs,
        group_note=group_note,
    )
