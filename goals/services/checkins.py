"""The daily check-in: the recovery contract of Behavioral Couples Therapy."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from audit.models import AuditEvent
from audit.services import audit_record
from couples.models import Partner
from couples.queries import couple_today
from goals.models import CheckIn
from goals.services.days import day_check
from triage import services as triage_services


@transaction.atomic
def checkin_record(
    *,
    partner: Partner,
    day: datetime.date,
    is_sober: bool,
    craving: int,
    mood: int,
    had_trust_discussion: bool,
    attended_meeting: bool,
    note: str = "",
    request: HttpRequest | None = None,
) -> CheckIn:
    """Record (or correct) a partner's check-in for a day; one per partner per day."""
    today = couple_today(couple=partner.couple)
    day_check(day=day, today=today, what="Check-ins")
    if not 0 <= craving <= 10:
        raise ValidationError({"craving": "Craving is a number from 0 to 10."})
    values = {
        "is_sober": is_sober,
        "craving": craving,
        "mood": mood,
        "had_trust_discussion": had_trust_discussion,
        "attended_meeting": attended_meeting,
        "note": note,
        "recorded_on": today,
    }
    checkin = CheckIn.objects.select_for_update().filter(partner=partner, day=day).first()
    created = checkin is None
    if created:
        checkin = CheckIn(partner=partner, day=day)
    for name, value in values.items():
        setattr(checkin, name, value)
    # Each check constraint is checked above in Python (the day, the craving) or by the mood's
    # choices, and the day's row is locked: full_clean() need not ask the database again, nor
    # look up the partner we were given. The constraints stay as the backstop.
    checkin.full_clean(exclude=["partner"], validate_unique=False, validate_constraints=False)
    if not created:
        checkin.save(update_fields=[*values, "updated_at"])
    else:
        try:
            with transaction.atomic():
                checkin.save()
        except IntegrityError:
            # Two submissions for the same day raced: the second one corrects the first.
            checkin = CheckIn.objects.select_for_update().get(partner=partner, day=day)
            for name, value in values.items():
                setattr(checkin, name, value)
            checkin.save(update_fields=[*values, "updated_at"])
            created = False
    audit_record(
        actor=partner.user,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        target=checkin,
        patient=partner,
        request=request,
    )
    if not checkin.is_sober:
        # What the partner reported reaches their care team's queue, in the same transaction.
        triage_services.reported_use_raise(checkin=checkin)
    return checkin
