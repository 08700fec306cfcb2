"""Malformed and hostile input to every form and endpoint of the foundation (issue 3, "Bad input").

Whatever comes in: never a 500; a 4xx with the reason in the body (the API's ``detail``/``errors``, a
message next to the field in a form); and nothing half-written (rows counted before and after).
"""

import pytest
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.test import Client

from accounts.models import ApiToken
from partners.models import Membership, TaskForce
from psn.middleware import SESSION_KEY
from psn.models import AuditEvent

HUGE = "x" * 10_000
NUL = "a\x00b"
SCRIPT = "<script>alert(1)</script>"
SQL = "x'; DROP TABLE partners_taskforce; --"
TRAVERSAL = "../../../etc/passwd"
# Strings that are hostile but may be valid text (a name): stored verbatim, escaped when shown.
TEXTUAL = {"script": SCRIPT, "sql": SQL, "traversal": TRAVERSAL, "bidi": "\u202egnp.exe", "emoji": "😀" * 20}
# Strings no field of ours accepts.
INVALID = {"huge": HUGE, "nul": NUL}
HOSTILE = {**TEXTUAL, **INVALID}
BAD_IDS = ["abc", "-1", "0", "1.5", "1e3", "9" * 30, "%00", "%FF", "1%20OR%201=1", "%3Cscript%3E", "..%2F..%2Fetc"]


@pytest.fixture
def world(module_world, db):
    """Built once for this module's few hundred tests; each writes only inside its own savepoint."""
    return module_world


def _counts() -> dict[str, int]:
    return {
        "task forces": TaskForce.objects.count(),
        "tokens": ApiToken.objects.count(),
        "revoked tokens": ApiToken.objects.exclude(revoked_at=None).count(),
        "memberships": Membership.objects.count(),
        "created events": AuditEvent.objects.filter(action="created").count(),
        "changed events": AuditEvent.objects.filter(action="changed").count(),
    }


@pytest.fixture
def unchanged(world):
    """Asserts, after the test, that no row was written."""
    before = _counts()
    yield
    assert _counts() == before, "a refused request wrote data"


def _api_refusal(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] and body["code"], body
    if field is not None:
        assert body["errors"][field], body
    return body


def _post_json(client, path, data):
    return client.post(path, data, content_type="application/json")


# --- POST /api/v1/task-forces/ -----------------------------------------------------------------------

GOOD_TF = {"name": "Northern District", "slug": "ndt", "district": "N.D.", "timezone": "America/Chicago"}


@pytest.mark.parametrize("field", ["name", "slug", "district", "timezone"])
@pytest.mark.parametrize("value", INVALID.values(), ids=INVALID.keys())
def test_task_force_fields_refuse_huge_and_nul_strings(client_for, unchanged, field, value):
    response = _post_json(client_for("site_admin"), "/api/v1/task-forces/", {**GOOD_TF, field: value})

    _api_refusal(response, 400, field)


@pytest.mark.parametrize("field", ["slug", "timezone"])
@pytest.mark.parametrize("value", TEXTUAL.values(), ids=TEXTUAL.keys())
def test_task_force_slug_and_timezone_refuse_hostile_strings(client_for, unchanged, field, value):
    response = _post_json(client_for("site_admin"), "/api/v1/task-forces/", {**GOOD_TF, field: value})

    _api_refusal(response, 400, field)


@pytest.mark.parametrize("field", ["name", "district"])
@pytest.mark.parametrize("value", TEXTUAL.values(), ids=TEXTUAL.keys())
def test_task_force_text_fields_keep_hostile_text_verbatim(client_for, field, value):
    response = _post_json(client_for("site_admin"), "/api/v1/task-forces/", {**GOOD_TF, field: value})

    assert response.status_code == 201
    assert getattr(TaskForce.objects.get(slug="ndt"), field) == value
    assert response.json()[field] == value


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sla_business_days": "two"}, "sla_business_days"),
        ({"sla_business_days": 1.5}, "sla_business_days"),
        ({"sla_business_days": 10**30}, "sla_business_days"),
        ({"sla_business_days": -1}, "sla_business_days"),
        ({"sla_business_days": [2]}, "sla_business_days"),
        ({"sla_business_days": None}, "sla_business_days"),
        ({"name": {"en": "x"}}, "name"),
        ({"name": ["x"]}, "name"),
        ({"slug": 12}, None),  # 12 is read as "12", a valid slug: created, so checked below
        ({"timezone": 5}, "timezone"),
        ({"name": None}, "name"),
    ],
)
def test_task_force_wrong_json_types(client_for, change, field):
    before = _counts()

    response = _post_json(client_for("site_admin"), "/api/v1/task-forces/", {**GOOD_TF, **change})

    if field is None:
        assert response.status_code == 201
        assert TaskForce.objects.filter(slug="12").exists()
    else:
        _api_refusal(response, 400, field)
        assert _counts() == before


