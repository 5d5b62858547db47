from celery import shared_task

from couples import services
from couples.models import User


@shared_task
def invitation_email_send_task(*, user_id: int) -> None:
    user = User.objects.filter(pk=user_id).first()
    if user is not None:
        services.invitation_email_send(user=user)


@shared_task
def sessions_clear_expired_task() -> int:
    return services.sessions_clear_expired()
