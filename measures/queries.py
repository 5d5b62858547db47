"""Reading measures. Every read takes the user: a partner reads their own measures, and the
other partner's completed ones while that partner's consent in force shares their
questionnaire scores (couples.queries.individual_items_access, as for goals and check-ins;
each read a disclosure in the sharer's accounting); on the care team, the clinicians whose
role covers that partner (couples.queries.CareCoverage), never the other partner's own
therapist. Anyone else gets an audited 404."""

import datetime
from collections import defaultdict

from django.db.models import Q
from django.http import Http404, HttpRequest

from audit.services import access_denied_record
from couples.models import Partner, SharingConsent, User
from couples.queries import care_coverage_for, individual_items_access
from couples.roles import Role, roles_for_user
from measures.instruments import INSTRUMENTS
from measures.models import MeasureResponse, MeasureSchedule
from measures.schedule import Due, occurrence_on_or_before, overdue_from

# What a consent shares: the questionnaires a partner fills themself. The C-SSRS screen is a
# question for the care team, not shown back even to the partner who answered it.
SHAREABLE_CODES = frozenset(code for code, i in INSTRUMENTS.items() if i.self_report)


def may_read(*, user: User, partner: Partner) -> bool:
    """Whether `user` may read this partner's measures: the partner themself, the clinicians
    whose role covers them (one query for a clinician), and the other partner while the
    partner's consent shares their scores (the completed ones of SHAREABLE_CODES only;
    checked on every call, so a revocation or an expiry counts from the next request)."""
    if partner.user_id == user.pk:
        return True
    if care_coverage_for(user=user, couple_id=partner.couple_id).covers(partner.pk):
        return True
    return shared_by_consent(user=user, partner=partner) is not None


def shared_by_consent(*, user: User, partner: Partner) -> SharingConsent | None:
    """The partner's consent in force under which `user`, the other partner, reads their
    completed measures; None for anyone else (the partner themself and their clinicians
    read them without one). One query for a partner, none for anyone else."""
    if partner.user_id == user.pk or Role.PARTNER not in roles_for_user(user):
        return None
    access = individual_items_access(viewer=user, owner=partner)
    return access.consent if access.measures and access.is_disclosure else None


def response_get_for_user(
    *, user: User, pk: int, request: HttpRequest | None = None
) -> MeasureResponse:
    """A response this user may read, or an audited 404 as if it did not exist. The other
    partner, under consent, reads completed ones only: one being filled is not a score."""
    response = (
        MeasureResponse.objects.select_related("partner__user", "partner__couple", "entered_by")
        .filter(pk=pk)
        .first()
    )
    if response is None or not _may_read_response(user=user, response=response):
        access_denied_record(
            user=user, request=request, target_type="measures.MeasureResponse", target_id=pk
        )
        raise Http404("No such measure.")
    return response


def _may_read_response(*, user: User, response: MeasureResponse) -> bool:
    partner = response.partner
    if partner.user_id == user.pk:
        return True
    if care_coverage_for(user=user, couple_id=partner.couple_id).covers(partner.pk):
        return True
    return (
        response.status == MeasureResponse.Status.COMPLETED
        and response.instrument in SHAREABLE_CODES
        and shared_by_consent(user=user, partner=partner) is not None
    )


def schedules_current_for_partners(*, partner_ids: list[int]) -> list[MeasureSchedule]:
    return list(
        MeasureSchedule.objects.filter(partner_id__in=partner_ids, ended_at__isnull=True)
        .select_related("set_by")
        .order_by("partner_id", "instrument")
    )


def due_for_partner(*, partner: Partner, today: datetime.date) -> list[Due]:
    """The measures the partner is asked to fill now, oldest first, each with the response
    already started for it. Two queries, however many schedules."""
    return due_for_partners(partner_ids=[partner.pk], today=today).get(partner.pk, [])


def due_for_partners(*, partner_ids: list[int], today: datetime.date) -> dict[int, list[Due]]:
    schedules = schedules_current_for_partners(partner_ids=partner_ids)
    occurrences = {}
    for schedule in schedules:
        due_on = occurrence_on_or_before(
            starts_on=schedule.starts_on, interval_days=schedule.interval_days, day=today
        )
        if due_on is not None:
            occurrences[(schedule.partner_id, schedule.instrument)] = (due_on, schedule)
    if not occurrences:
        return {}
    earliest = min(due_on for due_on, _ in occurrences.values())
    filled, started = set(), {}
    responses = MeasureResponse.objects.filter(
        Q(status=MeasureResponse.Status.IN_PROGRESS)
        | Q(completed_at__date__gte=earliest - datetime.timedelta(days=1)),
        partner_id__in=partner_ids,
    ).values_list("pk", "partner_id", "instrument", "status", "due_on", "completed_at", "answers")
    for pk, partner_id, instrument, status, due_on, completed_at, answers in responses:
        key = (partner_id, instrument)
        if key not in occurrences:
            continue
        occurrence = occurrences[key][0]
        if status == MeasureResponse.Status.IN_PROGRESS:
            started[key] = (pk, len(answers))
        elif due_on == occurrence or due_on is None and completed_at.date() >= occurrence:
            # Filled for this occurrence, or given in session since it fell due.
            filled.add(key)
    result: dict[int, list[Due]] = defaultdict(list)
    for key, (due_on, schedule) in sorted(occurrences.items(), key=lambda kv: kv[1][0]):
        if key in filled:
            continue
        pk, answered = started.get(key, (None, 0))
        result[key[0]].append(
            Due(
                instrument=key[1],
                due_on=due_on,
                overdue=today >= overdue_from(due_on=due_on, interval_days=schedule.interval_days),
                started_pk=pk,
                answered=answered,
            )
        )
    return dict(result)


def completed_for_partners(
    *, partner_ids: list[int], since: datetime.date | None = None
) -> dict[int, list[MeasureResponse]]:
    """partner id -> their completed responses, oldest first (for trends). One query. The
    caller has checked access for each partner."""
    rows = MeasureResponse.objects.filter(
        partner_id__in=partner_ids, status=MeasureResponse.Status.COMPLETED
    ).defer("answers")
    if since is not None:
        rows = rows.filter(completed_at__date__gte=since)
    result: dict[int, list[MeasureResponse]] = defaultdict(list)
    for response in rows.order_by("completed_at", "pk"):
        result[response.partner_id].append(response)
    return dict(result)


def completed_with_enterers_for_partners(
    *, partner_ids: list[int]
) -> dict[int, list[MeasureResponse]]:
    """completed_for_partners with the clinician who entered each one given in session, for
    the care team's trends. One query. The caller has checked access for each partner."""
    rows = (
        MeasureResponse.objects.filter(
            partner_id__in=partner_ids, status=MeasureResponse.Status.COMPLETED
        )
        .defer("answers")
        .select_related("entered_by")
        .order_by("completed_at", "pk")
    )
    result: dict[int, list[MeasureResponse]] = defaultdict(list)
    for response in rows:
        result[response.partner_id].append(response)
    return dict(result)


def follow_ups_for_response(*, response: MeasureResponse) -> list[MeasureResponse]:
    """The C-SSRS screens given after this PHQ-9, oldest first. One query."""
    return list(response.follow_ups.select_related("entered_by").order_by("started_at", "pk"))
