"""The access matrix: every page and API endpoint, for every kind of actor, with the answer it must get.

One row per request, one column per actor (DESIGN.md "People and roles", psn/access.py). Later issues add
their rows (and columns when a new kind of actor appears); a URL of our apps without a row fails
``test_every_url_of_our_apps_has_a_row``, so nothing ships without a declared outcome.

How to read a row:
- ``own`` is the receiving partner (the partner that owns the object), ``other`` the sending partner of the
  same task force, ``foreign`` a coordinator of another task force, who acts there. ``research`` is a member
  of the task force's research partner (issue 10): party to no referral and no meeting, it reads the
  directory and its own partner's research extracts.
- An object of another task force does not exist for the actor: 404, never 403. A missing right inside the
  task force is a 403. Not signed in: the login page (web) or 401 (API). Signed in with no task force to
  act in: the task-force picker (web) or a 403 "choose a task force" (API) that answers the same for
  every id, so it says nothing about any object.
- A deactivated account is signed out: it gets what the anonymous visitor gets.
"""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import ApiToken
from partners.models import Membership, PartnerKind, Role, TaskForce
from psn import audit
from psn.models import AuditEvent

from .access_rows import (
    ACTORS,
    GET,
    HOME,
    LOCKS,
    LOGIN,
    PICK,
    POST,
    PROF,
    MatrixWorld,
    Redirect,
    Req,
    Target,
    pk_of,
    row_modules,
)
from .conftest import login_client
from .factories import MembershipFactory, PartnerFactory, ServiceFactory, UserFactory

NEW_TF = {"name": "New District", "slug": "new-district", "timezone": "America/Chicago", "sla_business_days": 2}

