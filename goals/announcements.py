"""A goal's two-party steps, announced to the others they concern (issue 20):

- a shared goal proposed: the other partner (both, when a clinician proposed it), one tap from
  the goal's page where Agree is;
- a shared goal agreed by both, so active: both partners and the couples therapist;
- a change asked for: on a shared goal, the other partner and the couples therapist; on an
  individual goal, the clinicians whose role covers its partner (never the other partner);
- a shared milestone marked reached by one partner: the other, asked to mark it too;
- a goal achieved (a milestone reached by all its owners, or marked by a clinician): the
  partners it belongs to and the clinicians who would hear of its other steps, but not
  whoever achieved it.

The goal services queue them in the step's own transaction, due at once; quiet hours hold them
and each person's email and in-app settings apply, as for every kind. A row's key is the goal
(or the request) and the moment of the step, so a retried step adds nothing. Each check
withdraws a message no longer true when it is sent: the proposal agreed or withdrawn, the
request answered, the recipient off the couple or its care team, the couple discharged.

An email says only that a step happened to "a shared goal" or "a goal"; the in-app notice,
read behind the sign-in by the person it is for, names the goal and who took the step.
"""

import datetime

from django.db.models import Q
from django.urls import reverse

from couples.models import CareAssignment, Couple, Notification, Partner, User
from couples.notifications import (
    Draft,
    Kind,
    Message,
    Recipient,
    kind_register,
    notifications_create,
    object_pk,
    object_ref,
)
from couples.queries import care_coverage_for
from goals.models import Goal, GoalAcceptance, GoalChangeRequest, ProgressEntry

GOAL_PROPOSED = "goal_proposed"
GOAL_AGREED = "goal_agreed"
GOAL_CHANGE_REQUESTED = "goal_change_requested"
GOAL_REACHED = "goal_reached"
GOAL_ACHIEVED = "goal_achieved"
ANNOUNCEMENT_KINDS = (
    GOAL_PROPOSED,
    GOAL_AGREED,
    GOAL_CHANGE_REQUESTED,
    GOAL_REACHED,
    GOAL_ACHIEVED,
)
FINISHED = (Goal.Status.ACHIEVED, Goal.Status.CANCELLED)


# --- Who hears: queued by the goal services ------------------------------------------------------


def _partner_user_ids(couple_id: int) -> set[int]:
    return set(
        Partner.objects.filter(couple_id=couple_id, user__is_active=True).values_list(
            "user_id", flat=True
        )
    )


def _clinician_user_ids(couple_id: int, *, covering: int | None = None) -> set[int]:
    """The couple's current couples therapist and, with `covering`, the clinicians whose own
    role is for that partner (an individual therapist, counselor or medical provider)."""
    scope = Q(partner__isnull=True)
    if covering is not None:
        scope |= Q(partner_id=covering)
    return set(
        CareAssignment.objects.filter(
            scope, couple_id=couple_id, ended_at__isnull=True, clinician__user__is_active=True
        ).values_list("clinician__user_id", flat=True)
    )


def _queue(kind: str, user_ids: set[int], *, ref: str, at: datetime.datetime) -> int:
    return notifications_create(
        Draft(kind=kind, recipient_id=user_id, object_ref=ref, slot=at, due_at=at)
        for user_id in sorted(user_ids)
    )


def goal_proposed_announce(*, goal: Goal) -> int:
    """Everyone in the couple but whoever proposed the goal is asked to agree. One query."""
    others = _partner_user_ids(goal.couple_id) - {goal.created_by_id}
    return _queue(GOAL_PROPOSED, others, ref=object_ref(goal), at=goal.created_at)


def goal_agreed_announce(*, goal: Goal, at: datetime.datetime) -> int:
    """Both partners and the couples therapist: the goal is active from `at`. Two queries."""
    everyone = _partner_user_ids(goal.couple_id) | _clinician_user_ids(goal.couple_id)
    return _queue(GOAL_AGREED, everyone, ref=object_ref(goal), at=at)


def goal_change_requested_announce(*, change: GoalChangeRequest) -> int:
    """A shared goal's request: the other partner and the couples therapist. An individual
    goal's: only the clinicians who cover its partner. One or two queries."""
    goal = change.goal
    if goal.is_shared:
        others = _partner_user_ids(goal.couple_id) - {change.partner.user_id}
        concerned = others | _clinician_user_ids(goal.couple_id)
    else:
        concerned = _clinician_user_ids(goal.couple_id, covering=goal.partner_id)
    return _queue(GOAL_CHANGE_REQUESTED, concerned, ref=object_ref(change), at=change.created_at)


def goal_reached_announce(*, goal: Goal, entry: ProgressEntry) -> int:
    """A partner marked a shared milestone reached: the other partner is asked to mark it too
    (keyed by the entry's first save, so marking the same day again adds nothing). One query."""
    if not goal.is_shared:
        return 0
    others = _partner_user_ids(goal.couple_id) - {entry.partner.user_id}
    return _queue(GOAL_REACHED, others, ref=object_ref(goal), at=entry.created_at)