@pytest.mark.parametrize(
    "body",
    [
        [GOOD_TF],
        "just a string",
        42,
        None,
        True,
    ],
    ids=["list", "string", "number", "null", "bool"],
)
def test_task_force_body_that_is_not_an_object(client_for, unchanged, body):
    _api_refusal(_post_json(client_for("site_admin"), "/api/v1/task-forces/", body), 400)


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b"{'name': 'single quotes'}",
        b'{"name": "x",}',
        b'{"sla_business_days": NaN}',
        b"\xff\xfe\x00{",
        b'{"name": "\xff\xfe"}',
        b"",
        b"\x00" * 10,
        b"[" * 5000 + b"]" * 5000,
    ],
    ids=[
        "open-brace",
        "single-quotes",
        "trailing-comma",
        "nan",
        "bom-garbage",
        "invalid-utf8",
        "empty",
        "nuls",
        "deep",
    ],
)
def test_task_force_body_that_is_not_json(client_for, unchanged, raw):
    response = client_for("site_admin").post("/api/v1/task-forces/", raw, content_type="application/json")

    _api_refusal(response, 400)


@pytest.mark.parametrize(
    "content_type",
    ["application/x-www-form-urlencoded", "text/plain", "application/xml", "multipart/form-data; boundary=xyz"],
)
def test_task_force_body_of_another_content_type(client_for, unchanged, content_type):
    response = client_for("site_admin").post("/api/v1/task-forces/", "name=x&slug=y", content_type=content_type)

    _api_refusal(response, 415)


def test_task_force_body_larger_than_allowed(client_for, unchanged, settings):
    raw = b'{"name": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'

    response = client_for("site_admin").post("/api/v1/task-forces/", raw, content_type="application/json")

    assert _api_refusal(response, 413)["code"] == "request_too_large"


# --- POST /api/v1/tokens/ ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", INVALID.values(), ids=INVALID.keys())
def test_token_name_refuses_huge_and_nul(client_for, unchanged, value):
    _api_refusal(_post_json(client_for("receiving_member"), "/api/v1/tokens/", {"name": value}), 400, "name")


@pytest.mark.parametrize("value", TEXTUAL.values(), ids=TEXTUAL.keys())
def test_token_name_keeps_hostile_text_verbatim_and_the_profile_escapes_it(client_for, value):
    client = client_for("receiving_member")

    assert _post_json(client, "/api/v1/tokens/", {"name": value}).status_code == 201

    assert ApiToken.objects.get().name == value
    page = client.get("/profile/").content.decode()
    assert SCRIPT not in page


@pytest.mark.parametrize(
    "days", ["abc", "", None, -1, 0, 366, 10**30, 1.5, "1e3", [], {}, True, HUGE], ids=lambda d: repr(d)[:12]
)
def test_token_expiry_refuses_what_is_not_a_number_of_days(client_for, unchanged, days):
    response = _post_json(client_for("receiving_member"), "/api/v1/tokens/", {"name": "x", "expires_in_days": days})

    _api_refusal(response, 400, "expires_in_days")


@pytest.mark.parametrize(
    "raw", [b"{", b"[]", b'"x"', b"\xff\xfe", b"null"], ids=["brace", "list", "str", "utf8", "null"]
)
def test_token_body_that_is_not_an_object(client_for, unchanged, raw):
    response = client_for("receiving_member").post("/api/v1/tokens/", raw, content_type="application/json")

    _api_refusal(response, 400)


