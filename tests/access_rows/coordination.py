"""Access rows: the coordinators' pages of the referrals area (the CSV export, the reason codes) and the reason
codes API.

Coordinators and site admins export the referral list and manage the reason codes of the task force they act in
(the other task force's coordinator manages theirs: a 200 or a redirect without a target, a 404 for a code of
ours); every other member gets a 403, audited. Every member reads the codes through the API; only coordinators
write them. A code of the other task force is a 404 for everyone acting here."""

from __future__ import annotations

from cases.models import ReasonCode, ReasonKind

from . import GET, LOGIN, PATCH, PICK, POST, Redirect, Target, pk_of

LIST = Redirect("/referrals/reason-codes/")
NEW_CODE = {"kind": ReasonKind.DECLINE, "code": "matrix-new", "label": "Matrix new code"}
RELABEL = {"label": "Matrix relabel", "position": "3"}

# fmt: off
ROWS: dict = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("cases:referral_export"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("cases:reason_code_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("cases:reason_code_create"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("cases:reason_code_create", data=NEW_CODE):
        (LOGIN,  403,    403,    403,    403,    403,    403,    LIST,   LIST,   LIST,   LOGIN,  PICK,   403),
    GET("cases:reason_code_edit", "coord_code"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    404,    200,    LOGIN,  PICK,   403),
    GET("cases:reason_code_edit", "coord_foreign_code"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    POST("cases:reason_code_edit", "coord_code", data=RELABEL):
        (LOGIN,  403,    403,    403,    403,    403,    403,    LIST,   404,    LIST,   LOGIN,  PICK,   403),
    POST("cases:reason_code_deactivate", "coord_code"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    LIST,   404,    LIST,   LOGIN,  PICK,   403),
    POST("cases:reason_code_deactivate", "coord_foreign_code"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    LIST,   404,    LOGIN,  PICK,   404),
    POST("cases:reason_code_reactivate", "coord_inactive_code"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    LIST,   404,    LIST,   LOGIN,  PICK,   403),
    # API
    GET("reason-code-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    POST("reason-code-list", data=NEW_CODE):
        (401,    403,    403,    403,    403,    403,    403,    201,    201,    201,    401,    403,    403),
    GET("reason-code-detail", "coord_code"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    200),
    GET("reason-code-detail", "coord_foreign_code"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    PATCH("reason-code-detail", "coord_code", data=RELABEL):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    PATCH("reason-code-detail", "coord_foreign_code", data=RELABEL):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    POST("reason-code-deactivate", "coord_code"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    POST("reason-code-reactivate", "coord_inactive_code"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
}
# fmt: on

TARGETS: dict[str, Target] = {
    "coord_code": Target(pk_of("coord_code"), "wdt"),
    "coord_inactive_code": Target(pk_of("coord_inactive_code"), "wdt"),
    "coord_foreign_code": Target(pk_of("coord_foreign_code"), "edt"),
}


def _code(task_force, code: str, *, active: bool = True) -> ReasonCode:
    return ReasonCode.objects.create(
        task_force=task_force, kind=ReasonKind.DECLINE, code=code, label=f"Matrix {code}", active=active
    )


def build_objects(world) -> dict:
    # A second active code of the kind in each task force: deactivating the target never hits the "last one" rule.
    _code(world.tf, "coord-sibling")
    _code(world.other_tf, "coord-sibling")
    return {
        "coord_code": _code(world.tf, "coord-target"),
        "coord_inactive_code": _code(world.tf, "coord-inactive", active=False),
        "coord_foreign_code": _code(world.other_tf, "coord-target"),
    }


COUNTS = {
    "reason codes": lambda: ReasonCode.objects.count(),
    "active reason codes": lambda: ReasonCode.objects.filter(active=True).count(),
    "relabelled reason codes": lambda: ReasonCode.objects.filter(label=RELABEL["label"]).count(),
}
