from django.core.management.base import BaseCommand

from config.celery_app import app as celery_app
from couples.tasks import notifications_tick


class Command(BaseCommand):
    help = (
        "Run the notification tick once: plan what has fallen due and hand it to workers "
        "(what beat does every minute; for cron, or by hand)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", help="Publish the send tasks to this queue instead of the default one."
        )

    def handle(self, *args, **options):
        if options["queue"]:
            celery_app.conf.task_default_queue = options["queue"]
        dispatched = notifications_tick()
        self.stdout.write(f"{dispatched} notifications dispatched.")
