"""Data governance (issue 10, retention and legal holds): the retention schedule, the dry run, the purge runs and the
legal holds, pages and API, for coordinators (and site admins) only. Everyone else in the task force gets a 403
(audited); another task force's hold is a 404 for everyone acting here. ``own_hold`` is an active hold on a person
of this task force, ``other_task_force_hold`` one of the foreign task force. ``R-GOV-000001`` is a referral of this
task force only: holding it from the other task force is a 400 (no such referral there). A bad schedule (audit
events under a year) or a hold on an unknown record is a 400 that changes nothing."""

from __future__ import annotations

from governance import services
from governance.models import LegalHold, RetentionSchedule
from psn.access import actor_for
from tests.factories import PersonFactory, ReferralFactory

from . import GET, LOGIN, PATCH, PICK, POST, PUT, Redirect, Target, pk_of

RETENTION = Redirect("/governance/")
HOLDS = Redirect("/governance/holds/")
REFERENCE = "R-GOV-000001"
GOOD_SCHEDULE = {"referral_days": 900, "person_days": 900, "consent_days": 900, "audit_days": 400}
BAD_SCHEDULE = {"referral_days": 900, "person_days": 900, "consent_days": 900, "audit_days": 30}
HOLD = {"kind": "referral", "record": REFERENCE, "reason": "litigation"}
UNKNOWN_HOLD = {"kind": "referral", "record": "R-NONE", "reason": "litigation"}

# fmt: off
ROWS = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("governance:retention"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("governance:retention", data=GOOD_SCHEDULE):
        (LOGIN,  403,    403,    403,    403,    403,    403,    RETENTION, RETENTION, RETENTION, LOGIN, PICK,   403),
    POST("governance:retention", data=BAD_SCHEDULE):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    GET("governance:dry_run"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("governance:hold_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("governance:hold_place", data=HOLD):
        (LOGIN,  403,    403,    403,    403,    403,    403,    HOLDS,  400,    HOLDS,  LOGIN,  PICK,   403),
    POST("governance:hold_place", data=UNKNOWN_HOLD):
        (LOGIN,  403,    403,    403,    403,    403,    403,    400,    400,    400,    LOGIN,  PICK,   403),
    POST("governance:hold_release", "own_hold"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    HOLDS,  404,    HOLDS,  LOGIN,  PICK,   403),
    POST("governance:hold_release", "other_task_force_hold"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    HOLDS,  404,    LOGIN,  PICK,   404),
    # API
    GET("retention-schedule"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    PUT("retention-schedule", data=GOOD_SCHEDULE):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    PATCH("retention-schedule", data={"audit_days": 30}):
        (401,    403,    403,    403,    403,    403,    403,    400,    400,    400,    401,    403,    403),
    GET("retention-dry-run"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    GET("purge-run-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    GET("legal-hold-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    POST("legal-hold-list", data=HOLD):
        (401,    403,    403,    403,    403,    403,    403,    201,    400,    201,    401,    403,    403),
    POST("legal-hold-release", "own_hold"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    POST("legal-hold-release", "other_task_force_hold"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
}
# fmt: on

TARGETS = {
    "own_hold": Target(pk_of("own_hold"), "wdt"),
    "other_task_force_hold": Target(pk_of("other_task_force_hold"), "edt"),
}


def _hold(world, task_force, key: str) -> LegalHold:
    actor = actor_for(world.user(key), requested_slug=task_force.slug)
    held = PersonFactory(task_force=task_force)
    return services.hold_place(actor=actor, kind="person", record=str(held.pk), reason="subpoena")


def build_objects(world) -> dict:
    ReferralFactory(sending_partner=world.sending, receiving_partner=world.receiving, reference=REFERENCE)
    return {
        "own_hold": _hold(world, world.tf, "coordinator"),
        "other_task_force_hold": _hold(world, world.other_tf, "foreign_coordinator"),
    }


COUNTS = {
    "governance: holds": lambda: LegalHold.objects.count(),
    "governance: released holds": lambda: LegalHold.objects.exclude(released_at=None).count(),
    "governance: schedules": lambda: RetentionSchedule.objects.count(),
}
