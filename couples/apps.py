from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CouplesConfig(AppConfig):
    name = "couples"
    verbose_name = "Couples and care teams"

    def ready(self):
        # Each app registers its message kinds in <app>/notifications.py.
        autodiscover_modules("notifications")
        # The clinician's digest composes goals and sessions, as the caseload page does, so it
        # lives beside the pages rather than in the core's couples/notifications.py.
        from couples import digest  # noqa: F401
