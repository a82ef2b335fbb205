from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        # Both connect receivers to Django's auth signals: the security log, and the idle session's clock.
        from . import middleware, security  # noqa: F401
