"""The safety net against real processes: a partner answers the PHQ-9's safety question above
0, and the clinician covering them hears of it by email within a minute, in the middle of
their quiet hours, without a word about who or why.

A real Celery worker (prefork) on a private Redis, PostgreSQL, and a real SMTP server
(tests/delivery/smtpserver.py). This process plays beat's dispatch at its production cadence
(every 15 s) and dispatches once just before the answer, so the delay measured is the worst
case: a full dispatch interval, then the send.
"""

import datetime
import email
import time
from email import policy

import pytest
from django.utils import timezone

from config.celery_app import app as celery_app
from couples import services as couple_services
from couples.models import CareRole, Notification, NotificationPreference
from couples.notifications import quiet_until, recipient_for
from measures import services as measure_services
from tests.delivery.mailsink import SUFFIX
from tests.factories import ClinicianFactory, CoupleFactory, PartnerFactory
from triage.models import TriageItem
from triage.notifications import URGENT_ALERT

pytestmark = pytest.mark.delivery

DISPATCH_EVERY = celery_app.conf.beat_schedule["notifications-dispatch"]["schedule"]
HEALTH_WORDS = ("jordan", "phq", "suicid", "safety", "self-harm", "depress", "measure", "screen")


def quiet_hours_around_now() -> dict:
    """Quiet hours in UTC from an hour ago to an hour ahead (across midnight if need be)."""
    now = timezone.now().astimezone(datetime.UTC)
    hour = datetime.timedelta(hours=1)
    return {
        "time_zone": "UTC",
        "quiet_hours_start": (now - hour).time().replace(microsecond=0),
        "quiet_hours_end": (now + hour).time().replace(microsecond=0),
    }


def phq9_with_item_9(score: int) -> dict[str, int]:
    answers = {f"q{n}": 0 for n in range(1, 9)}
    answers["q9"] = score
    return answers


def test_a_positive_safety_answer_reaches_the_clinician_in_quiet_hours_within_a_minute(
    delivery, settings
):
    settings.CLINIC_ON_CALL_EMAIL = ""  # and no superuser: only the care team's alert
    smtp = delivery.smtp_server()
    jordan = PartnerFactory(couple=CoupleFactory(), user__first_name="Jordan")
    maya = ClinicianFactory(user__first_name="Maya")
    couple_services.care_team_assign(
        couple=jordan.couple, role=CareRole.COUPLES_THERAPIST, clinician=maya, by=None
    )
    NotificationPreference.objects.create(user=maya.user, **quiet_hours_around_now())
    delivery.start_worker()
    delivery.tick(plan=False)  # beat's last dispatch: the next one is a full interval away
    last_dispatch = time.monotonic()

    started = time.monotonic()
    response = measure_services.response_start(
        partner=jordan, instrument="phq9", due_on=None, by=jordan.user
    )
    measure_services.response_complete(
        response=response, answers=phq9_with_item_9(1), by=jordan.user
    )

    def delivered() -> bool:
        nonlocal last_dispatch
        if time.monotonic() - last_dispatch >= DISPATCH_EVERY:
            delivery.tick(plan=False)
            last_dispatch = time.monotonic()
        # The mail server keeps the message a moment before the worker marks the row sent.
        return (
            smtp.kept >= 1
            and Notification.objects.filter(
                kind=URGENT_ALERT, status=Notification.Status.SENT
            ).exists()
        )

    delivery.wait_for(delivered, timeout=60, what="the alert to reach the mail server")
    elapsed = time.monotonic() - started
    print(f"safety alert delivered {elapsed:.1f} s after the answer")  # -s shows it

    assert elapsed < 60
    item = TriageItem.objects.get()
    assert (item.kind, item.severity) == (TriageItem.Kind.SAFETY, TriageItem.Severity.URGENT)
    row = Notification.objects.get(kind=URGENT_ALERT)
    assert (row.recipient_id, row.status, row.emailed) == (
        maya.user_id,
        Notification.Status.SENT,
        True,
    )
    assert quiet_until(recipient_for(maya.user), row.sent_at) is not None  # sent in them
    (path,) = delivery.sink.glob(f"*{SUFFIX}")
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == maya.user.email
    assert message["Subject"] == "A patient needs your attention"
    texts = [message["Subject"], message["From"]]
    texts += [
        part.get_content() for part in message.walk() if part.get_content_maintype() == "text"
    ]
    assert len(texts) == 4  # subject, sender, the plain and the HTML body
    for text in texts:
        assert not [word for word in HEALTH_WORDS if word in text.lower()], text
