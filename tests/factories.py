import datetime

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from couples.models import Clinician, Couple, Notification, Partner, User
from goals.models import CheckIn, GoalAcceptance, ProgressEntry
from sessions.models import MULTI_COUPLE_KINDS, Attendance, TherapySession

PASSWORD = "a-long-test-passphrase-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    # Made-up names that never collide with the names tests choose (a Faker surname such as
    # "Quinn" once made "another couple's name is not shown" assertions fail at random).
    first_name = factory.Sequence(lambda n: f"Firstname{n}")
    last_name = factory.Sequence(lambda n: f"Lastname{n}")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(user, create, extracted, **kwargs):
        # allauth requires a verified address before anyone signs in.
        if create and extracted is not False:
            EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)


class StaffUserFactory(UserFactory):
    is_staff = True
    is_superuser = True


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    user = factory.SubFactory(UserFactory)
    credentials = "LMFT"
    can_be_couples_therapist = True


class CoupleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Couple

    status = Couple.Status.ACTIVE
    admitted_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner

    user = factory.SubFactory(UserFactory)
    couple = factory.SubFactory(CoupleFactory)
    sobriety_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class GoalFactory(factory.django.DjangoModelFactory):
    """An active shared goal by default; pass partner= for an individual one."""

    class Meta:
        model = "goals.Goal"

    couple = factory.SubFactory(CoupleFactory)
    partner = None
    category = "communication"
    title = factory.Sequence(lambda n: f"Goal {n}")
    measure = "yes_no"
    target = 5
    start_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    status = "active"
    created_by = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    """A notification already delivered in the app, as couples.notifications leaves it."""

    class Meta:
        model = Notification

    kind = "session_reminder_24h"
    recipient = factory.SubFactory(UserFactory)
    object_ref = factory.Sequence(lambda n: f"therapy_sessions.therapysession:{n}")
    slot = factory.LazyFunction(timezone.now)
    due_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.LazyFunction(timezone.now)
    status = Notification.Status.SENT
    sent_at = factory.LazyFunction(timezone.now)
    emailed = True
    in_app = True
    subject = factory.Sequence(lambda n: f"Session reminder {n}")
    link = "/portal/sessions/"


def outbox_row(
    recipient,
    *,
    due_at: datetime.datetime,
    status: str = Notification.Status.QUEUED,
    next_attempt_at: datetime.datetime | None = None,
    last_error: str = "",
    **fields,
) -> Notification:
    """An outbox row in any state, due at `due_at` (next attempt then unless given), for tests of
    the outbox's health and the admin's actions on it."""
    return NotificationFactory(
        kind=fields.pop("kind", "checkin_prompt"),
        recipient=recipient,
        object_ref=fields.pop("object_ref", f"couples.partner:{recipient.pk}"),
        slot=fields.pop("slot", due_at),
        due_at=due_at,
        next_attempt_at=next_attempt_at or due_at,
        status=status,
        last_error=last_error,
        sent_at=due_at if status == Notification.Status.SENT else None,
        emailed=status == Notification.Status.SENT,
        in_app=status == Notification.Status.SENT,
        subject="",
        link="",
        **fields,
    )


def goal_history(couple, *, days: int, today: datetime.date | None = None) -> list:
    """Goals of every measure, with `days` days of check-ins and daily progress by both partners.

    Written in bulk: history older than the 7-day edit window cannot go through the services.
    Partner one rates the shared rating goal 8, partner two 4, so the couple needs attention.
    Returns the shared goals, then each partner's own, then a proposed shared milestone.
    """
    today = today or timezone.localdate()
    start = today - datetime.timedelta(days=days - 1)
    partners = list(couple.partners.order_by("pk"))
    made = {"couple": couple, "created_by": partners[0].user, "start_on": start}
    shared = [
        GoalFactory(**made, measure="rating", target=8, title="How heard we felt"),
        GoalFactory(**made, measure="yes_no", target=5, title="Talk after dinner"),
    ]
    own = {p.pk: GoalFactory(**made, partner=p, measure="count", target=3) for p in partners}
    proposed = GoalFactory(
        **{**made, "start_on": today}, measure="milestone", target=None, status="proposed"
    )
    GoalAcceptance.objects.create(goal=proposed, partner=partners[0])
    checkins, entries = [], []
    for offset in range(days):
        day = start + datetime.timedelta(days=offset)
        for number, partner in enumerate(partners):
            checkins.append(
                CheckIn(
                    partner=partner,
                    day=day,
                    is_sober=True,
                    craving=2,
                    mood=3,
                    had_trust_discussion=offset % 2 == 0,
                    attended_meeting=offset % 3 == 0,
                    recorded_on=day,
                )
            )
            for goal in [*shared, own[partner.pk]]:
                value = {"rating": 8 - 4 * number, "yes_no": 1, "count": 1}[goal.measure]
                entries.append(
                    ProgressEntry(
                        goal=goal,
                        partner=partner,
                        day=day,
                        measure=goal.measure,
                        value=value,
                        recorded_on=day,
                    )
                )
    CheckIn.objects.bulk_create(checkins)
    ProgressEntry.objects.bulk_create(entries)
    return [*shared, *own.values(), proposed]


def session_written(
    clinician, partners, *, starts_at, kind, minutes, status=TherapySession.Status.SCHEDULED
) -> TherapySession:
    """A session with the partners' places, written straight to the tables so that a test can
    place it anywhere in time, whatever the scheduling rules would allow today. A kind that
    spans couples has no couple; otherwise it is the first partner's."""
    session = TherapySession.objects.create(
        kind=kind,
        clinician=clinician,
        couple=None if kind in MULTI_COUPLE_KINDS else partners[0].couple,
        starts_at=starts_at,
        # In UTC: across the clocks going back, wall-clock arithmetic would add an hour.
        ends_at=starts_at.astimezone(datetime.UTC) + datetime.timedelta(minutes=minutes),
        time_zone="America/New_York",
        status=status,
        created_by=clinician.user,
    )
    for partner in partners:
        Attendance.objects.create(session=session, partner=partner)
    return session
