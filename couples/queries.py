"""Every read of couples' data that depends on who is asking.

A couple is visible to its two partners and to the clinicians currently on its
care team; to everyone else it does not exist (404), and the attempt is audited.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import access_denied_record
from couples.models import (
    CareAssignment,
    CareRole,
    Clinician,
    Couple,
    CoupleRevision,
    Notification,
    NotificationPreference,
    Partner,
    SharingConsent,
    User,
)
from couples.notifications import preference_for, zone_named
from couples.roles import Role, roles_for_user

# How far back a partner's accounting of who saw their records reaches (Part 2: 3 years).
DISCLOSURE_LOOKBACK_YEARS = 3

# Orders by the declared order of the choices rather than alphabetically.
ROLE_ORDER = Case(
    *(When(role=role, then=Value(index)) for index, role in enumerate(CareRole.values)),
    output_field=IntegerField(),
)
STATUS_ORDER = Case(
    *(When(status=status, then=Value(index)) for index, status in enumerate(Couple.Status.values)),
    output_field=IntegerField(),
)


def revision_of(couple_id: str = "pk") -> Coalesce:
    """A couple's revision (couples/revisions.py) read in the statement that reads the couple,
    so before what it keys; `couple_id` is the path to the couple's id ("couple_id" from a
    partner). No row means 0. A subquery rather than joins: a page's query is planned faster
    with one join fewer per step to the couple."""
    revision = CoupleRevision.objects.filter(couple_id=OuterRef(couple_id)).values("value")
    return Coalesce(Subquery(revision), 0)


REVISION = revision_of()


def couple_list_for_user(*, user: User) -> QuerySet[Couple]:
    """The couples this user may see: their own, or those whose care team they are on."""
    roles = roles_for_user(user)
    visible = Q(pk__in=[])
    if Role.PARTNER in roles:
        visible |= Q(pk__in=Partner.objects.filter(user=user).values("couple_id"))
    if Role.CLINICIAN in roles:
        current = CareAssignment.objects.filter(clinician__user=user, ended_at__isnull=True)
        visible |= Q(pk__in=current.values("couple_id"))
    return Couple.objects.filter(visible)


def couple_get_for_user(*, user: User, pk: int, request: HttpRequest | None = None) -> Couple:
    """The couple if this user may see it, with its revision read in the same statement
    (couple.revision_value, for couples/fragments.py); everyone else gets the audited 404."""
    couple = couple_list_for_user(user=user).annotate(revision_value=REVISION).filter(pk=pk).first()
    if couple is None:
        access_denied_record(user=user, request=request, target_type="couples.Couple", target_id=pk)
        raise Http404
    return couple


def partner_get_for_user(
    *, user: User, with_couple_partners: bool = True, with_revision: bool = False
) -> Partner:
    """The signed-in partner's own profile with their couple and, unless a page needs only
    the person and the couple (one query then), both partners. A page that keeps parts of
    itself asks for the couple's revision too (partner.couple_revision), read in the same
    statement."""
    partners = Partner.objects.select_related("user", "couple")
    if with_revision:
        partners = partners.annotate(couple_revision=revision_of("couple_id"))
    partner = partners.filter(user=user).first()
    if partner is None:
        raise Http404
    if with_couple_partners:
        couple_partners_load(partner=partner)
    return partner


def couple_partners_load(*, partner: Partner) -> None:
    """Read the partner's couple's partners with their users (one query), for
    partner.couple.partners.all()."""
    prefetch_related_objects(
        [partner], Prefetch("couple__partners", queryset=Partner.objects.select_related("user"))
    )


def clinician_get_for_user(*, user: User) -> Clinician:
    clinician = Clinician.objects.select_related("user").filter(user=user).first()
    if clinician is None:
        raise Http404
    return clinician


def partner_list_for_couple(*, couple: Couple) -> QuerySet[Partner]:
    return couple.partners.select_related("user").order_by("pk")


def couple_time_zone(*, couple: Couple) -> datetime.tzinfo:
    """The couple's zone for dates and times; the clinic's if the stored name is unknown."""
    return zone_named(couple.time_zone)


def couple_today(*, couple: Couple) -> datetime.date:
    """The calendar day it is now where the couple lives: consent ends at their midnight."""
    return timezone.localdate(timezone=couple_time_zone(couple=couple))


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def is_on_care_team(*, user: User, couple_id: int) -> bool:
    return CareAssignment.objects.filter(
        couple_id=couple_id, clinician__user=user, ended_at__isnull=True
    ).exists()


@dataclass(frozen=True)
class IndividualItemsAccess:
    """Whether a viewer may see a partner's individual goals and check-ins, and why."""

    goals: bool
    checkins: bool
    consent: SharingConsent | None = None  # set when the access rests on the partner's consent

    @property
    def is_disclosure(self) -> bool:
        return self.consent is not None