def test_token_form_post_is_415(client_for, unchanged):
    _api_refusal(client_for("receiving_member").post("/api/v1/tokens/", {"name": "x"}), 415)


def test_unknown_and_read_only_fields_are_ignored_not_written(client_for, world):
    payload = {"name": "x", "user": world.user("coordinator").pk, "digest": "0" * 64, "revoked_at": "2020-01-01"}

    response = _post_json(client_for("receiving_member"), "/api/v1/tokens/", payload)

    assert response.status_code == 201
    token = ApiToken.objects.get()
    assert (token.user, token.revoked_at) == (world.user("receiving_member"), None)
    assert token.digest != "0" * 64


# --- Ids and slugs in URLs ----------------------------------------------------------------------------


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(
    ("method", "template", "key"),
    [
        ("get", "/api/v1/memberships/{}/", "coordinator"),
        ("get", "/api/v1/tokens/{}/", "receiving_member"),
        ("post", "/api/v1/tokens/{}/revoke/", "receiving_member"),
        ("post", "/api/v1/lockouts/{}/release/", "coordinator"),
        ("get", "/api/v1/audit-events/{}/", "coordinator"),
        ("get", "/api/v1/task-forces/{}/", "site_admin"),
    ],
)
def test_api_ids_that_are_not_ids_are_json_404(client_for, unchanged, bad_id, method, template, key):
    response = getattr(client_for(key), method)(template.format(bad_id))

    _api_refusal(response, 404)


@pytest.mark.parametrize(
    "slug", ["WDT", "wdt.json.x", "a" * 51, "%00", "..", "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "w%20dt"]
)
def test_task_force_slugs_that_are_not_slugs_are_json_404(client_for, slug):
    _api_refusal(client_for("site_admin").get(f"/api/v1/task-forces/{slug}/"), 404)


@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.5", "%00", "..%2F..", "9" * 30])
@pytest.mark.parametrize(
    ("template", "key"), [("/profile/tokens/{}/revoke/", "receiving_member"), ("/lockouts/{}/release/", "coordinator")]
)
def test_web_ids_that_are_not_ids_are_404(client_for, unchanged, bad_id, template, key):
    response = client_for(key).post(template.format(bad_id))

    assert response.status_code == 404
    assert "text/html" in response["Content-Type"]


# --- Query strings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("role=xyz", "role"),
        ("role=%3Cscript%3E", "role"),
        ("role=a%00b", "role"),
        ("role=%FF", "role"),
        ("partner=abc", "partner"),
        ("partner=-1", "partner"),
        ("partner=1.5", "partner"),
        ("partner=" + "9" * 30, "partner"),
        ("partner=1%20OR%201=1", "partner"),
        ("active=maybe", "active"),
        ("active=" + "x" * 10_000, "active"),
    ],
)
def test_membership_filters_refuse_invalid_values(client_for, query, field):
    body = _api_refusal(client_for("coordinator").get(f"/api/v1/memberships/?{query}"), 400, field)

    assert body["code"] == "invalid"


@pytest.mark.parametrize("page", ["-1", "0", "abc", "9" * 30, "1.5", "%00"])
def test_membership_pages_that_do_not_exist_are_json_404(client_for, page):
    _api_refusal(client_for("coordinator").get(f"/api/v1/memberships/?page={page}"), 404)


@pytest.mark.parametrize(
    "query",
    ["unknown=1", "page_size=abc", "page_size=-5", "ordering=;DROP%20TABLE", "ordering=user__password", "format=xml"],
)
def test_membership_list_ignores_unknown_parameters_and_hints(client_for, query):
    client = client_for("coordinator")

    response = client.get(f"/api/v1/memberships/?{query}")

    if query.startswith("format="):
        _api_refusal(response, 404)  # DRF's format suffix: a renderer it does not have
    else:
        assert response.status_code == 200
        assert response.json()["results"] == client.get("/api/v1/memberships/").json()["results"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=notadate", "since"),
        ("until=2024-13-45", "until"),
        ("since=" + "9" * 10_000, "since"),
        ("action=xyz", "action"),
        ("actor=a%00b", "actor"),
        ("actor=" + "x" * 10_000, "actor"),
        ("object_id=" + "9" * 100, "object_id"),
        ("object_type=%00", "object_type"),
    ],
)
def test_audit_event_filters_refuse_invalid_values(client_for, query, field):
    _api_refusal(client_for("coordinator").get(f"/api/v1/audit-events/?{query}"), 400, field)


