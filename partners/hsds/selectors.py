"""Reads of HSDS imports: scoped to the task force through psn.access (another task force's import is a 404),
and only for those who may import (a 403, audited)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from partners.models import DirectoryImport
from psn import access

DENIED = "Only coordinators can import and export the directory."


def require_importer(actor: access.Actor) -> None:
    access.require(access.can_import_directory(actor), _(DENIED))


def directory_import_list_for(*, actor: access.Actor) -> QuerySet[DirectoryImport]:
    require_importer(actor)
    # The report (problems) can be long: lists leave it out.
    return (
        access.directory_imports_of_task_force(actor)
        .select_related("created_by")
        .defer("problems")
        .order_by("-created_at", "-pk")
    )


def directory_import_get_for(*, actor: access.Actor, pk: int) -> DirectoryImport:
    directory_import = get_object_or_404(
        access.directory_imports_of_task_force(actor).select_related("created_by"), pk=pk
    )
    require_importer(actor)
    return directory_import
