from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TriageConfig(AppConfig):
    name = "triage"
    verbose_name = "Triage"

    def ready(self):
        # Each app registers the states that raise items in <app>/triage_rules.py.
        autodiscover_modules("triage_rules")
