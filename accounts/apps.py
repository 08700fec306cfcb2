from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from . import schema, signals  # noqa: F401  (OpenAPI auth schemes; security events into the audit trail)