def goal_achieved_announce(*, goal: Goal, by: User | None, at: datetime.datetime) -> int:
    """Everyone the goal concerns but `by`: a shared goal's partners and couples therapist; an
    individual goal's partner and the clinicians covering them. Two queries."""
    if goal.is_shared:
        concerned = _partner_user_ids(goal.couple_id) | _clinician_user_ids(goal.couple_id)
    else:
        concerned = {goal.partner.user_id} | _clinician_user_ids(
            goal.couple_id, covering=goal.partner_id
        )
    if by is not None:
        concerned.discard(by.pk)
    return _queue(GOAL_ACHIEVED, concerned, ref=object_ref(goal), at=at)


# --- Still true when sent? -----------------------------------------------------------------------


def _goal(notification: Notification) -> Goal | None:
    return (
        Goal.objects.select_related("couple", "partner")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )


def _change(notification: Notification) -> GoalChangeRequest | None:
    return (
        GoalChangeRequest.objects.select_related("goal__couple", "partner__user")
        .filter(pk=object_pk(notification.object_ref))
        .first()
    )


def _unconcerned_reason(goal: Goal, recipient: Recipient) -> str:
    """Why the recipient is no longer someone this goal's steps are for ("" if they are): a
    partner of the couple (for a shared goal), or a clinician whose current role covers the
    goal (the couples therapist's every goal, another role's only its partner's). Up to two
    queries."""
    if goal.couple.status == Couple.Status.DISCHARGED:
        return "The couple was discharged"
    if goal.is_shared and goal.couple.partners.filter(user=recipient.user).exists():
        return ""
    if goal.partner is not None and goal.partner.user_id == recipient.user.pk:
        return ""  # an individual goal's own partner
    coverage = care_coverage_for(user=recipient.user, couple_id=goal.couple_id)
    if coverage.both or (goal.partner_id is not None and coverage.covers(goal.partner_id)):
        return ""
    return "No longer with this couple or on its care team"


def goal_proposed_check(notification: Notification, recipient: Recipient) -> str:
    """Up to three queries: the goal, the recipient in its couple, their agreement."""
    goal = _goal(notification)
    if goal is None or goal.status == Goal.Status.CANCELLED:
        return "The proposal was withdrawn"
    if goal.status != Goal.Status.PROPOSED:
        return "No longer waiting for agreement"
    reason = _unconcerned_reason(goal, recipient)
    if reason:
        return reason
    if GoalAcceptance.objects.filter(goal=goal, partner__user=recipient.user).exists():
        return "Agreed already"
    return ""


def goal_agreed_check(notification: Notification, recipient: Recipient) -> str:
    goal = _goal(notification)
    if goal is None or goal.status != Goal.Status.ACTIVE:
        return "The goal is no longer active"
    return _unconcerned_reason(goal, recipient)


def goal_change_requested_check(notification: Notification, recipient: Recipient) -> str:
    change = _change(notification)
    if change is None or change.resolved_at is not None:
        return "The request was answered"
    if change.goal.status in FINISHED:
        return "The goal has ended"
    return _unconcerned_reason(change.goal, recipient)


def goal_reached_check(notification: Notification, recipient: Recipient) -> str:
    """Up to four queries: the goal, the recipient in its couple, the marks of reaching it."""
    goal = _goal(notification)
    if goal is None or goal.status != Goal.Status.ACTIVE:
        return "The goal is no longer active"
    reason = _unconcerned_reason(goal, recipient)
    if reason:
        return reason
    marks = goal.progress_entries.filter(value=1)
    if marks.filter(partner__user=recipient.user).exists():
        return "Marked reached already"
    if not marks.exists():
        return "No longer marked reached"
    return ""


def goal_achieved_check(notification: Notification, recipient: Recipient) -> str:
    goal = _goal(notification)
    if goal is None or goal.status != Goal.Status.ACHIEVED:
        return "The goal is no longer achieved"
    return _unconcerned_reason(goal, recipient)


# --- What they say -------------------------------------------------------------------------------


def _partners(goal: Goal) -> list[Partner]:
    return list(goal.couple.partners.select_related("user"))


def _is_partner(partners: list[Partner], recipient: Recipient) -> bool:
    return any(partner.user_id == recipient.user.pk for partner in partners)


def _portal_link(goal: Goal, anchor: str = "") -> str:
    return reverse("goals:portal_goal_detail", args=[goal.pk]) + anchor


def _clinic_link(goal: Goal) -> str:
    return reverse("goals:clinic_goal_detail", args=[goal.pk])


