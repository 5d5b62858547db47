from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class NotesConfig(AppConfig):
    name = "notes"
    verbose_name = "Session notes"

    def ready(self):
        if settings.NOTE_FORMAT not in ("DAP", "SOAP", "BIRP"):
            raise ImproperlyConfigured("NOTE_FORMAT must be DAP, SOAP or BIRP.")
