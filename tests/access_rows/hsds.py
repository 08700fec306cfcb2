"""HSDS import and export (issue 4, items 5, 6 and 8): coordinators only, pages and API.

Every other member of the task force gets a 403 (audited); another task force's import is a 404 for everyone
acting in this one. ``own_import`` is a finished import (not a preview), so confirming it is refused with a
400 that changes nothing; posting the upload form or the API without a file is a 400 too.
"""

from __future__ import annotations

from partners.models import Contact, DirectoryImport, Location, Partner, Service

from . import GET, LOGIN, PICK, POST, Target, pk_of

# fmt: off
ROWS = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("hsds:index"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("hsds:index", data={"dry_run": "on"}):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    GET("hsds:export_json"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("hsds:export_zip"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("hsds:import_detail", "own_import"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("hsds:import_detail", "other_task_force_import"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("hsds:import_status", "own_import"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("hsds:import_status", "other_task_force_import"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("hsds:import_confirm", "own_import"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    404,    400,    LOGIN,  PICK,   403),
    POST("hsds:import_confirm", "other_task_force_import"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    400,    404,    LOGIN,  PICK,   404),
    # API
    GET("hsds-export"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    GET("hsds-import-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    POST("hsds-import-list", data={"dry_run": True}):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    GET("hsds-import-detail", "own_import"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("hsds-import-detail", "other_task_force_import"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("hsds-import-confirm", "own_import"):
        (401,    403,    403,    403,    403,    403,    403,    400,    404,    400,    401,    403,    403),
    POST("hsds-import-confirm", "other_task_force_import"):
        (401,    404,    404,    404,    404,    404,    404,    404,    400,    404,    401,    403,    404),
}
# fmt: on

TARGETS = {
    "own_import": Target(pk_of("own_import"), "wdt"),
    "other_task_force_import": Target(pk_of("other_task_force_import"), "edt"),
}


def _finished_import(task_force, user) -> DirectoryImport:
    return DirectoryImport.objects.create(
        task_force=task_force,
        created_by=user,
        original_name="directory.json",
        file_format="json",
        size=100,
        status="done",
        progress=100,
        summary={"organization": {"created": 1, "updated": 0, "unchanged": 0}},
    )


def build_objects(world) -> dict:
    return {
        "own_import": _finished_import(world.tf, world.user("coordinator")),
        "other_task_force_import": _finished_import(world.other_tf, world.user("foreign_coordinator")),
    }


COUNTS = {
    "hsds: partners": lambda: Partner.objects.count(),
    "hsds: services": lambda: Service.objects.count(),
    "hsds: locations": lambda: Location.objects.count(),
    "hsds: contacts": lambda: Contact.objects.count(),
    "hsds: directory imports": lambda: DirectoryImport.objects.count(),
}