def goal_proposed_message(notification: Notification, recipient: Recipient) -> Message:
    goal = _goal(notification)
    proposer = next((p for p in _partners(goal) if p.user_id == goal.created_by_id), None)
    who = "Your partner" if proposer is not None else "Your care team"
    return Message(
        subject=f"{who} proposed a shared goal",
        lines=[
            f"{who} proposed a goal for the two of you. It starts once you both agree: "
            "open it to agree, or to ask for a change."
        ],
        in_app_subject=(
            f"{proposer.display_name if proposer else who} proposed “{goal.title}”: "
            "agree or ask for a change"
        ),
        link=_portal_link(goal, "#agreement-heading"),
        action="Open the goal",
    )


def goal_agreed_message(notification: Notification, recipient: Recipient) -> Message:
    goal = _goal(notification)
    partners = _partners(goal)
    if _is_partner(partners, recipient):
        return Message(
            subject="You both agreed on a shared goal",
            lines=["You and your partner both agreed to a shared goal. It is active now."],
            in_app_subject=f"You both agreed: “{goal.title}” is active now",
            link=_portal_link(goal),
            action="Open the goal",
        )
    names = " and ".join(partner.display_name for partner in partners)
    return Message(
        subject="A couple agreed on a shared goal",
        lines=["Both partners of a couple on your caseload agreed to a shared goal."],
        in_app_subject=f"{names} agreed on “{goal.title}”: it is active now",
        link=_clinic_link(goal),
        action="Open the goal",
    )


def goal_change_requested_message(notification: Notification, recipient: Recipient) -> Message:
    change = _change(notification)
    goal = change.goal
    in_app = f"{change.partner.display_name} asked to change “{goal.title}”"
    if _is_partner(_partners(goal), recipient):
        return Message(
            subject="Your partner asked to change a shared goal",
            lines=[
                "Your partner asked for a change to a goal you share. "
                "Read what they asked, and talk it over together."
            ],
            in_app_subject=in_app,
            link=_portal_link(goal, "#agreement-heading"),
            action="Open the goal",
        )
    return Message(
        subject="A partner asked to change a goal",
        lines=["A partner on your caseload asked for a change to a goal."],
        in_app_subject=in_app,
        link=_clinic_link(goal),
        action="Open the goal",
    )


def goal_reached_message(notification: Notification, recipient: Recipient) -> Message:
    goal = _goal(notification)
    marked = goal.progress_entries.filter(value=1).select_related("partner__user").first()
    who = marked.partner.display_name if marked else "Your partner"
    return Message(
        subject="Your partner marked a shared goal reached",
        lines=[
            "Your partner marked a goal you share as reached. If you agree, mark it reached "
            "too: the goal is achieved once you both have."
        ],
        in_app_subject=f"{who} marked “{goal.title}” reached: mark it too if you agree",
        link=_portal_link(goal, "#progress-heading"),
        action="Open the goal",
    )


def goal_achieved_message(notification: Notification, recipient: Recipient) -> Message:
    goal = _goal(notification)
    partners = _partners(goal)
    if _is_partner(partners, recipient):
        return Message(
            subject="A goal is achieved",
            lines=["One of your goals is achieved now. Well done."],
            in_app_subject=f"“{goal.title}” is achieved. Well done",
            link=_portal_link(goal),
            action="Open the goal",
        )
    owners = partners if goal.is_shared else [goal.partner]
    names = " and ".join(partner.display_name for partner in owners)
    return Message(
        subject="A goal on your caseload is achieved",
        lines=["A goal of a couple on your caseload is achieved."],
        in_app_subject=f"{names}: “{goal.title}” is achieved",
        link=_clinic_link(goal),
        action="Open the goal",
    )


kind_register(
    Kind(
        name=GOAL_PROPOSED,
        label="Shared goal proposed",
        message=goal_proposed_message,
        check=goal_proposed_check,
        # The proposal waits as long as it takes; its check withdraws it once agreed.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
    )
)
kind_register(
    Kind(
        name=GOAL_AGREED,
        label="Shared goal agreed",
        message=goal_agreed_message,
        check=goal_agreed_check,
        # News that is stale after a couple of days: the goal's page says it anyway.
        lifetime=datetime.timedelta(days=2),
        expires_note="it was two days old",
    )
)
kind_register(
    Kind(
        name=GOAL_CHANGE_REQUESTED,
        label="Change to a goal asked for",
        message=goal_change_requested_message,
        check=goal_change_requested_check,
        # Open until someone answers it; its check withdraws it then.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
    )
)
kind_register(
    Kind(
        name=GOAL_REACHED,
        label="Shared goal marked reached",
        message=goal_reached_message,
        check=goal_reached_check,
        # It waits for the other partner's mark; its check withdraws it once made.
        lifetime=datetime.timedelta(days=7),
        expires_note="it was a week old",
    )
)
kind_register(
    Kind(
        name=GOAL_ACHIEVED,
        label="Goal achieved",
        message=goal_achieved_message,
        check=goal_achieved_check,
        lifetime=datetime.timedelta(days=2),
        expires_note="it was two days old",
    )
)
