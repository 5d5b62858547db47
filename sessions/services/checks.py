"""The checks every booking passes: who takes part, how long, and what it would clash with."""

import datetime
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Q

from common.moments import clock_text, zone_abbreviation
from couples.models import CareAssignment, CareRole, Clinician, Couple, Partner
from sessions.models import MULTI_COUPLE_KINDS, SessionKind, TherapySession

# Which care-team role a one-partner kind needs from its clinician.
PARTNER_KIND_ROLE = {
    SessionKind.INDIVIDUAL_THERAPY: CareRole.INDIVIDUAL_THERAPIST,
    SessionKind.COUNSELING: CareRole.COUNSELOR,
    SessionKind.MEDICAL_VISIT: CareRole.MEDICAL_PROVIDER,
}
MIN_MINUTES, MAX_MINUTES = 15, 240


def _local(moment: datetime.datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %b} {local.day}, {clock_text(local)}"


def participants_for(
    *,
    kind: str,
    clinician: Clinician,
    couple: Couple | None,
    partner: Partner | None = None,
    partners: list[Partner] | None = None,
) -> list[Partner]:
    """Who takes part, by the kind's rule; raises ValidationError naming what is wrong.

    Couples therapy: both partners with their couples therapist. Individual therapy,
    counseling and a medical visit: one partner with their own therapist, counselor or
    medical provider (a care-team role). Group and sober activity: partners of several
    couples with any clinician.
    """
    if kind in MULTI_COUPLE_KINDS:
        if couple is not None:
            raise ValidationError("A group or sober activity is not tied to one couple.")
        if not partners:
            raise ValidationError("Choose who takes part.")
        return list(partners)
    if couple is None:
        raise ValidationError("Choose the couple.")
    if kind == SessionKind.COUPLES_THERAPY:
        if not _holds(clinician, couple=couple, partner=None, role=CareRole.COUPLES_THERAPIST):
            raise ValidationError(f"{clinician} is not this couple's couples therapist.")
        return list(couple.partners.all())
    if partner is None or partner.couple_id != couple.pk:
        raise ValidationError("Choose one partner of this couple.")
    role = PARTNER_KIND_ROLE[kind]
    if not _holds(clinician, couple=couple, partner=partner, role=role):
        raise ValidationError(
            f"{clinician} is not {partner.display_name}'s {CareRole(role).label.lower()}."
        )
    return [partner]


def _holds(clinician: Clinician, *, couple: Couple, partner: Partner | None, role: str) -> bool:
    return CareAssignment.objects.filter(
        clinician=clinician, couple=couple, partner=partner, role=role, ended_at__isnull=True
    ).exists()


def conflicts_for(
    *,
    clinician: Clinician,
    partners: list[Partner],
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    exclude_pks: list[int] | None = None,
) -> list[str]:
    """Messages naming each scheduled session that overlaps, for the clinician or a partner."""
    # A session that is under way may already be marked completed: only a cancelled one
    # frees its time.
    overlapping = (
        TherapySession.objects.exclude(status=TherapySession.Status.CANCELLED)
        .filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
        .filter(Q(clinician=clinician) | Q(attendances__partner__in=partners))
        .exclude(pk__in=exclude_pks or [])
        .select_related("clinician__user")
        .prefetch_related("attendances__partner__user")
        .distinct()
    )
    messages = []
    for other in overlapping:
        end = other.ends_at.astimezone(ZoneInfo(other.time_zone))
        who = [str(clinician)] if other.clinician_id == clinician.pk else []
        booked = {a.partner_id for a in other.attendances.all()}
        who += [p.display_name for p in partners if p.pk in booked]
        messages.append(
            f"{' and '.join(who)} already {'has' if len(who) == 1 else 'have'} "
            f"{other.get_kind_display().lower()} on {_local(other.starts_at, other.time_zone)}–"
            f"{clock_text(end)} {zone_abbreviation(end)}."
        )
    return messages


def _check_duration(minutes: int) -> None:
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValidationError(
            {"duration_minutes": f"A session lasts {MIN_MINUTES} to {MAX_MINUTES} minutes."}
        )


def _lock(clinician: Clinician, partners: list[Partner]) -> None:
    # Lock the people being booked, so two schedulers cannot double-book them at once.
    Clinician.objects.select_for_update().filter(pk=clinician.pk).first()
    list(Partner.objects.select_for_update().filter(pk__in=[p.pk for p in partners]))
