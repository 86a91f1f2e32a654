from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "apps.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        # Registers clients.birthday_reminders with Celery (beat fans it out to every company).
        from apps.clients import birthdays  # noqa: F401
        from apps.clients.segments import tasks  # noqa: F401
