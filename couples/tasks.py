import datetime

from celery import shared_task
from django.utils import timezone

from couples import notifications, services
from couples.models import User


@shared_task
def invitation_email_send_task(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        services.invitation_email_send(user=user)


@shared_task
def sessions_clear_expired_task() -> int:
    return services.sessions_clear_expired()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def notification_send_task(self, *, notification_id: int) -> None:
    """Send one outbox row; the row decides whether anything happens (see notifications.py)."""
    retry_in = notifications.notification_send(notification_id=notification_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def notification_batch_send_task(*, notification_ids: list[int]) -> None:
    """Send a chunk of outbox rows, one by one; a row that wants a retry gets its own task.
    A chunk redelivered after a crash sends only the rows still queued."""
    retries = notifications.notifications_send(notification_ids=notification_ids)
    for notification_id, retry_in in retries.items():
        notification_send_task.apply_async(
            kwargs={"notification_id": notification_id}, countdown=retry_in
        )


@shared_task
def notifications_tick_task() -> int:
    return notifications_tick()


def notifications_tick(*, now: datetime.datetime | None = None) -> int:
    """One beat tick: plan what has fallen due, rescue stale claims, hand due rows to workers
    in chunks (the outbox itself is couples/notifications/; this is where it meets Celery)."""
    now = now or timezone.now()
    notifications.notifications_plan(now=now)
    notifications.notifications_rescue(now=now)
    return notifications.notifications_dispatch(
        now=now, send=lambda ids: notification_batch_send_task.delay(notification_ids=ids)
    )