# fmt: off
MATRIX: dict[Req, tuple] = {
    # request:
    #            own partner             other partner                           site    deacti-
    #    anon    member  staff   admin   member  staff   admin   coord   foreign admin   vated   nobody  research
    GET("home"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("task_force_choose"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  200,    200),
    POST("task_force_switch", data={"task_force": "wdt"}):
        (LOGIN,  HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   HOME,   PICK,   HOME,   LOGIN,  PICK,   HOME),
    GET("audit_list"):
        (LOGIN,  403,    403,    403,    403,    403,    403,    200,    200,    200,    LOGIN,  PICK,   403),
    GET("lockout_list"):
        (LOGIN,  403,    403,    200,    403,    403,    200,    200,    200,    200,    LOGIN,  PICK,   403),
    POST("lockout_release", "locked_user"):
        (LOGIN,  403,    403,    LOCKS,  403,    403,    403,    LOCKS,  404,    LOCKS,  LOGIN,  PICK,   403),
    # The directory: every member of the task force reads it; inactive partners and services only coordinators.
    GET("partners:partner_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("partners:partner_detail", "own_partner"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK,   200),
    GET("partners:partner_detail", "inactive_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("partners:partner_detail", "other_task_force_partner"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("partners:service_list"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  PICK,   200),
    GET("partners:service_detail", "own_service"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    404,    200,    LOGIN,  PICK,   200),
    GET("partners:service_detail", "inactive_service"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    200,    404,    200,    LOGIN,  PICK,   404),
    GET("partners:service_detail", "other_task_force_service"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    200,    404,    LOGIN,  PICK,   404),
    GET("profile"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  200,    200),
    POST("profile", data={"name": "nightly export", "expires_in_days": "30"}):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  200,    200),
    POST("token_revoke", "own_token"):
        (LOGIN,  PROF,   PROF,   PROF,   PROF,   PROF,   PROF,   PROF,   PROF,   PROF,   LOGIN,  PROF,   PROF),
    POST("token_revoke", "someone_elses_token"):
        (LOGIN,  404,    404,    404,    404,    404,    404,    404,    404,    404,    LOGIN,  404,    404),
    GET("session_status"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    POST("session_keepalive"):
        (LOGIN,  200,    200,    200,    200,    200,    200,    200,    200,    200,    LOGIN,  200,    200),
    GET("healthz"):
        (200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200),
    GET("readyz"):
        (200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200,    200),
    # API (session authentication; tokens are tested in tests/api/)
    GET("me-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    GET("task-force-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    POST("task-force-list", data=NEW_TF):
        (401,    403,    403,    403,    403,    403,    403,    403,    403,    201,    401,    403,    403),
    GET("task-force-detail", "own_task_force"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    404,    200),
    GET("task-force-detail", "other_task_force"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    200,    401,    404,    404),
    GET("membership-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    GET("membership-detail", "own_partner_membership"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    200),
    GET("membership-detail", "other_partner_membership"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    200),
    GET("membership-detail", "inactive_own_membership"):
        (401,    404,    404,    200,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("membership-detail", "other_task_force_membership"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("partner-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    GET("partner-detail", "own_partner"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    200),
    GET("partner-detail", "inactive_partner"):
        (401,    404,    404,    404,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("partner-detail", "other_task_force_partner"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("service-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    GET("service-detail", "own_service"):
        (401,    200,    200,    200,    200,    200,    200,    200,    404,    200,    401,    403,    200),
    GET("service-detail", "inactive_service"):
        (401,    404,    404,    404,    404,    404,    404,    200,    404,    200,    401,    403,    404),
    GET("service-detail", "other_task_force_service"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("taxonomy-term-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    GET("language-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    403,    200),
    GET("token-list"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    POST("token-list", data={"name": "nightly export"}):
        (401,    201,    201,    201,    201,    201,    201,    201,    201,    201,    401,    201,    201),
    GET("token-detail", "own_token"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    GET("token-detail", "someone_elses_token"):
        (401,    404,    404,    404,    404,    404,    404,    404,    404,    404,    401,    404,    404),
    POST("token-revoke", "own_token"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    POST("token-revoke", "someone_elses_token"):
        (401,    404,    404,    404,    404,    404,    404,    404,    404,    404,    401,    404,    404),
    GET("lockout-list"):
        (401,    403,    403,    200,    403,    403,    200,    200,    200,    200,    401,    403,    403),
    POST("lockout-release", "locked_user"):
        (401,    403,    403,    200,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("audit-event-list"):
        (401,    403,    403,    403,    403,    403,    403,    200,    200,    200,    401,    403,    403),
    GET("audit-event-detail", "own_task_force_event"):
        (401,    403,    403,    403,    403,    403,    403,    200,    404,    200,    401,    403,    403),
    GET("audit-event-detail", "other_task_force_event"):
        (401,    404,    404,    404,    404,    404,    404,    404,    200,    404,    401,    403,    404),
    GET("api-not-found"):
        (404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404,    404),
    GET("api-schema"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
    GET("api-docs"):
        (401,    200,    200,    200,    200,    200,    200,    200,    200,    200,    401,    200,    200),
}
# fmt: on

ROW_MODULES = row_modules()
for _module in ROW_MODULES:
    assert not set(_module.ROWS) & set(MATRIX), f"{_module.__name__} repeats rows"
    MATRIX.update(_module.ROWS)

assert all(len(outcomes) == len(ACTORS) for outcomes in MATRIX.values()), "every row needs one answer per actor"


def _own_token(mw: MatrixWorld, user) -> dict:
    owner = user or mw.world.user("outsider_member")
    token = ApiToken.objects.create(
        user=owner, name="mine", key_id=f"own{owner.pk:013d}", digest="0" * 64, expires_at=_tomorrow()
    )
    return {"pk": token.pk}


TARGETS: dict[str, Target] = {
    "own_task_force": Target(lambda mw, user: {"slug": mw.world.tf.slug}, "wdt"),
    "other_task_force": Target(lambda mw, user: {"slug": mw.world.other_tf.slug}, "edt"),
    "own_partner_membership": Target(pk_of("own_partner_membership"), "wdt"),
    "other_partner_membership": Target(pk_of("other_partner_membership"), "wdt"),
    "inactive_own_membership": Target(pk_of("inactive_own_membership"), "wdt"),
    "other_task_force_membership": Target(pk_of("other_task_force_membership"), "edt"),
    "own_token": Target(_own_token, None),
    "someone_elses_token": Target(pk_of("someone_elses_token"), None),
    "locked_user": Target(pk_of("locked_user"), "wdt"),
    "own_task_force_event": Target(pk_of("own_task_force_event"), "wdt"),
    "other_task_force_event": Target(pk_of("other_task_force_event"), "edt"),
    "own_partner": Target(lambda mw, user: {"pk": mw.world.receiving.pk}, "wdt"),
    "inactive_partner": Target(pk_of("inactive_partner"), "wdt"),
    "other_task_force_partner": Target(lambda mw, user: {"pk": mw.world.foreign.pk}, "edt"),
    "own_service": Target(pk_of("own_service"), "wdt"),
    "inactive_service": Target(pk_of("inactive_service"), "wdt"),
    "other_task_force_service": Target(pk_of("other_task_force_service"), "edt"),
}

for _module in ROW_MODULES:
    assert not set(_module.TARGETS) & set(TARGETS), f"{_module.__name__} repeats targets"
    TARGETS.update(_module.TARGETS)

URL_KWARGS_WITHOUT_TARGET = {"api-not-found": {"rest": "no-such-endpoint/"}}


def _tomorrow():
    return timezone.now() + timedelta(days=1)


def _add_research_partner(world) -> None:
    """The research partner of the world's task force and a member of it: the ``research`` column. It is party to no
    referral and attends no meeting; what it may see beyond the directory is its own grants' extracts."""
    world.research = PartnerFactory(task_force=world.tf, name="University Research Lab", kind=PartnerKind.RESEARCH)
    member = UserFactory(email="research.member@example.org", full_name="research member")
    MembershipFactory(user=member, partner=world.research, role=Role.MEMBER)
    world.users["research_member"] = member


def _build_objects(world) -> dict:
    users = world.users
    _add_research_partner(world)
    locked = UserFactory(email="locked@example.org")
    MembershipFactory(user=locked, partner=world.receiving, role=Role.MEMBER)
    AccessAttempt.objects.create(
        username=locked.email,
        ip_address="127.0.0.1",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="",
        path_info="/accounts/login/",
        failures_since_start=5,
    )
    former = UserFactory(email="former@example.org")
    theirs = ApiToken.objects.create(
        user=users["outsider_member"], name="theirs", key_id="theirs0000000000", digest="0" * 64, expires_at=_tomorrow()
    )
    return {
        "own_partner_membership": users["receiving_referral_staff"].memberships.get(),
        "other_partner_membership": users["sending_member"].memberships.get(),
        "inactive_own_membership": MembershipFactory(user=former, partner=world.receiving, active=False),
        "other_task_force_membership": users["foreign_member"].memberships.get(),
        "someone_elses_token": theirs,
        "locked_user": locked,
        "own_task_force_event": audit.record(action="changed", task_force=world.tf, object_type="test", object_id=1),
        "other_task_force_event": audit.record(action="changed", task_force=world.other_tf, object_type="test"),
        "inactive_partner": PartnerFactory(task_force=world.tf, name="Closed Clinic", active=False),
        "own_service": ServiceFactory(partner=world.receiving, name="Mentoring Circle"),
        "inactive_service": ServiceFactory(partner=world.receiving, name="Retired desk", active=False),
        "other_task_force_service": ServiceFactory(partner=world.foreign, name="Mentoring elsewhere"),
    }


@pytest.fixture(scope="module")
def matrix_world(module_world, django_db_blocker):
    """The world, the objects the rows point at and a signed-in session per actor, built once; each test runs in
    a savepoint (``db``), so what a request changes (a session ended, a membership deactivated) is undone after
    it. Signing in once per actor rather than per cell saves a fifth of the matrix's time."""
    objects = _build_objects(module_world)
    for module in ROW_MODULES:
        objects.update(module.build_objects(module_world))
    mw = MatrixWorld(world=module_world, objects=objects)
    with django_db_blocker.unblock():
        for key in filter(None, ACTORS.values()):
            user = module_world.users[key]
            home = module_world.other_tf if user.email.startswith("foreign") else module_world.tf
            mw.cookies[user.pk] = login_client(user, home).cookies
    return mw


def _client(mw: MatrixWorld, user) -> Client:
    client = Client()
    if user is not None:
        client.cookies = copy.deepcopy(mw.cookies[user.pk])
    return client


def _path(mw: MatrixWorld, req: Req, user) -> str:
    kwargs = TARGETS[req.target].kwargs(mw, user) if req.target else URL_KWARGS_WITHOUT_TARGET.get(req.name, {})
    return reverse(req.name, kwargs=kwargs)


def _rows_that_must_not_change() -> dict[str, int]:
    return {
        "task forces": TaskForce.objects.count(),
        "memberships": Membership.objects.count(),
        "tokens": ApiToken.objects.count(),
        "revoked tokens": ApiToken.objects.exclude(revoked_at=None).count(),
        "lockouts": AccessAttempt.objects.count(),
        **{name: count() for module in ROW_MODULES for name, count in getattr(module, "COUNTS", {}).items()},
    }


def _describe(response) -> str:
    return f"{response.status_code} {response.get('Location', '')} {response.content[:300].decode(errors='replace')}"


CELLS = [
    (req, actor, outcome) for req, outcomes in MATRIX.items() for actor, outcome in zip(ACTORS, outcomes, strict=True)
]


@pytest.mark.parametrize(("req", "actor", "expected"), CELLS, ids=[f"{r.id}-{a}" for r, a, _ in CELLS])
def test_access(matrix_world, db, req: Req, actor: str, expected):
    user = matrix_world.world.users[ACTORS[actor]] if ACTORS[actor] else None
    client = _client(matrix_world, user)
    path = _path(matrix_world, req, user)
    before = _rows_that_must_not_change()
    denials_before = AuditEvent.objects.filter(action="permission_denied").count()

    if req.method == "GET":
        response = client.get(path)
    elif path.startswith("/api/"):
        send = getattr(client, req.method.lower())
        response = send(path, req.data or {}, content_type="application/json")
    else:
        assert req.method == "POST", "pages take GET and POST only"
        response = client.post(path, req.data or {})

    if isinstance(expected, Redirect):
        location = response.get("Location", "").split("?")[0]
        assert response.status_code == 302 and expected.matches(location), _describe(response)
    else:
        assert response.status_code == expected, _describe(response)
    refused = expected in (LOGIN, PICK) or (isinstance(expected, int) and expected >= 400)
    if refused:
        assert _rows_that_must_not_change() == before, "a refused request changed data"
    if expected == 403 and user is not None:
        # psn/access.py: a missing right inside the task force is recorded in the audit trail.
        assert AuditEvent.objects.filter(action="permission_denied").count() == denials_before + 1


def test_objects_of_another_task_force_are_404_in_the_table():
    """The rule the table must keep: every column acting in a task force gets 404 for the other's objects."""
    acting_in = {actor: "wdt" for actor in ACTORS if actor not in ("anon", "deactivated", "nobody", "foreign")}
    acting_in["foreign"] = "edt"
    wrong = []
    for req, outcomes in MATRIX.items():
        owner = TARGETS[req.target].task_force if req.target else None
        for actor, outcome in zip(ACTORS, outcomes, strict=True):
            # A site admin may act in any task force, so the task forces themselves are all theirs to see.
            sees_all = actor == "site_admin" and req.name == "task-force-detail"
            if (
                owner is not None
                and actor in acting_in
                and acting_in[actor] != owner
                and outcome != 404
                and not sees_all
            ):
                wrong.append(f"{req.id} as {actor}: {outcome!r}")
    assert wrong == []


OUR_APPS = ("psn.", "accounts.", "partners.", "cases.", "meetings.", "reports.", "research.", "governance.")


def _url_names_of_our_apps(patterns, namespace: str = "") -> set[str]:
    """Names as ``reverse`` takes them: with their namespace (``partners:partner_list``)."""
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _url_names_of_our_apps(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "__module__", "").startswith(OUR_APPS):
            names.add(f"{namespace}{pattern.name}" if pattern.name else f"(unnamed: {pattern.pattern})")
    return names


def test_every_url_of_our_apps_has_a_row():
    declared = {req.name for req in MATRIX}
    missing = sorted(_url_names_of_our_apps(get_resolver().url_patterns) - declared)
    assert not missing, f"URLs without a row in the access matrix: {missing}"


def test_every_row_has_a_known_target():
    assert [req.id for req in MATRIX if req.target is not None and req.target not in TARGETS] == []


# Every method a view serves must have a row too: a URL with a GET row whose view also takes POST (or an API
# endpoint that grew a DELETE) would otherwise be requested by nobody. The methods a view serves are read from
# the view itself (a DRF viewset's action map, a class-based view's handlers); a function view is asked.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _our_patterns(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _our_patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "__module__", "").startswith(OUR_APPS):
            yield f"{namespace}{pattern.name}", pattern.callback


def _declared_methods(callback) -> set[str] | None:
    """The methods the view's code declares, or None for a function view (which only a request can tell)."""
    actions = getattr(callback, "actions", None)  # a DRF viewset bound to this route
    if actions:
        # DRF adds "head" to this map at the first GET it serves: HEAD (like OPTIONS) is not a matrix method.
        return {method.upper() for method in actions} & set(METHODS)
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return {method for method in METHODS if hasattr(view_class, method.lower())}
    return None


def _rows_by_name() -> dict[str, list[Req]]:
    rows: dict[str, list[Req]] = {}
    for req in MATRIX:
        rows.setdefault(req.name, []).append(req)
    return rows


def test_every_method_a_class_based_view_serves_has_a_row():
    rows = _rows_by_name()
    missing = []
    for name, callback in _our_patterns(get_resolver().url_patterns):
        served = _declared_methods(callback)
        if served is None or name not in rows:
            continue  # function views: the next test; names without rows: test_every_url_of_our_apps_has_a_row
        missing += [f"{method} {name}" for method in sorted(served - {req.method for req in rows[name]})]
    assert missing == [], f"methods served without a row in the access matrix: {missing}"


# The API's catch-all answers every method with its JSON 404: there is nothing at the address to refuse a method of.
UNDECLARED_METHOD_ANSWER = {"api-not-found": 404}

FUNCTION_VIEW_NAMES = sorted(
    {name for name, callback in _our_patterns(get_resolver().url_patterns) if _declared_methods(callback) is None}
)


@pytest.mark.parametrize("name", FUNCTION_VIEW_NAMES)
def test_a_function_view_refuses_every_method_without_a_row(matrix_world, db, name):
    """Asked as a coordinator (who may do the most inside the task force) and a site admin: a method without a
    row must be refused with 405, and change nothing. (Django's function views take any method unless told.)"""
    rows = _rows_by_name()[name]
    undeclared = [method for method in METHODS if method not in {req.method for req in rows}]
    for actor in ("coordinator", "site_admin"):
        user = matrix_world.world.users[ACTORS[actor]]
        path = _path(matrix_world, rows[0], user)
        for method in undeclared:
            before = _rows_that_must_not_change()
            response = getattr(_client(matrix_world, user), method.lower())(path)
            expected = UNDECLARED_METHOD_ANSWER.get(name, 405)
            assert response.status_code == expected, f"{method} {path} as {actor}: {_describe(response)}"
            assert _rows_that_must_not_change() == before


def _succeeds(outcome) -> bool:
    if isinstance(outcome, Redirect):
        return outcome not in (LOGIN, PICK)
    return outcome < 400


# Each unsafe row, with the first column whose request goes through: the same request from that signed-in session
# without the CSRF token must be refused (CSRF, DESIGN.md "Security"), web forms and the session-authenticated API
# alike, and change nothing.
CSRF_CELLS = [
    (req, next(actor for actor, outcome in zip(ACTORS, outcomes, strict=True) if ACTORS[actor] and _succeeds(outcome)))
    for req, outcomes in MATRIX.items()
    if req.method != "GET"
    and any(ACTORS[actor] and _succeeds(outcome) for actor, outcome in zip(ACTORS, outcomes, strict=True))
]


@pytest.mark.parametrize(("req", "actor"), CSRF_CELLS, ids=[f"{r.id}-{a}" for r, a in CSRF_CELLS])
def test_an_unsafe_request_without_the_csrf_token_is_refused(matrix_world, db, req: Req, actor: str):
    user = matrix_world.world.users[ACTORS[actor]]
    client = Client(enforce_csrf_checks=True)
    client.cookies = copy.deepcopy(matrix_world.cookies[user.pk])
    path = _path(matrix_world, req, user)
    before = _rows_that_must_not_change()
    send = getattr(client, req.method.lower())
    if path.startswith("/api/"):
        response = send(path, req.data or {}, content_type="application/json")
    else:
        response = send(path, req.data or {})
    assert response.status_code == 403, _describe(response)
    assert _rows_that_must_not_change() == before


def test_every_unsafe_row_is_checked_for_csrf():
    unsafe = [req for req in MATRIX if req.method != "GET"]
    checked = {req for req, _ in CSRF_CELLS}
    # A row nobody may send (every column refused) has nothing for a forged request to do.
    nobody_may = [req.id for req in unsafe if req not in checked]
    assert len(checked) > 50 and all(
        not any(ACTORS[a] and _succeeds(o) for a, o in zip(ACTORS, MATRIX[req], strict=True))
        for req in unsafe
        if req not in checked
    ), nobody_may