NO_ACCESS = IndividualItemsAccess(goals=False, checkins=False)


def individual_items_access(*, viewer: User, owner: Partner) -> IndividualItemsAccess:
    """The partner themself and their care team always; the other partner only under an
    active consent (checked on every call, so a revocation counts from the next request)."""
    if owner.user_id == viewer.pk:
        return IndividualItemsAccess(goals=True, checkins=True)
    if Role.CLINICIAN in roles_for_user(viewer) and is_on_care_team(
        user=viewer, couple_id=owner.couple_id
    ):
        return IndividualItemsAccess(goals=True, checkins=True)
    consent = consent_active_for(partner=owner)
    if consent is None or consent.recipient.user_id != viewer.pk:
        return NO_ACCESS
    return IndividualItemsAccess(
        goals=consent.shares_goals, checkins=consent.shares_checkins, consent=consent
    )


def consent_active_for(*, partner: Partner, today: datetime.date | None = None):
    """The partner's open, unexpired consent, or None. Expiry needs no job: it is read here."""
    today = today or couple_today(couple=partner.couple)
    consent = (
        SharingConsent.objects.select_related("recipient__user")
        .filter(partner=partner, revoked_at__isnull=True)
        .first()
    )
    if consent is None or not consent.is_active_on(today):
        return None
    return consent


def consent_history_for_partner(*, partner: Partner) -> QuerySet[SharingConsent]:
    return partner.consents_given.select_related("recipient__user", "granted_by", "revoked_by")


def consent_open_for(*, partner: Partner) -> SharingConsent | None:
    """The consent not yet revoked, expired or not: the one a revocation closes."""
    return (
        SharingConsent.objects.select_related("recipient__user")
        .filter(partner=partner, revoked_at__isnull=True)
        .first()
    )


@dataclass(frozen=True)
class ConsentStatus:
    """Where one consent (or a partner's sharing as a whole) stands, for display."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    NONE = "none"
    LABELS = {ACTIVE: "Sharing", EXPIRED: "Expired", REVOKED: "Revoked", NONE: "Not sharing"}

    state: str
    consent: SharingConsent | None = None

    @property
    def label(self) -> str:
        return self.LABELS[self.state]

    @property
    def is_active(self) -> bool:
        return self.state == self.ACTIVE

    @property
    def is_expired(self) -> bool:
        return self.state == self.EXPIRED

    @property
    def is_revoked(self) -> bool:
        return self.state == self.REVOKED


def consent_status_of(consent: SharingConsent | None, *, today: datetime.date) -> ConsentStatus:
    if consent is None:
        return ConsentStatus(ConsentStatus.NONE)
    if consent.revoked_at is not None:
        return ConsentStatus(ConsentStatus.REVOKED, consent)
    if not consent.is_active_on(today):
        return ConsentStatus(ConsentStatus.EXPIRED, consent)
    return ConsentStatus(ConsentStatus.ACTIVE, consent)


def consent_status_for(*, partner: Partner, today: datetime.date | None = None) -> ConsentStatus:
    """The partner's sharing now, from their latest grant (a new grant closes the old one).

    "Today" is the couple's day, as in consent_active_for, so the two never disagree.
    """
    latest = consent_history_for_partner(partner=partner).order_by("-granted_at", "-pk").first()
    return consent_status_of(latest, today=today or couple_today(couple=partner.couple))


@dataclass(frozen=True)
class ConsentOverview:
    status: ConsentStatus
    history: list[ConsentStatus]  # newest first; history[0] is the current status


def consent_overview_for_partner(
    *, partner: Partner, today: datetime.date | None = None
) -> ConsentOverview:
    """Current status and every grant with its state, in one query."""
    today = today or couple_today(couple=partner.couple)
    consents = consent_history_for_partner(partner=partner).order_by("-granted_at", "-pk")
    history = [consent_status_of(consent, today=today) for consent in consents]
    current = history[0] if history else ConsentStatus(ConsentStatus.NONE)
    return ConsentOverview(status=current, history=history)


def record_access_list_for_partner(*, partner: Partner) -> QuerySet[AuditEvent]:
    """Who saw this partner's records over the last 3 years (an accounting of disclosures)."""
    since = years_before(timezone.now(), DISCLOSURE_LOOKBACK_YEARS)
    return (
        AuditEvent.objects.filter(
            patient=partner,
            allowed=True,
            at__gte=since,
            action__in=[
                AuditEvent.Action.READ,
                AuditEvent.Action.DISCLOSE,
                AuditEvent.Action.EXPORT,
            ],
        )
        .exclude(actor_id=partner.user_id)
        .select_related("actor__clinician")
        .order_by("-at")
    )


