"""The file renderers a report build uses beyond the CSV (the PDF), by name."""

from __future__ import annotations


def renderers() -> dict:
    return {}
