"""Care teams (who treats which couple, with history) and partners' sharing consents."""

import datetime
import math

from bench.scale.clinic import (
    COUNSELOR,
    MEDICAL,
    PROFILE_FLAGS,
    THERAPIST,
    Clinic,
    CoupleRow,
)
from couples.models import CareRole, Couple


def care_assignment_rows(clinic: Clinic) -> list[dict]:
    """Care teams that keep the rule of couples/rules.py and give every clinician ~one caseload.

    1. Current couples get a couples therapist, dealt round the therapists, so caseloads
       differ by at most one; a few had a handover (the earlier row is ended, kept as history).
    2. Discharged couples keep their couples therapist as an ended row.
    3. Each counselor and medical provider takes as many couples (both partners) as a
       therapist has, from separate pools, so they never collide with the therapy roles.
    4. One couple in twenty also has an individual therapist, never its couples therapist.
    """
    rng = clinic.rng
    by_profile = {
        profile: [c for c in clinic.clinicians if c.profile == profile] for profile in PROFILE_FLAGS
    }
    therapists = by_profile[THERAPIST]
    current = [c for c in clinic.couples if c.status != Couple.Status.DISCHARGED]
    rng.shuffle(current)
    rows = []

    def add(couple, clinician, role, *, partner=None, started, ended=None):
        rows.append(
            {
                "couple_id": couple.pk,
                "partner_id": partner,
                "clinician_id": clinician.pk,
                "role": role,
                "started_at": started,
                "ended_at": ended,
            }
        )
        if ended is None:
            clinician.caseload.add(couple.pk)
            if partner is not None:
                couple.partner_roles[(role, partner)] = clinician.pk

    for index, couple in enumerate(current):
        therapist = therapists[index % len(therapists)]
        started = started_at(clinic, couple)
        couple.couples_therapists = [(datetime.date.min, therapist.pk)]
        span = (couple.last_day - couple.first_day).days if couple.first_day else 0
        if span > 90 and rng.random() < 0.06:
            earlier = therapists[(index + 1) % len(therapists)]
            handover = couple.first_day + datetime.timedelta(days=rng.randint(30, span - 30))
            add(
                couple,
                earlier,
                CareRole.COUPLES_THERAPIST,
                started=started,
                ended=clinic.moment(handover, 15),
            )
            couple.couples_therapists = [
                (datetime.date.min, earlier.pk),
                (handover, therapist.pk),
            ]
            started = clinic.moment(handover, 15)
        add(couple, therapist, CareRole.COUPLES_THERAPIST, started=started)
    for couple in clinic.couples:
        if couple.status == Couple.Status.DISCHARGED:
            therapist = rng.choice(therapists)
            couple.couples_therapists = [(datetime.date.min, therapist.pk)]
            ended = clinic.moment(couple.discharged_on, 20)
            started = clinic.moment(couple.admitted_on, 14)
            add(couple, therapist, CareRole.COUPLES_THERAPIST, started=started, ended=ended)
    caseload = math.ceil(len(current) / len(therapists)) if current else 0
    for profile, role in ((COUNSELOR, CareRole.COUNSELOR), (MEDICAL, CareRole.MEDICAL_PROVIDER)):
        pool = by_profile[profile]
        share = min(caseload, len(current) // len(pool)) if pool else 0
        for position, couple in enumerate(rng.sample(current, share * len(pool))):
            for partner in couple.partners:
                started = started_at(clinic, couple)
                add(couple, pool[position // share], role, partner=partner, started=started)
    for couple in rng.sample(current, len(current) // 20):
        couples_therapist = couple.couples_therapists[-1][1]
        others = [t for t in therapists if t.pk != couples_therapist]
        therapist = rng.choice(others)
        for partner in couple.partners:
            started = started_at(clinic, couple)
            add(couple, therapist, CareRole.INDIVIDUAL_THERAPIST, partner=partner, started=started)
    return rows


def started_at(clinic: Clinic, couple: CoupleRow) -> datetime.datetime:
    if couple.admitted_on is None:
        return clinic.now - datetime.timedelta(days=clinic.rng.randint(1, 10))
    return clinic.moment(couple.admitted_on, 14)


def consent_rows(clinic: Clinic) -> list[dict]:
    """About 40% of partners share with their partner; a few have revoked since."""
    rng = clinic.rng
    rows = []
    for couple in clinic.couples:
        if couple.admitted_on is None:
            continue
        granted = clinic.moment(couple.admitted_on, 16)
        pairs = zip(couple.partners, reversed(couple.partners), couple.users, strict=True)
        for partner, recipient, user in pairs:
            if rng.random() >= 0.4:
                continue
            goals, checkins = rng.choice([(True, True), (True, True), (True, False), (False, True)])
            revoked = rng.random() < 0.1
            rows.append(
                {
                    "partner_id": partner,
                    "recipient_id": recipient,
                    "shares_goals": goals,
                    "shares_checkins": checkins,
                    "granted_at": granted,
                    "granted_by_id": user,
                    "revoked_at": max(granted, clinic.now - datetime.timedelta(days=20))
                    if revoked
                    else None,
                    "revoked_by_id": user if revoked else None,
                }
            )
    return rows
