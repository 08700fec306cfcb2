"""Directory management (issue 4, item 3): adding, editing, deactivating and reactivating partners and their
services, on the pages and through the API.

Coordinators create partners, change their kind, deactivate and reactivate them; a partner's admins edit it
and manage its services (``own_admin`` is the receiving partner's admin, the owner of ``own_partner`` and
``own_service``); everyone else in the task force gets a 403, another task force a 404. An inactive service
is found again only by its partner's admins and coordinators, so the others get a 404 for it, as on the
read pages.
"""

from __future__ import annotations

from django.utils.functional import lazy

from partners.models import Partner, Service
from psn.models import AuditEvent

from . import DELETE, GET, LOGIN, PATCH, PICK, POST, PUT, Target

EDITED = "Edited by the access matrix."
NEW_PARTNER = {"name": "Matrix Partner", "kind": "community"}
PARTNER_EDIT = {"name": "Workforce Center", "kind": "service_provider", "description": EDITED}
NEW_SERVICE = {"name": "Matrix service", "accepting_referrals": "on"}
SERVICE_EDIT = {"name": "Mentoring Circle", "description": EDITED}

# The API names the partner of a new service by id in the payload; the id is known once the world is built.
_IDS: dict[str, int] = {}
_receiving_id = lazy(lambda: str(_IDS["receiving"]), str)

# fmt: off
ROWS = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("partners:partner_create"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("partners:partner_create", data=NEW_PARTNER):
        (LOGIN,  403,    403,    403,    403,    403,    403,    302,    302,    302,    LOGIN,  PICK,   403),
    GET("partners:partner_edit", "own_partner"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("partners:partner_edit", "own_partner", data=PARTNER_EDIT):
        (LOGIN,  403,    403,    302,    403,    403,    403,    302,    404,    302,    LOGIN,  PICK,   403),
    GET("partners:partner_edit", "inactive_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("partners:partner_edit", "other_task_force_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("partners:partner_deactivate", "own_partner"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("partners:partner_deactivate", "own_partner"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    302,    404,    302,    LOGIN,  PICK,   403),
    GET("partners:partner_reactivate", "inactive_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("partners:partner_reactivate", "inactive_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    302,    404,    302,    LOGIN,  PICK,   404),
    GET("partners:service_create", "own_partner"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("partners:service_create", "own_partner", data=NEW_SERVICE):
        (LOGIN,  403,    403,    302,    403,    403,    403,    302,    404,    302,    LOGIN,  PICK,   403),
    GET("partners:service_edit", "own_service"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("partners:service_edit", "own_service", data=SERVICE_EDIT):
        (LOGIN,  403,    403,    302,    403,    403,    403,    302,    404,    302,    LOGIN,  PICK,   403),
    GET("partners:service_edit", "inactive_service"):
        (LOGIN,  404,    404,    200,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("partners:service_deactivate", "own_service"):
        (LOGIN,  403,    403,    200,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    POST("partners:service_deactivate", "own_service"):
        (LOGIN,  403,    403,    302,    403,    403,    403,    302,    404,    302,    LOGIN,  PICK,   403),
    GET("partners:service_reactivate", "inactive_service"):
        (LOGIN,  404,    404,    200,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    POST("partners:service_reactivate", "inactive_service"):
        (LOGIN,  404,    404,    302,    404,    404,    404,    302,    404,    302,    LOGIN,  PICK,   404),
    # API. A service's partner is in the payload: the foreign coordinator names a partner that does not
    # exist in their task force (400 "No such partner."); a member who administers no partner is refused
    # before the payload is read.
    POST("partner-list", data=NEW_PARTNER):
        (401,    403,    403,    403,    403,    403,    403,    201,    201,    201,    401,    403,    403),
    PUT("partner-detail", "own_partner", data=PARTNER_EDIT):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    PATCH("partner-detail", "own_partner", data={"description": EDITED}):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    DELETE("partner-detail", "any_partner_id"):
        (401,    405,    405,    405,    405,    405,    405,    405,    405,    405,    401,    403,    405),
    POST("partner-deactivate", "own_partner"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    POST("partner-reactivate", "inactive_partner"):
        (401,    404,    404,    404,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    POST("service-list", data={"partner": _receiving_id(), "name": "Matrix service"}):
        (401,    403,    403,    201,    403,    403,    403,    201,    400,    201,    401,    403,    403),
    PUT("service-detail", "own_service", data=SERVICE_EDIT):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    PATCH("service-detail", "own_service", data={"description": EDITED}):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    DELETE("service-detail", "any_service_id"):
        (401,    405,    405,    405,    405,    405,    405,    405,    405,    405,    401,    403,    405),
    POST("service-deactivate", "own_service"):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    POST("service-reactivate", "inactive_service"):
        (401,    404,    404,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    # The audit trail's CSV export (issue 9): whoever reads the trail (coordinators, site admins), of the task
    # force they act in; without dates, the last 30 days.
    GET("audit_export"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("audit-event-export"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
}
# fmt: on

TARGETS = {
    # DELETE is refused for its method (405) before any object is looked up, so the answer says nothing
    # about whose the object is: these targets belong to no task force in the table's sense.
    "any_partner_id": Target(lambda mw, user: {"pk": mw.world.receiving.pk}, None),
    "any_service_id": Target(lambda mw, user: {"pk": mw.objects["own_service"].pk}, None),
}


def build_objects(world) -> dict:
    _IDS["receiving"] = world.receiving.pk
    return {}


COUNTS = {
    "partners": lambda: Partner.objects.count(),
    "services": lambda: Service.objects.count(),
    "inactive partners": lambda: Partner.objects.filter(active=False).count(),
    "inactive services": lambda: Service.objects.filter(active=False).count(),
    "partners edited by the matrix": lambda: Partner.objects.filter(description=EDITED).count(),
    "services edited by the matrix": lambda: Service.objects.filter(description=EDITED).count(),
    "directory audit events": lambda: AuditEvent.objects.filter(
        object_type__in=["partners.partner", "partners.service"]
    ).count(),
}
