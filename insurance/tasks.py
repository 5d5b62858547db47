from celery import shared_task
from django.utils import timezone

from insurance import services


@shared_task
def coverages_expire_task() -> int:
    return services.coverages_expire(today=timezone.localdate())