@pytest.mark.parametrize(
    "query", ["actor=%3Cscript%3E", "object_type=x%27%20OR%201=1", "object_id=..%2F..%2F", "foo=bar"]
)
def test_audit_event_filters_take_hostile_text_as_text(client_for, query):
    response = client_for("coordinator").get(f"/api/v1/audit-events/?{query}")

    assert response.status_code == 200
    if not query.startswith("foo"):
        assert response.json()["results"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=notadate", "since"),
        ("until=2024-13-45", "until"),
        ("action=xyz", "action"),
        ("actor=a%00b", "actor"),
        ("actor=" + "x" * 10_000, "actor"),
        ("object_id=" + "9" * 100, "object_id"),
    ],
)
def test_audit_page_shows_the_reason_next_to_the_filter(client_for, world, query, field):
    response = client_for("coordinator").get(f"/audit/?{query}")

    # A filter form: the page again with the message next to the field (200 today; a 400 would be as right).
    assert response.status_code in (200, 400)
    assert response.context["filter"].errors[field]
    assert _field_error(response.content.decode(), field).strip()
    assert not response.context["page"].object_list


@pytest.mark.parametrize("page", ["-1", "0", "abc", "9" * 30, "%00"])
def test_audit_page_numbers_out_of_range_show_a_page(client_for, page):
    assert client_for("coordinator").get(f"/audit/?page={page}").status_code == 200


# --- Headers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug",
    [*HOSTILE.values(), "EDT", "edt ", "wdt\n", "%77dt"],
    ids=[*HOSTILE.keys(), "upper", "space", "newline", "pct"],
)
@pytest.mark.parametrize("key", ["receiving_member", "site_admin"])
def test_task_force_header_that_names_no_task_force_is_404(client_for, slug, key):
    body = _api_refusal(client_for(key).get("/api/v1/me/", headers={"X-Task-Force": slug}), 404)

    assert len(body["detail"]) < 200


@pytest.mark.parametrize(
    "value",
    [
        "Bearer psn_ab\x00cd_secret",
        "Bearer psn_" + HUGE,
        "Bearer " + SCRIPT,
        "Bearer psn_1' OR '1'='1_x",
        "Bearer psn_../../etc_x",
        "Bearer psn__",
        "Basic dXNlcjpwYXNz",
        "Bearer \u00e9t\u00e9",
    ],
    ids=["nul", "huge", "script", "sql", "traversal", "empty-parts", "basic", "non-ascii"],
)
def test_authorization_headers_that_are_no_token(world, value):
    response = Client().get("/api/v1/me/", headers={"Authorization": value})

    _api_refusal(response, 401)


# --- Forms: the profile's token form ------------------------------------------------------------------


def _field_error(page: str, field: str) -> str:
    """The error text shown next to a field: in the same paragraph as its label (templates/includes/field.html)."""
    label_at = page.index(f'for="id_{field}"')
    paragraph = page[page.rindex("<p", 0, label_at) : page.index("</p>", label_at)]
    assert 'class="field-errors"' in paragraph, f"no error next to {field}: {paragraph}"
    start = paragraph.index(">", paragraph.index('class="field-errors"')) + 1
    return paragraph[start : paragraph.index("</span>", start)]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": HUGE, "expires_in_days": "30"}, "name"),
        ({"name": NUL, "expires_in_days": "30"}, "name"),
        ({"name": "", "expires_in_days": "30"}, "name"),
        ({"name": "   ", "expires_in_days": "30"}, "name"),
        ({"name": "ok", "expires_in_days": "abc"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "-1"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "9" * 100}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": "1.5"}, "expires_in_days"),
        ({"name": "ok", "expires_in_days": NUL}, "expires_in_days"),
        ({"name": "ok"}, "expires_in_days"),
    ],
)
def test_profile_token_form_shows_the_reason_next_to_the_field(client_for, unchanged, data, field):
    response = client_for("receiving_member").post("/profile/", data)

    assert response.status_code == 400
    assert _field_error(response.content.decode(), field).strip()
    assert "Your new token" not in response.content.decode()


