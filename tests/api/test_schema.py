"""The OpenAPI 3 schema at /api/v1/schema/ and its documentation page at /api/v1/docs/, served locally."""

import json
import re
import warnings
from html.parser import HTMLParser

import pytest
import yaml
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

ENDPOINTS = {
    "/api/v1/me/": {"get"},
    "/api/v1/task-forces/": {"get", "post"},
    "/api/v1/task-forces/{slug}/": {"get"},
    "/api/v1/memberships/": {"get"},
    "/api/v1/memberships/{id}/": {"get", "patch"},
    "/api/v1/memberships/{id}/deactivate/": {"post"},
    "/api/v1/memberships/{id}/reactivate/": {"post"},
    "/api/v1/invitations/": {"get", "post"},
    "/api/v1/invitations/{id}/": {"get"},
    "/api/v1/invitations/{id}/revoke/": {"post"},
    "/api/v1/hsds/export/": {"get"},
    "/api/v1/hsds/imports/": {"get", "post"},
    "/api/v1/hsds/imports/{id}/": {"get"},
    "/api/v1/hsds/imports/{id}/confirm/": {"post"},
    "/api/v1/partners/": {"get", "post"},
    "/api/v1/partners/{id}/": {"get", "put", "patch"},
    "/api/v1/partners/{id}/deactivate/": {"post"},
    "/api/v1/partners/{id}/reactivate/": {"post"},
    "/api/v1/services/": {"get", "post"},
    "/api/v1/services/{id}/": {"get", "put", "patch"},
    "/api/v1/services/{id}/deactivate/": {"post"},
    "/api/v1/services/{id}/reactivate/": {"post"},
    "/api/v1/taxonomy/": {"get"},
    "/api/v1/languages/": {"get"},
    "/api/v1/tokens/": {"get", "post"},
    "/api/v1/tokens/{id}/": {"get"},
    "/api/v1/tokens/{id}/revoke/": {"post"},
    "/api/v1/lockouts/": {"get"},
    "/api/v1/lockouts/{id}/release/": {"post"},
    "/api/v1/audit-events/": {"get"},
    "/api/v1/audit-events/{id}/": {"get"},
    "/api/v1/audit-events/export/": {"get"},
    "/api/v1/referrals/": {"get", "post"},
    "/api/v1/referrals/{id}/": {"get"},
    "/api/v1/referrals/{id}/submit/": {"post"},
    "/api/v1/referrals/{id}/accept/": {"post"},
    "/api/v1/referrals/{id}/decline/": {"post"},
    "/api/v1/referrals/{id}/start/": {"post"},
    "/api/v1/referrals/{id}/complete/": {"post"},
    "/api/v1/referrals/{id}/close-unsuccessful/": {"post"},
    "/api/v1/referrals/{id}/withdraw/": {"post"},
    "/api/v1/referrals/{id}/transfer/": {"post"},
    "/api/v1/referrals/{id}/record-contact/": {"post"},
    "/api/v1/referrals/{id}/notes/": {"get", "post"},
    "/api/v1/notes/{id}/": {"patch"},
    "/api/v1/notes/{id}/annotate/": {"post"},
    "/api/v1/referrals/{id}/attachments/": {"get", "post"},
    "/api/v1/attachments/{id}/download/": {"get"},
    "/api/v1/referrals/{id}/fhir/": {"get"},
    "/api/v1/people/": {"get", "post"},
    "/api/v1/people/{id}/": {"get", "patch"},
    "/api/v1/people/{id}/merge/": {"post"},
    "/api/v1/people/{id}/consents/": {"get"},
    "/api/v1/people/{id}/record/": {"post"},
    "/api/v1/people/records-request/": {"post"},
    "/api/v1/people/record-exports/{id}/": {"get"},
    "/api/v1/people/record-exports/{id}/download/": {"get"},
    "/api/v1/consents/": {"get", "post"},
    "/api/v1/consents/{id}/": {"get"},
    "/api/v1/consents/{id}/revoke/": {"post"},
    "/api/v1/reason-codes/": {"get", "post"},
    "/api/v1/reason-codes/{id}/": {"get", "patch"},
    "/api/v1/reason-codes/{id}/deactivate/": {"post"},
    "/api/v1/reason-codes/{id}/reactivate/": {"post"},
    "/api/v1/meetings/": {"get", "post"},
    "/api/v1/reports/": {"get", "post"},
    "/api/v1/reports/{id}/": {"get"},
    "/api/v1/reports/{id}/progress/": {"get"},
    "/api/v1/reports/{id}/retry/": {"post"},
    "/api/v1/reports/{id}/csv/": {"get"},
    "/api/v1/reports/{id}/pdf/": {"get"},
    "/api/v1/crime-counts/": {"get"},
    "/api/v1/crime-counts/upload/": {"post"},
    "/api/v1/governance/retention/": {"get", "put", "patch"},
    "/api/v1/governance/retention/dry-run/": {"get"},
    "/api/v1/governance/purge-runs/": {"get"},
    "/api/v1/governance/holds/": {"get", "post"},
    "/api/v1/governance/holds/{id}/release/": {"post"},
    "/api/v1/research/grants/": {"get", "post"},
    "/api/v1/research/grants/{id}/revoke/": {"post"},
    "/api/v1/research/extracts/": {"get", "post"},
    "/api/v1/research/extracts/{id}/": {"get"},
    "/api/v1/research/extracts/{id}/download/": {"get"},
    "/api/v1/meetings/{id}/": {"get", "patch"},
    "/api/v1/meetings/{id}/cancel/": {"post"},
    "/api/v1/meetings/{id}/held/": {"post"},
    "/api/v1/meetings/{id}/minutes/": {"put", "post"},
    "/api/v1/meetings/{id}/attendance/": {"post"},
    "/api/v1/meetings/{id}/invitees/": {"post"},
    "/api/v1/meetings/{id}/ics/": {"get"},
    "/api/v1/action-items/": {"get", "post"},
    "/api/v1/action-items/{id}/": {"get", "patch"},
    "/api/v1/action-items/{id}/done/": {"post"},
    "/api/v1/action-items/{id}/reopen/": {"post"},
    "/api/v1/reminder-settings/": {"get", "put"},
    "/api/v1/me/calendar-feed/": {"post", "delete"},
}
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture
def schema(client_for) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # drf-spectacular warns about what it could not describe
        response = client_for("receiving_member").get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_and_docs_need_a_signed_in_caller():
    assert Client().get("/api/v1/schema/").status_code == 401
    assert Client().get("/api/v1/docs/").status_code == 401


