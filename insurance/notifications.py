"""Staff alerts: coverage due for re-verification, and an IOP authorization 80% used.

They go to every active member of the Insurance staff group and name no patient: the
coverage's number and a link to its admin page, which asks for the sign-in (and two factors).
Dates are the clinic's, as in the admin's "re-verification: due" filter.
"""

import datetime
from collections.abc import Iterator

from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone

from couples.models import Notification, User
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    local_moment,
    object_pk,
    object_ref_of,
)
from insurance.models import Authorization, Coverage
from insurance.permissions import INSURANCE_STAFF
from insurance.queries import (
    AUTHORIZATION_ALERT_PERCENT,
    authorization_is_high,
    units_used_for_authorizations,
)

REVERIFICATION_DUE = "coverage_reverification_due"
AUTHORIZATION_HIGH = "authorization_use_high"
# Re-verification alerts go out at the start of the clinic's working day.
REVERIFY_ALERT_TIME = datetime.time(8, 0)
# Dates further back than this are left to the admin's filter: the first run after a deploy
# must not send one email per long-overdue coverage to every staff member.
REVERIFY_LOOKBACK = datetime.timedelta(days=7)
# Units used are counted from attendance, the heaviest read of any plan: once a quarter of
# an hour is soon enough for billing, and attendance is marked after sessions anyway.
AUTHORIZATION_PLAN_EVERY_MINUTES = 15
ENDED = (Coverage.Status.DENIED, Coverage.Status.EXPIRED)


def _clinic_midnight(day: datetime.date) -> datetime.datetime:
    return local_moment(day, datetime.time(), timezone.get_default_timezone())


def _staff_user_ids() -> list[int]:
    return list(
        User.objects.filter(is_active=True, groups__name=INSURANCE_STAFF)
        .order_by()
        .values_list("pk", flat=True)
        .distinct()
    )


def _is_staff(user: User) -> bool:
    return user.groups.filter(name=INSURANCE_STAFF).exists()


def _coverage_link(coverage_id: int) -> str:
    return reverse("admin:insurance_coverage_change", args=[coverage_id])


def _has_not_ended(today: datetime.date) -> Q:
    return Q(terminates_on__isnull=True) | Q(terminates_on__gte=today)


# --- Re-verification due ------------------------------------------------------------------------


def reverifications_plan(now: datetime.datetime) -> Iterator[Draft]:
    """Verified coverage whose re-verification date has come (from REVERIFY_ALERT_TIME that
    day), to each staff member; the slot is the date, so a new date is a new alert. Two
    queries: the staff, the coverages."""
    local = timezone.localtime(now)
    today = local.date()
    due_by = today if local.time() >= REVERIFY_ALERT_TIME else today - datetime.timedelta(days=1)
    staff = _staff_user_ids()
    if not staff:
        return
    coverages = (
        Coverage.objects.filter(
            status=Coverage.Status.VERIFIED,
            reverify_on__lte=due_by,
            reverify_on__gte=due_by - REVERIFY_LOOKBACK,
        )
        .filter(_has_not_ended(today))
        .order_by()
        .values_list("pk", "reverify_on")
    )
    zone = timezone.get_default_timezone()
    for coverage_id, reverify_on in coverages:
        for user_id in staff:
            yield Draft(
                kind=REVERIFICATION_DUE,
                recipient_id=user_id,
                object_ref=object_ref_of(Coverage, coverage_id),
                slot=_clinic_midnight(reverify_on),
                due_at=local_moment(reverify_on, REVERIFY_ALERT_TIME, zone),
            )


def reverification_check(notification: Notification, recipient: Recipient) -> str:
    """Two queries: the coverage, the recipient's group."""
    today = timezone.localdate()
    coverage = Coverage.objects.filter(pk=object_pk(notification.object_ref)).first()
    if coverage is None or coverage.status != Coverage.Status.VERIFIED:
        return "The coverage is no longer verified"
    if coverage.reverify_on is None or _clinic_midnight(coverage.reverify_on) != notification.slot:
        return "The re-verification date has changed"
    if coverage.terminates_on is not None and coverage.terminates_on < today:
        return "The plan has ended"
    if not _is_staff(recipient.user):
        return "No longer insurance staff"
    return ""


