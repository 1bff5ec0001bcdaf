from django.apps import AppConfig


class SiteConfig(AppConfig):
    """What is neither the floor (``lms.core``) nor one app's: the home page, the health
    checks, the workers' heartbeats and the demo seed, which read across the apps."""

    name = "lms.site"
    label = "site"
    verbose_name = "Site"
