from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self):
        # Register every app's tasks in every process (web, scripts, tests), not only in workers,
        # so tasks queued by name (tenants.dispatch, beat's fan-out) are always known.
        autodiscover_modules("tasks")
