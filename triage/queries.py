"""Reading the triage queue: every read takes the user and follows the care team's coverage
(couples.queries.CareCoverage): an item about one partner is for the clinicians whose role
covers that partner, an item about the couple for the whole care team. An item with an
assignee (a session note to sign) is for that one clinician instead."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Window,
    prefetch_related_objects,
)
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.services import access_denied_record
from couples.models import CareAssignment, Partner, User
from triage.models import TriageItem


def _covered(user: User) -> Q:
    """The items this clinician's current roles cover, as a filter inside the items' own
    query: a role on the item's partner or on the whole couple, or any role on the couple for
    an item about the couple."""
    roles = CareAssignment.objects.filter(
        clinician__user=user, ended_at__isnull=True, couple_id=OuterRef("couple_id")
    )
    by_role = Q(
        Exists(roles.filter(Q(partner__isnull=True) | Q(partner_id=OuterRef("partner_id"))))
    ) | Q(partner__isnull=True) & Q(Exists(roles))
    return Q(assignee__isnull=True) & by_role | Q(assignee=user)


# The queue shows its first items (most severe, then oldest); the rest wait behind a count
# (each item carries its forms: 25 keep the home quick to draw).
QUEUE_SHOWN = 25


def _open(user: User) -> QuerySet[TriageItem]:
    """The open items this clinician's roles cover; an item snoozed until a later day (the
    clinic's) stays out until that day."""
    today = timezone.localdate()
    # The couples first, so the database reads only theirs through the open items' index
    # (couple, severity, raised_at) rather than testing the coverage on every open item; and
    # the items assigned to them, whichever couple.
    mine = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
    return (
        TriageItem.objects.filter(Q(couple_id__in=mine.values("couple_id")) | Q(assignee=user))
        .filter(_covered(user), acknowledged_at__isnull=True, resolved_at__isnull=True)
        .filter(Q(snoozed_until__isnull=True) | Q(snoozed_until__lte=today))
    )


def items_open_for_clinician(*, user: User, limit: int | None = None) -> list[TriageItem]:
    """The open items of the couples whose care this clinician shares, as their roles cover
    them: most severe first, then oldest first, each with the number of them all (`total`).
    One query, however many items."""
    items = (
        _open(user)
        .annotate(total=Window(Count("pk")))
        .select_related("couple", "partner__user", "contacted_by")
        .order_by("severity", "raised_at", "pk")
    )
    return list(items[:limit] if limit is not None else items)


@dataclass(frozen=True)
class Queue:
    items: list[TriageItem]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def queue_for_clinician(*, user: User, shown: int = QUEUE_SHOWN) -> Queue:
    """The clinician home's queue: the first `shown` open items with each couple's partners
    (for items about the couple), and how many there are in all. Two queries, however many
    items and couples."""
    items = items_open_for_clinician(user=user, limit=shown)
    prefetch_related_objects(
        items,
        Prefetch(
            "couple__partners", queryset=Partner.objects.select_related("user").order_by("pk")
        ),
    )
    return Queue(items=items, total=items[0].total if items else 0)


def open_counts_by_couple(*, user: User, couple_ids: list[int]) -> dict[int, int]:
    """couple id -> how many open items this clinician's roles cover there. One query."""
    rows = (
        _open(user)
        .filter(couple_id__in=couple_ids)
        .values("couple_id")
        .annotate(count=Count("pk"))
        .values_list("couple_id", "count")
        .order_by()
    )
    return dict(rows)


def couples_with_open_items_count(*, user: User) -> int:
    """How many couples have an open item this clinician's roles cover: the morning digest's
    "N couples need attention", the same items as the queue. One query."""
    return _open(user).aggregate(count=Count("couple_id", distinct=True))["count"]


# How far back the couple page shows items the team acknowledged or that ended by themselves.
HISTORY_DAYS = 30


def items_for_couple(*, user: User, couple_id: int) -> list[TriageItem]:
    """The couple's items this clinician's roles cover: the open ones, and those acknowledged
    or ended in the last HISTORY_DAYS, newest first, with who acknowledged them. So the whole
    care team sees what was done and by whom. One query."""
    since = timezone.now() - datetime.timedelta(days=HISTORY_DAYS)
    return list(
        TriageItem.objects.filter(_covered(user), couple_id=couple_id)
        .filter(
            Q(acknowledged_at__isnull=True, resolved_at__isnull=True)
            | Q(acknowledged_at__gte=since)
            | Q(resolved_at__gte=since)
        )
        .select_related("partner__user", "acknowledged_by", "contacted_by")
        .order_by("-raised_at", "-pk")
    )


def item_get_for_user(*, user: User, pk: int, request: HttpRequest | None = None) -> TriageItem:
    """An item the clinician's roles cover, or 404 (audited) as if it did not exist."""
    item = (
        TriageItem.objects.select_related("couple", "partner__user")
        .filter(_covered(user), pk=pk)
        .first()
    )
    if item is None:
        access_denied_record(
            user=user, request=request, target_type="triage.TriageItem", target_id=pk
        )
        raise Http404("No such item.")
    return item
