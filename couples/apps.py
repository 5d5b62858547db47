from importlib import import_module

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CouplesConfig(AppConfig):
    name = "couples"
    verbose_name = "Couples and care teams"

    def ready(self):
        # Each app registers its message kinds in <app>/notifications.py (the clinician's
        # digest, which composes goals and sessions, in pages/notifications.py).
        autodiscover_modules("notifications")
        # Audit rows for what allauth reports only by signal (a refused second factor).
        import_module("couples.receivers")
