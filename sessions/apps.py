from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "sessions"
    # django.contrib.sessions already owns the label "sessions"; this label also
    # prefixes our table names, so it must never change.
    label = "therapy_sessions"
    verbose_name = "Therapy sessions"