# The audit actions a patient's accounting lists, in the patient's words.
RECORD_ACCESS_WORDS = {
    AuditEvent.Action.READ: "Opened my record",
    AuditEvent.Action.DISCLOSE: "Saw what I share",
    AuditEvent.Action.EXPORT: "Exported my record",
}


@dataclass(frozen=True)
class RecordAccessRow:
    at: datetime.datetime
    who: str
    role: str
    what: str
    detail: str


def record_access_rows(*, events, partner: Partner) -> list[RecordAccessRow]:
    """Audit events as a patient reads them: who (with their role) did what, and when.

    Expects events from record_access_list_for_partner and the partner from
    partner_get_for_user, so naming people costs no further query.
    """
    others = {p.user_id: p for p in partner.couple.partners.all() if p.pk != partner.pk}
    rows = []
    for event in events:
        actor = event.actor
        if actor is not None and actor.pk in others:
            who, role = others[actor.pk].display_name, "My partner"
        elif actor is not None and hasattr(actor, "clinician"):
            who, role = actor.get_full_name() or actor.email, "Clinician"
        else:
            who = (actor.get_full_name() or actor.email) if actor else event.actor_label
            role = "Clinic staff"
        rows.append(
            RecordAccessRow(
                at=event.at,
                who=who or "Unknown",
                role=role,
                what=RECORD_ACCESS_WORDS.get(event.action, event.get_action_display()),
                detail=event.detail.get("what", ""),
            )
        )
    return rows


def care_team_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    """Current assignments of the couple, couples therapist first."""
    return (
        couple.care_assignments.filter(ended_at__isnull=True)
        .select_related("clinician__user", "partner__user")
        # PostgreSQL sorts NULL last by default: say where the couples therapist goes.
        .order_by(F("partner_id").asc(nulls_first=True), ROLE_ORDER)
    )


def care_history_for_couple(*, couple: Couple) -> QuerySet[CareAssignment]:
    return couple.care_assignments.select_related("clinician__user", "partner__user", "assigned_by")


def care_team_for_partner(*, partner: Partner) -> QuerySet[CareAssignment]:
    """The partner's own current clinicians: the couples therapist and their own individual
    therapist and counselor, never the other partner's."""
    return (
        CareAssignment.objects.filter(couple_id=partner.couple_id, ended_at__isnull=True)
        .filter(Q(partner__isnull=True) | Q(partner=partner))
        .select_related("clinician__user")
        .order_by(F("partner_id").asc(nulls_first=True), ROLE_ORDER)
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
    couples = Couple.objects.filter(pk__in=mine.values("couple_id")).annotate(
        revision_value=REVISION
    )
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
    flags: list[str] = field(default_factory=list)


def caseload_couples_for_clinician(*, user: User, search: str = "", sort: str = "") -> list[Couple]:
    """The clinician's current couples in the order asked for, without their people, each
    with its revision (couple.revision_value): one query. The page keeps each couple's row
    (couples/fragments.py) and asks for the people of the couples whose row it must render
    (caseload_rows_for_couples)."""
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


# Notifications: each person sees only their own, and only what reached them in the app.


def _delivered_in_app(recipient) -> QuerySet[Notification]:
    """What reached `recipient` (a user, or an OuterRef to one) in the app. A row sent while
    the person had the app channel off (in_app False) went by email only."""
    return Notification.objects.filter(
        recipient=recipient, status=Notification.Status.SENT, in_app=True
    )


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    """The user's delivered in-app notifications, newest first."""
    return _delivered_in_app(user).order_by("-sent_at", "-pk")


def notification_unread_count_for_user(*, user: User) -> int:
    return _delivered_in_app(user).filter(read_at__isnull=True).count()


def notification_unread_count_of(recipient: OuterRef) -> Coalesce:
    """notification_unread_count_for_user as an annotation, for the query that loads the
    request's user (couples.backends)."""
    unread = (
        _delivered_in_app(recipient)
        .filter(read_at__isnull=True)
        .order_by()
        .values("recipient")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(unread), 0)


def notification_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> Notification:
    notification = notification_list_for_user(user=user).filter(pk=pk).first()
    if notification is None:
        access_denied_record(
            user=user, request=request, target_type="couples.Notification", target_id=pk
        )
        raise Http404
    return notification


def notification_preference_for_user(*, user: User) -> NotificationPreference:
    """The saved preferences, or the defaults (unsaved) for someone who never changed them."""
    return preference_for(user)