def test_the_schema_is_openapi_3(schema):
    assert str(schema["openapi"]).startswith("3.")
    assert schema["info"]["title"] == "PSN Hub API"
    assert schema["info"]["version"]


def test_every_path_is_under_api_v1_and_every_endpoint_is_described(schema):
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    described = {path: set(ops) & HTTP_METHODS for path, ops in schema["paths"].items()}
    assert described == ENDPOINTS


def test_every_operation_is_well_formed(schema):
    operation_ids = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            operation_ids.append(operation["operationId"])
            assert operation["responses"], (method, path)
            assert all(re.fullmatch(r"[1-5]\d\d|default", str(code)) for code in operation["responses"]), (method, path)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"query", "header", "path", "cookie"}
                if parameter["in"] == "path":
                    assert parameter["required"] is True
                    assert "{" + parameter["name"] + "}" in path
    assert len(operation_ids) == len(set(operation_ids)), "operationIds must be unique"


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        return {node["$ref"]} if "$ref" in node else set().union(*map(_refs, node.values()))
    if isinstance(node, list):
        return set().union(*map(_refs, node))
    return set()


def test_every_reference_resolves(schema):
    refs = _refs(schema["paths"]) | _refs(schema["components"])

    assert refs
    assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= set(schema["components"]["schemas"])


def test_the_schema_describes_both_ways_to_authenticate(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token from your profile page.",
    }
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_the_schema_comes_as_json_too(client_for):
    response = client_for("receiving_member").get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    assert json.loads(response.content)["openapi"].startswith("3.")


class _Assets(HTMLParser):
    """Collects the addresses of scripts, stylesheets, icons and images, and any inline script."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            if attrs.get("src"):
                self.urls.append(attrs["src"])
            else:
                self._in_script_without_src = True
        elif tag in ("link", "img", "iframe") and (attrs.get("href") or attrs.get("src")):
            self.urls.append(attrs.get("href") or attrs.get("src"))

    def handle_data(self, data):
        if self._in_script_without_src and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script_without_src = False


def test_the_docs_page_loads_only_local_files(client_for):
    response = client_for("receiving_member").get("/api/v1/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assets = _Assets()
    assets.feed(page)
    assert assets.urls, "the page should load Swagger UI"
    assert all(url.startswith("/") and not url.startswith("//") for url in assets.urls), assets.urls
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    # The CSP allows no inline script or style: Swagger UI's settings script is a separate file.
    assert assets.inline_scripts == 0
    assert "<style" not in page
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_every_file_the_docs_page_loads_is_served(client_for):
    client = client_for("receiving_member")
    assets = _Assets()
    assets.feed(client.get("/api/v1/docs/").content.decode())

    for url in assets.urls:
        if url.startswith(settings.STATIC_URL):
            # Vendored (drf-spectacular-sidecar): collectstatic finds it, whitenoise serves it.
            assert finders.find(url.removeprefix(settings.STATIC_URL)), url
        else:
            response = client.get(url)
            assert response.status_code == 200, url
            assert "javascript" in response["Content-Type"]
            assert b"/api/v1/schema/" in response.content
