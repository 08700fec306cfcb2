"""Helpers of the people tests: people entered as a given user (with the derived fields the search reads) and
small files of each kind a signed consent form may be."""

from __future__ import annotations

import datetime

from django.utils import timezone

from cases.models import Person
from cases.people import _fill_derived

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def make_person(task_force, given: str, family: str, *, created_by=None, **fields) -> Person:
    """A person saved straight (no duplicate check), with the derived search fields filled as the service does."""
    person = Person(task_force=task_force, given_name=given, family_name=family, created_by=created_by, **fields)
    _fill_derived(person)
    person.save()
    return person


def today(task_force) -> datetime.date:
    return timezone.localdate(timezone=task_force.tzinfo)


def text(response) -> str:
    return response.content.decode()
