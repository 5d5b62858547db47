"""Reading the triage queue: every read takes the user and follows the care team's coverage
(couples.queries.CareCoverage): an item about one partner is for the clinicians whose role
covers that partner, an item about the couple for the whole care team."""

from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import CareAssignment, User
from triage.models import TriageItem


def _covered(user: User) -> Q:
    """The items this clinician's current roles cover, as a filter inside the items' own
    query: a role on the item's partner or on the whole couple, or any role on the couple for
    an item about the couple."""
    roles = CareAssignment.objects.filter(
        clinician__user=user, ended_at__isnull=True, couple_id=OuterRef("couple_id")
    )
    return Q(
        Exists(roles.filter(Q(partner__isnull=True) | Q(partner_id=OuterRef("partner_id"))))
    ) | Q(partner__isnull=True) & Q(Exists(roles))


def items_open_for_clinician(*, user: User) -> list[TriageItem]:
    """The open items of the couples whose care this clinician shares, as their roles cover
    them: most severe first, then oldest first. One query, however many items."""
    return list(
        TriageItem.objects.filter(
            _covered(user), acknowledged_at__isnull=True, resolved_at__isnull=True
        )
        .select_related("couple", "partner__user")
        .order_by("severity", "raised_at", "pk")
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
