"""Liveness and readiness probes (no login, no session, nothing confidential)."""

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .celery import app as celery_app


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_broker() -> str:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel  # noqa: B018  (opens the channel: Redis answers, the folder is writable)
    except Exception as exc:  # connection refused, timeout, unwritable folder: not ready
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _check_cache() -> str:
    """Redis, asked directly: the cache itself fails open (psn/cache.py), so reading through it would say "ok"."""
    client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client is None:  # a local-memory cache (the embedded run) cannot be down
        return "ok"
    try:
        client(write=True).ping()
    except Exception as exc:  # refused, timed out: the pages still answer, rate limits do not count
        return f"error: {exc.__class__.__name__}"
    return "ok"


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _check_database(), "broker": _check_broker(), "cache": _check_cache()}
    ready = all(value == "ok" for value in checks.values())
    failed = [name for name, value in checks.items() if value != "ok"]
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks, "failed": failed}, status=200 if ready else 503
    )
