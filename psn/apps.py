from django.apps import AppConfig


class PsnConfig(AppConfig):
    name = "psn"
    verbose_name = "PSN Hub"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system checks)
