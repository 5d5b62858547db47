"""Who may see a partner's individual items, their sharing consent, and who saw their records."""

import datetime
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from couples.models import Partner, SharingConsent, User
from couples.queries.people import NO_COVERAGE, care_coverage_for, couple_today
from couples.roles import Role, roles_for_user

# How far back a partner's accounting of who saw their records reaches (Part 2: 3 years).
DISCLOSURE_LOOKBACK_YEARS = 3


def years_before(moment: datetime.datetime, years: int) -> datetime.datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class IndividualItemsAccess:
    """Whether a viewer may see a partner's individual goals, check-ins and questionnaire
    scores (measures), and why."""

    goals: bool
    checkins: bool
    measures: bool = False
    consent: SharingConsent | None = None  # set when the access rests on the partner's consent

    @property
    def is_disclosure(self) -> bool:
        return self.consent is not None


NO_ACCESS = IndividualItemsAccess(goals=False, checkins=False)
ALL_ACCESS = IndividualItemsAccess(goals=True, checkins=True, measures=True)


def individual_items_access(*, viewer: User, owner: Partner) -> IndividualItemsAccess:
    """The partner themself always; on their care team, the clinicians whose role covers
    them (the couples therapist, their own individual therapist, counselor or medical
    provider: CareCoverage), never the other partner's; the other partner only under an
    active consent (checked on every call, so a revocation counts from the next request)."""
    return individual_items_access_for_partners(viewer=viewer, partners=[owner])[owner.pk]


def individual_items_access_for_partners(
    *, viewer: User, partners: list[Partner]
) -> dict[int, IndividualItemsAccess]:
    """partner id -> individual_items_access, for the partners of one couple, with the
    care-team check read once for them all."""
    result = {}
    coverage = None
    for owner in partners:
        if owner.user_id == viewer.pk:
            result[owner.pk] = ALL_ACCESS
            continue
        if coverage is None:
            coverage = (
                care_coverage_for(user=viewer, couple_id=owner.couple_id)
                if Role.CLINICIAN in roles_for_user(viewer)
                else NO_COVERAGE
            )
        if coverage.covers(owner.pk):
            result[owner.pk] = ALL_ACCESS
            continue
        if Role.PARTNER not in roles_for_user(viewer):
            result[owner.pk] = NO_ACCESS  # only the other partner can hold a consent
            continue
        consent = consent_active_for(partner=owner)
        if consent is None or consent.recipient.user_id != viewer.pk:
            result[owner.pk] = NO_ACCESS
        else:
            result[owner.pk] = IndividualItemsAccess(
                goals=consent.shares_goals,
                checkins=consent.shares_checkins,
                measures=consent.shares_measures,
                consent=consent,
            )
    return result


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
    return consent_overviews_for_partners(partners=[partner], today=today)[partner.pk]


def consent_overviews_for_partners(
    *, partners: list[Partner], today: datetime.date | None = None
) -> dict[int, ConsentOverview]:
    """partner id -> its current consent status and every grant with its state, for the
    partners of one couple: one query. "Today" is the couple's, as in consent_active_for."""
    if not partners:
        return {}
    today = today or couple_today(couple=partners[0].couple)
    consents = (
        SharingConsent.objects.filter(partner__in=partners)
        .select_related("recipient__user", "granted_by", "revoked_by")
        .order_by("-granted_at", "-pk")
    )
    histories: dict[int, list[ConsentStatus]] = {partner.pk: [] for partner in partners}
    for consent in consents:
        histories[consent.partner_id].append(consent_status_of(consent, today=today))
    return {
        pk: ConsentOverview(
            status=history[0] if history else ConsentStatus(ConsentStatus.NONE), history=history
        )
        for pk, history in histories.items()
    }


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
        # The partner's own doings are left out, except the copies of their record they took
        # (records.services_export), which the accounting of disclosures lists.
        .exclude(Q(actor_id=partner.user_id) & ~Q(detail__has_key="export"))
        .select_related("actor__clinician")
        .order_by("-at")
    )


# The audit actions a patient's accounting lists, in the patient's words.
RECORD_ACCESS_WORDS = {
    AuditEvent.Action.READ: "Opened my record",
    AuditEvent.Action.DISCLOSE: "Saw what I share",
    AuditEvent.Action.EXPORT: "Exported my record",
}


def _record_access_words(event: AuditEvent) -> str:
    if event.action == AuditEvent.Action.DISCLOSE and event.detail.get("export"):
        return "Downloaded a copy of my record"
    # A release to someone outside the clinic (records.services) names its recipient.
    if event.action == AuditEvent.Action.DISCLOSE and event.detail.get("to"):
        return "Released my record"
    return RECORD_ACCESS_WORDS.get(event.action, event.get_action_display())


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
        if actor is not None and actor.pk == partner.user_id:
            who, role = "You", "Your own copy"
        elif actor is not None and actor.pk in others:
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
                what=_record_access_words(event),
                detail=event.detail.get("what", ""),
            )
        )
    return rows
