"""Entry points for the copies partners take of their record (records.services_export)."""

from celery import shared_task

from records import services_export


@shared_task
def export_build_task(export_id: int) -> None:
    services_export.export_build(export_id=export_id)


@shared_task
def export_expire_task() -> int:
    return services_export.export_expire()
