import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("couples_rehab")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task lives here, each with a sentence saying when it runs.
app.conf.beat_schedule = {
    # Every five minutes: delete expired sessions so logged-off sessions leave no data behind.
    "clear-expired-sessions": {
        "task": "couples.tasks.sessions_clear_expired_task",
        "schedule": 300.0,
    },
    # Every hour: verified coverage whose plan has ended becomes "expired" (idempotent).
    "expire-ended-coverage": {
        "task": "insurance.tasks.coverages_expire_task",
        "schedule": 3600.0,
    },
}
