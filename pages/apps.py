from django.apps import AppConfig


class PagesConfig(AppConfig):
    """The pages that compose several apps: the portal home, the caseload, the couple page,
    the clinician's digest and the health check. Nothing below imports this app."""

    name = "pages"
    verbose_name = "Pages"