@pytest.mark.parametrize("value", TEXTUAL.values(), ids=TEXTUAL.keys())
def test_profile_token_form_keeps_hostile_names_as_text(client_for, value):
    response = client_for("receiving_member").post("/profile/", {"name": value, "expires_in_days": "30"})

    assert response.status_code == 200
    assert ApiToken.objects.get().name == value
    assert SCRIPT not in response.content.decode()


def test_profile_form_body_with_invalid_utf8(client_for):
    response = client_for("receiving_member").post(
        "/profile/", b"name=%FF%FE%00&expires_in_days=%FF", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- Forms: switching task force ----------------------------------------------------------------------


NOT_OPEN = {"unknown": "nowhere", "empty": "", **HOSTILE}
SWITCHES = [
    ("receiving_member", "edt"),
    *((key, slug) for key in ("receiving_member", "site_admin") for slug in NOT_OPEN.values()),
]


# A site admin may act in any task force, so "edt" is open to them: only the others are tried.
@pytest.mark.parametrize(
    ("key", "slug"), SWITCHES, ids=["member-foreign", *(f"{k}-{n}" for k in ("member", "admin") for n in NOT_OPEN)]
)
def test_switching_to_a_task_force_that_is_not_open_says_so_and_changes_nothing(client_for, world, key, slug):
    client = client_for(key)

    response = client.post("/task-force/switch/", {"task_force": slug}, follow=True)

    assert response.redirect_chain[0] == ("/task-force/", 302)
    assert "That task force is not open to you." in response.content.decode()
    assert client.session[SESSION_KEY] == world.tf.pk
    assert not AuditEvent.objects.filter(object_type="session").exists()


def test_switching_without_the_field(client_for, world):
    client = client_for("receiving_member")

    response = client.post("/task-force/switch/", {}, follow=True)

    assert "That task force is not open to you." in response.content.decode()
    assert client.session[SESSION_KEY] == world.tf.pk


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "foo",  # redirect() would look it up as a URL name: a 500
        "audit_list",  # ... and this one it would find
        "/a\x00b",
        "/\r\nSet-Cookie: x=1",
        HUGE,
        NUL,
    ],
)
def test_switching_goes_only_to_a_path_of_this_site(client_for, next_url):
    response = client_for("receiving_member").post("/task-force/switch/", {"task_force": "wdt", "next": next_url})

    assert (response.status_code, response["Location"]) == (302, "/")


def test_switching_needs_a_post(client_for):
    assert client_for("receiving_member").get("/task-force/switch/?task_force=wdt").status_code == 405


# --- Forms: signing in ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "password"),
    [
        (HUGE + "@example.org", "p" * 10_000),
        ("receiving.member@example.org", "p" * 10_000),
        (NUL + "@example.org", NUL),
        (SCRIPT, SCRIPT),
        (SQL, SQL),
        ("", ""),
    ],
    ids=["huge-both", "huge-password", "nul", "script", "sql", "empty"],
)
def test_sign_in_with_hostile_values_is_refused_with_a_message(world, login, password):
    client = Client()

    response = client.post("/accounts/login/", {"login": login, "password": password})

    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert 'class="field-errors"' in page or 'class="errors"' in page
    assert SCRIPT not in page
    assert AUTH_SESSION_KEY not in client.session


def test_sign_in_body_with_invalid_utf8(world):
    client = Client()

    response = client.post(
        "/accounts/login/", b"login=%FF%FE%00&password=%FF", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code in (200, 400)
    assert AUTH_SESSION_KEY not in client.session


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/session/keepalive/"),
        ("post", "/session/status/"),
        ("get", "/profile/tokens/1/revoke/"),
        ("get", "/lockouts/1/release/"),
        ("get", "/task-force/switch/"),
    ],
)
def test_web_endpoints_refuse_the_wrong_method(client_for, unchanged, method, path):
    assert getattr(client_for("coordinator"), method)(path).status_code == 405
