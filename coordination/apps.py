from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Coordination")

    def ready(self):
        # Both connect receivers to Django's auth signals: the security log, and the idle session's clock.
        from . import middleware, security  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin with the site that asks for the second factor (coordination.admin_site)."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin; "coordination" stays CoordinationConfig
    default_site = "coordination.admin_site.AdminSite"
