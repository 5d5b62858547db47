import datetime
import logging

from celery import current_app, shared_task
from django.utils import timezone
from kombu.exceptions import ChannelError

from couples import notifications, services
from couples.models import User

logger = logging.getLogger(__name__)


# An invitation that meets a mail outage is tried again, 1, 2, 4 … then every 30 minutes,
# for about a day; its link stays valid for days. The retry waits in the broker (acknowledged
# late, so a worker that dies with it gives it back) rather than in the outbox, which keeps
# no row for an invitation: the link is a password-setting token and is never stored.
INVITATION_RETRY_MAX_SECONDS = 30 * 60
INVITATION_RETRIES = 52


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def invitation_email_send_task(self, *, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return
    try:
        services.invitation_email_send(user=user)
    except Exception as error:
        if not notifications.is_temporary(error) or self.request.retries >= INVITATION_RETRIES:
            raise
        logger.warning("The invitation to user %s met a mail outage (%s): later", user_id, error)
        countdown = min(60 * 2**self.request.retries, INVITATION_RETRY_MAX_SECONDS)
        raise self.retry(countdown=countdown) from error


@shared_task
def sessions_clear_expired_task() -> int:
    return services.sessions_clear_expired()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=notifications.SEND_SOFT_TIME_LIMIT,
    time_limit=notifications.SEND_TIME_LIMIT,
)
def notification_send_task(*, notification_id: int) -> None:
    """Send one outbox row; the row decides whether anything happens (see notifications/).
    Kept for tasks published before chunks existed; a retry is the tick's to dispatch."""
    notifications.notification_send(notification_id=notification_id)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=notifications.SEND_SOFT_TIME_LIMIT,
    time_limit=notifications.SEND_TIME_LIMIT,
)
def notification_batch_send_task(*, notification_ids: list[int]) -> None:
    """Send a chunk of outbox rows, one by one. A row to be tried again gets a later
    `next_attempt_at` and the tick dispatches it then (no countdown task, which a killed
    worker or a restarted broker would lose). A chunk redelivered after a crash sends only
    the rows still queued."""
    notifications.notifications_send(notification_ids=notification_ids)


@shared_task
def notifications_tick_task() -> int:
    return notifications_tick()


@shared_task
def notifications_dispatch_task() -> int:
    return notifications_tick(plan=False)


def notifications_tick(*, now: datetime.datetime | None = None, plan: bool = True) -> int:
    """One beat tick: plan what has fallen due (every minute), give back stale claims and hand
    due rows to workers in chunks (every 15 seconds; the outbox itself is
    couples/notifications/, this is where it meets Celery)."""
    now = now or timezone.now()
    if plan:
        notifications.notifications_plan(now=now)
    notifications.notifications_rescue(now=now)
    waiting = broker_waiting()
    return notifications.notifications_dispatch(
        now=now,
        send=lambda ids: notification_batch_send_task.delay(notification_ids=ids),
        lease=notifications.DISPATCH_LEASE_IDLE if waiting == 0 else notifications.DISPATCH_LEASE,
    )


def broker_waiting() -> int | None:
    """Tasks waiting in the broker's default queue for a worker (None: it cannot tell)."""
    app = current_app
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            declared = connection.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True
            )
            return declared.message_count
    except ChannelError:
        return 0  # Redis keeps no key for an empty queue: "no such queue" means none waiting.
    except Exception:
        logger.warning("the broker's queue could not be measured", exc_info=True)
        return None
