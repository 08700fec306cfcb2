"""System checks of our own settings (``manage.py check``; the ``deploy`` ones with ``--deploy``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})  # noqa: S104 (a name, not a bind)


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """Links in emails start with PSN_SITE_URL: in production it must be the public HTTPS address, not the
    development default (mail would point people at their own machine)."""
    url = urlsplit(settings.PSN_SITE_URL)
    if url.scheme not in ("http", "https") or not url.hostname or url.path or url.query:
        return [
            checks.Warning(
                "PSN_SITE_URL is not a site address such as https://psn.example.org.",
                hint="Set PSN_SITE_URL to the scheme and host users reach the site at.",
                id="psn.W001",
            )
        ]
    if url.hostname in LOOPBACK_HOSTS or (settings.PSN_HTTPS and url.scheme != "https"):
        return [
            checks.Warning(
                f"PSN_SITE_URL is {settings.PSN_SITE_URL}: links in emails would not reach the site.",
                hint="Set PSN_SITE_URL to the public HTTPS address, e.g. https://psn.example.org.",
                id="psn.W002",
            )
        ]
    return []
