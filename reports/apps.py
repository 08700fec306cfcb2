from django.apps import AppConfig


class _Median:
    """SQLite's ``psn_median`` aggregate (PostgreSQL uses percentile_cont; see reports.metrics.Median)."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        if not self.values:
            return None
        ordered = sorted(self.values)
        middle = len(ordered) // 2
        return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("psn_median", 1, _Median)


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_register_sqlite_functions, dispatch_uid="reports_sqlite_median")