def reverification_message(notification: Notification, recipient: Recipient) -> Message:
    coverage_id = object_pk(notification.object_ref)
    day = notification.slot.astimezone(timezone.get_default_timezone()).date()
    return Message(
        subject=f"Coverage #{coverage_id} is due for re-verification",
        lines=[
            f"Coverage #{coverage_id} is due for re-verification: the date set for it was "
            f"{day:%B} {day.day}, {day.year}."
        ],
        link=_coverage_link(coverage_id),
        action="Open the coverage",
    )


kind_register(
    Kind(
        name=REVERIFICATION_DUE,
        label="Coverage due for re-verification (staff)",
        message=reverification_message,
        check=reverification_check,
        plan=reverifications_plan,
    )
)


# --- Authorization 80% used ---------------------------------------------------------------------


def _authorization_ref(pk) -> str:
    return object_ref_of(Authorization, pk)


def _is_high(used: int, authorization: Authorization) -> bool:
    return authorization_is_high(used=used, units_authorized=authorization.units_authorized)


def authorizations_high_plan(now: datetime.datetime) -> Iterator[Draft]:
    """Current authorizations with 80% of their units used, to each staff member, once per
    authorization (the slot is its start). Asked every quarter of an hour (the kind's
    plan_every_minutes); three queries: the staff, the current authorizations not yet
    alerted, the attendance behind their units."""
    today = timezone.localdate(now)
    staff = _staff_user_ids()
    if not staff:
        return
    alerted = Notification.objects.filter(
        kind=AUTHORIZATION_HIGH,
        object_ref=Concat(
            Value("insurance.authorization:"), Cast(OuterRef("pk"), output_field=CharField())
        ),
    )
    current = (
        Authorization.objects.filter(starts_on__lte=today, ends_on__gte=today)
        .exclude(coverage__status__in=ENDED)
        .filter(~Exists(alerted))
        .select_related("coverage")
    )
    # One unit is one day attended, so an authorization cannot be 80% used before 80% of its
    # units in days have passed (a day more for partners in a zone ahead of the clinic).
    candidates = [
        authorization
        for authorization in current
        if _is_high((today - authorization.starts_on).days + 2, authorization)
    ]
    used = units_used_for_authorizations(authorizations=candidates)
    for authorization in candidates:
        if not _is_high(used[authorization.pk], authorization):
            continue
        for user_id in staff:
            yield Draft(
                kind=AUTHORIZATION_HIGH,
                recipient_id=user_id,
                object_ref=_authorization_ref(authorization.pk),
                slot=_clinic_midnight(authorization.starts_on),
                due_at=now,
            )


def _use(notification: Notification) -> tuple[Authorization | None, int]:
    # check and message run one after the other on the same row: count the units once.
    if not hasattr(notification, "_authorization_use"):
        authorization = (
            Authorization.objects.select_related("coverage")
            .filter(pk=object_pk(notification.object_ref))
            .first()
        )
        used = 0
        if authorization is not None:
            used = units_used_for_authorizations(authorizations=[authorization])[authorization.pk]
        notification._authorization_use = (authorization, used)
    return notification._authorization_use


def authorization_high_check(notification: Notification, recipient: Recipient) -> str:
    """Three queries: the authorization with its coverage, its units used, the group."""
    authorization, used = _use(notification)
    if authorization is None:
        return "The authorization no longer exists"
    if authorization.ends_on < timezone.localdate():
        return "The authorization has ended"
    if not _is_high(used, authorization):
        return f"Less than {AUTHORIZATION_ALERT_PERCENT}% used"
    if not _is_staff(recipient.user):
        return "No longer insurance staff"
    return ""


def authorization_high_message(notification: Notification, recipient: Recipient) -> Message:
    authorization, used = _use(notification)
    coverage_id = authorization.coverage_id
    units = authorization.units_authorized
    percent = 100 * used // units
    return Message(
        subject=f"Coverage #{coverage_id}: IOP authorization {percent}% used",
        lines=[
            f"An IOP authorization on coverage #{coverage_id} is {percent}% used "
            f"({used} of {units} units). It runs until "
            f"{authorization.ends_on:%B} {authorization.ends_on.day}, {authorization.ends_on.year}."
        ],
        link=_coverage_link(coverage_id),
        action="Open the coverage",
    )


kind_register(
    Kind(
        name=AUTHORIZATION_HIGH,
        label="IOP authorization 80% used (staff)",
        message=authorization_high_message,
        check=authorization_high_check,
        plan=authorizations_high_plan,
        plan_every_minutes=AUTHORIZATION_PLAN_EVERY_MINUTES,
    )
)
