import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("couples_rehab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_database_connections(sender=None, **kwargs):
    """As Django does around a request: drop a connection that broke or outlived
    CONN_MAX_AGE, since connections are reused across tasks (CELERY_DB_REUSE_MAX).
    Never for an eager task, which runs inside its caller's transaction."""
    if not getattr(sender.request, "is_eager", False):
        close_old_connections()


# Every periodic task lives here, each with a sentence saying when it runs.
app.conf.beat_schedule = {
    # Every minute: write the notifications that have fallen due and hand them to workers.
    "notifications-tick": {
        "task": "couples.tasks.notifications_tick_task",
        "schedule": 60.0,
    },
    # Every 15 seconds: hand out the rows whose retry has come or whose worker or broker lost
    # them (no planning; a tick missed while the broker was down is made up by the next).
    "notifications-dispatch": {
        "task": "couples.tasks.notifications_dispatch_task",
        "schedule": 15.0,
    },
    # Every five minutes: delete expired sessions so logged-off sessions leave no data behind.
    "clear-expired-sessions": {
        "task": "couples.tasks.sessions_clear_expired_task",
        "schedule": 300.0,
    },
    # Every five minutes: the work queue follows what is true now (a partner silent for
    # days, short of IOP hours, a request waiting): items raised, items whose cause ended.
    "triage-sweep": {
        "task": "triage.tasks.triage_sweep_task",
        "schedule": 300.0,
    },
    # Every hour: verified coverage whose plan has ended becomes "expired" (idempotent).
    "expire-ended-coverage": {
        "task": "insurance.tasks.coverages_expire_task",
        "schedule": 3600.0,
    },
    # Every hour: clear the files of partners' record copies once their day is over (the
    # download already refuses them from that moment; a health record should not sit in the
    # database a day longer than promised), and fail copies lost by a worker.
    "expire-record-exports": {
        "task": "records.tasks.export_expire_task",
        "schedule": 3600.0,
    },
}
