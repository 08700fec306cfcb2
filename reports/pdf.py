"""A report version as PDF (WeasyPrint): a cover (task force, month, version, generation date, which version), the
same sections, tables and charts as the page (``rendering.report_document``; the SVG charts embedded as they are),
the definitions, and "Page n of m" in the footer. Made from the numbers given only: no query.

Nothing is fetched while rendering: the only resources are the charts, inline as ``data:`` URLs.
"""

from __future__ import annotations

import logging

import weasyprint
from django.template.loader import render_to_string
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from weasyprint.urls import URLFetcher

from . import rendering

# WeasyPrint logs every step and page at INFO: a line per page of every report in the worker's log otherwise.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def css_string(text: str) -> str:
    """``text`` as a quoted CSS string, safe inside a <style> element (no quote, backslash or markup survives)."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '\\"<>&' or ord(char) < 0x20 or ord(char) == 0x7F else char for char in text
    )
    return f'"{escaped}"'


def _page_counter() -> str:
    """The footer's "Page n of m" as CSS ``content``, translated around WeasyPrint's page counters."""
    marker = "\x00"
    text = _("Page %(page)s of %(pages)s") % {"page": f"{marker}page{marker}", "pages": f"{marker}pages{marker}"}
    parts = text.split(marker)
    # parts alternate text, counter name, text, counter name, text.
    return " ".join(css_string(part) if index % 2 == 0 else f"counter({part})" for index, part in enumerate(parts))


def render(snapshot, numbers: dict) -> bytes:
    """The PDF of one version of a report (``numbers``: the snapshot's full or shared numbers)."""
    document = rendering.report_document(numbers)
    footer = _("%(task_force)s · %(month)s · version %(version)s") % {
        "task_force": document.task_force_name,
        "month": document.period_name,
        "version": document.version,
    }
    if document.shared:
        footer += " · " + _("shared version")
    context = {
        "document": document,
        "pdf": True,
        "language": get_language() or "en",
        "generated": formats.date_format(document.computed_at, "DATETIME_FORMAT") if document.computed_at else "",
        "timezone_name": numbers["meta"].get("timezone", ""),
        "footer_left": css_string(footer),
        "page_counter": _page_counter(),
    }
    html = render_to_string("reports/report_pdf.html", context)
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()
