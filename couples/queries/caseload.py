"""A clinician's caseload: their current couples, searched and sorted, as rows to display."""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.utils import timezone

from couples.models import CareAssignment, Couple, Partner, User
from couples.queries.people import couple_time_zone

STATUS_ORDER = Case(
    *(When(status=status, then=Value(index)) for index, status in enumerate(Couple.Status.values)),
    output_field=IntegerField(),
)


# "days" is fewest days in program first, so the latest admission first; never admitted last.
CASELOAD_SORTS = {
    "status": [STATUS_ORDER, F("admitted_on").desc(nulls_last=True)],
    "days": [F("admitted_on").desc(nulls_last=True)],
    "-days": [F("admitted_on").asc(nulls_last=True)],
    "admitted": [F("admitted_on").desc(nulls_last=True)],
}


def caseload_for_clinician(*, user: User, search: str = "", sort: str = "") -> QuerySet[Couple]:
    """The clinician's current couples with partners and the clinician's own roles in each.

    Three queries whatever the caseload's size: couples, partners with users, my roles.
    """
    return _caseload(user=user, search=search, sort=sort).prefetch_related(
        *_caseload_people(user=user)
    )


def _caseload(*, user: User, search: str, sort: str) -> QuerySet[Couple]:
    mine = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
    couples = Couple.objects.filter(pk__in=mine.values("couple_id"))
    search = search.strip()
    if search:
        matching = Partner.objects.filter(
            Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
            | Q(preferred_name__icontains=search)
        )
        couples = couples.filter(pk__in=matching.values("couple_id"))
    return couples.order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["status"]), "pk")


def _caseload_people(*, user: User) -> list[Prefetch]:
    mine = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
    return [
        Prefetch("partners", queryset=Partner.objects.select_related("user").order_by("pk")),
        Prefetch(
            "care_assignments",
            queryset=mine.select_related("partner__user"),
            to_attr="my_assignments",
        ),
    ]


def days_in_program(*, couple: Couple, now: datetime.datetime | None = None) -> int | None:
    """Whole days since admission, counted in the couple's time zone.

    Discharge stops the count. None before admission.
    """
    if couple.admitted_on is None:
        return None
    today = timezone.localdate(now, couple_time_zone(couple=couple))
    last_day = min(today, couple.discharged_on) if couple.discharged_on else today
    if last_day < couple.admitted_on:
        return None
    return (last_day - couple.admitted_on).days


@dataclass
class CaseloadRow:
    couple: Couple
    partner_names: list[str]
    my_roles: list[str]
    days_in_program: int | None
    is_discharged: bool
    # Slots for the pages that compose the apps: the sessions and goals apps fill them later.
    next_session: object | None = None
    iop_hours: list = field(default_factory=list)
    open_items: int = 0


def caseload_couples_for_clinician(*, user: User, search: str = "", sort: str = "") -> list[Couple]:
    """The clinician's current couples in the order asked for, without their people: one
    query. caseload_rows_for_couples reads the people of those the page shows."""
    couples = list(_caseload(user=user, search=search, sort=sort))
    if sort in ("days", "-days"):
        # Discharge stops the count and zones differ, so admission order is not quite it.
        days = {couple.pk: days_in_program(couple=couple) for couple in couples}
        counted = [couple for couple in couples if days[couple.pk] is not None]
        counted.sort(key=lambda couple: days[couple.pk], reverse=sort == "-days")
        couples = counted + [couple for couple in couples if days[couple.pk] is None]
    return couples


def caseload_rows_for_couples(*, user: User, couples: list[Couple]) -> list[CaseloadRow]:
    """Rows ready to display for some of the clinician's couples (from
    caseload_couples_for_clinician): two queries, partners with users and my roles."""
    prefetch_related_objects(couples, *_caseload_people(user=user))
    return [
        CaseloadRow(
            couple=couple,
            partner_names=[partner.display_name for partner in couple.partners.all()],
            my_roles=[_role_label(assignment) for assignment in couple.my_assignments],
            days_in_program=days_in_program(couple=couple),
            is_discharged=couple.status == Couple.Status.DISCHARGED,
        )
        for couple in couples
    ]


def _role_label(assignment: CareAssignment) -> str:
    label = assignment.get_role_display()
    return f"{label} for {assignment.partner.display_name}" if assignment.partner else label
