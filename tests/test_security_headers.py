"""Security headers on every response (issue 3, item 8; issue 9, item 7).

The page list is not written by hand: it is every request of the access matrix (tests/test_access_matrix.py,
which fails for a URL of our apps without a row) plus every named URL of the other apps that takes no
argument, so a new page is covered the day it is added. They are fetched over HTTPS with the settings
psn/settings.py gives production (read from a process started with the production environment, not copied).
"""

import json
import subprocess
import sys

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from .access_rows import ACTORS, MatrixWorld, Redirect
from .accounts.signin import sign_in
from .accounts.totp import activate_totp, current_code
from .conftest import login_client
from .test_access_matrix import (
    MATRIX,
    ROW_MODULES,
    TARGETS,
    URL_KWARGS_WITHOUT_TARGET,
    _build_objects,
    _url_names_of_our_apps,
)
from .test_deploy_check import ROOT, _production_env

ONE_YEAR = 31536000
# Settings that shape headers and cookies; everything else stays as the tests have it (database, cache, mail).
PRODUCTION_PREFIXES = ("SECURE_", "SESSION_COOKIE_", "CSRF_COOKIE_", "LANGUAGE_COOKIE_")
PRODUCTION_NAMES = ("CONTENT_SECURITY_POLICY", "X_FRAME_OPTIONS", "PSN_HTTPS", "PSN_REQUIRE_MFA", "DEBUG")
HTTPS = {"secure": True, "headers": {"X-Forwarded-Proto": "https"}}


@pytest.fixture(scope="module")
def production_settings(tmp_path_factory) -> dict:
    code = (
        "import json; from django.conf import settings as s;"
        f"names = [n for n in dir(s) if n.startswith({PRODUCTION_PREFIXES!r}) or n in {PRODUCTION_NAMES!r}];"
        "print(json.dumps({n: getattr(s, n) for n in names}))"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=_production_env(tmp_path_factory.mktemp("prod-var")),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    if values.get("SECURE_PROXY_SSL_HEADER"):
        values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    # What the rest of this file relies on: the production switches are really on.
    assert values["PSN_HTTPS"] and values["PSN_REQUIRE_MFA"] and not values["DEBUG"]
    assert values["SESSION_COOKIE_SECURE"] and values["SECURE_SSL_REDIRECT"]
    return values


@pytest.fixture
def production(settings, production_settings):
    for name, value in production_settings.items():
        setattr(settings, name, value)
    return settings


def _csp(response) -> dict[str, list[str]]:
    csp = response.headers.get("Content-Security-Policy", "")
    parts = (part.split() for part in csp.split(";") if part.strip())
    return {words[0].lower(): words[1:] for words in parts}


def header_problems(response) -> list[str]:
    """What is missing or weak in the security headers of one HTTPS response."""
    problems = []
    csp = _csp(response)
    if not csp:
        problems.append("no Content-Security-Policy")
    else:
        for directive in ("script-src", "style-src"):
            sources = csp.get(directive, csp.get("default-src"))
            if sources is None:
                problems.append(f"CSP has neither {directive} nor default-src")
                continue
            weak = [s for s in sources if s.strip("'") in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*")]
            weak += [s for s in sources if s in ("data:", "http:", "https:")]
            if weak:
                problems.append(f"CSP {directive} allows {weak}")
        if csp.get("frame-ancestors") != ["'none'"]:
            problems.append(f"CSP frame-ancestors is {csp.get('frame-ancestors')}")
        if csp.get("object-src") != ["'none'"]:
            problems.append(f"CSP object-src is {csp.get('object-src')}")
    if response.headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options is {response.headers.get('X-Frame-Options')!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {response.headers.get('X-Content-Type-Options')!r}")
    if response.headers.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        problems.append(f"Referrer-Policy is {response.headers.get('Referrer-Policy')!r}")
    hsts = [p.strip() for p in response.headers.get("Strict-Transport-Security", "").split(";")]
    max_age = next((p.split("=", 1)[1] for p in hsts if p.lower().startswith("max-age=")), "0")
    if not (max_age.isdigit() and int(max_age) >= ONE_YEAR and "includeSubDomains" in hsts):
        problems.append(f"Strict-Transport-Security is {response.headers.get('Strict-Transport-Security')!r}")
    return problems + cookie_problems(response)


def cookie_problems(response) -> list[str]:
    """Every cookie set is Secure, HttpOnly and SameSite Lax or Strict. The CSRF cookie is HttpOnly too: our
    scripts take the token from the page (base.html's data-csrf, forms' hidden field), never from the cookie.
    A deletion (empty value, Max-Age 0, as Django's delete_cookie writes it) carries nothing: it needs SameSite
    only, since Django does not mark deletions Secure or HttpOnly unless the name has a __Host- prefix."""
    problems = []
    for name, morsel in response.cookies.items():
        deletion = morsel.value == "" and str(morsel["max-age"]) == "0"
        if not deletion and not morsel["secure"]:
            problems.append(f"cookie {name} is not Secure")
        if not deletion and not morsel["httponly"]:
            problems.append(f"cookie {name} is not HttpOnly")
        if str(morsel["samesite"]).lower() not in ("lax", "strict"):
            problems.append(f"cookie {name} has SameSite {morsel['samesite']!r}")
        if name.startswith("__Host-") and (not morsel["secure"] or morsel["path"] != "/" or morsel["domain"]):
            problems.append(f"cookie {name} breaks its __Host- prefix (Secure, Path=/, no Domain)")
    return problems


def _url_names(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def _names_without_arguments() -> dict[str, str]:
    """Every named URL that takes no argument, whatever its app: name -> path."""
    paths = {}
    for name in _url_names(get_resolver().url_patterns):
        try:
            paths[name] = reverse(name)
        except NoReverseMatch:  # it needs arguments (its own or an enclosing include's)
            continue
    return paths


def _other_apps_pages() -> dict[str, str]:
    ours = _url_names_of_our_apps(get_resolver().url_patterns)
    return {name: path for name, path in _names_without_arguments().items() if name not in ours}


@pytest.mark.django_db
def test_login_page_has_a_strict_csp_and_security_headers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_pages_of_a_signed_in_user_are_not_cached(client_for):
    response = client_for("receiving_member").get("/")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_pages_link_no_third_party_host(client_for):
    body = client_for("coordinator").get("/").content.decode()
    for marker in ('src="http', 'href="http'):
        assert marker not in body, f"external asset in page: {marker}"


def test_the_checks_find_weak_headers_and_cookies():
    """The checker itself: a response with every flaw it looks for is reported on each (it can fail)."""
    from django.http import HttpResponse

    response = HttpResponse()
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-eval'"
    )
    response.headers["Strict-Transport-Security"] = "max-age=3600"
    response.set_cookie("tracker", "1")
    response.set_cookie("__Host-x", "1", secure=True, httponly=True, samesite="Lax", domain="example.org")
    response.set_cookie("loose", "1", secure=True, httponly=True, samesite="None")
    found = "\n".join(header_problems(response))
    for expected in (
        "script-src allows [\"'unsafe-inline'\"]",
        "style-src allows [\"'unsafe-eval'\"]",
        "frame-ancestors is None",
        "X-Frame-Options is None",
        "X-Content-Type-Options is None",
        "Referrer-Policy is None",
        "Strict-Transport-Security is 'max-age=3600'",
        "cookie tracker is not Secure",
        "cookie tracker is not HttpOnly",
        "cookie tracker has SameSite ''",
        "cookie __Host-x breaks its __Host- prefix",
        "cookie loose has SameSite 'None'",
    ):
        assert expected in found, f"{expected!r} not reported in:\n{found}"


@pytest.mark.django_db
def test_signing_in_and_out_sets_only_strict_cookies_in_production(production, world, password):
    """The real flow, over HTTPS: login page (CSRF cookie), password, code (session), language, sign-out."""
    user = world.user("coordinator")
    secret = activate_totp(user)
    client = Client()
    seen: dict[str, list[str]] = {}

    def check(label, response):
        seen[label] = sorted(response.cookies)
        assert header_problems(response) == [], f"{label}: {response.status_code}"

    check("login page", client.get(reverse("account_login"), **HTTPS))
    check("password", sign_in(client, user.email, password, **HTTPS))
    code = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)}, **HTTPS)
    check("code", code)
    assert (code.status_code, code["Location"]) == (302, "/")
    check("home", client.get("/", **HTTPS))
    check("language", client.post(reverse("set_language"), {"language": "es", "next": "/"}, **HTTPS))
    check("sign out", client.post(reverse("account_logout"), **HTTPS))

    # Each cookie of the flow was really set (and so checked) somewhere along it.
    cookies = {name for names in seen.values() for name in names}
    assert {
        production.CSRF_COOKIE_NAME,
        production.SESSION_COOKIE_NAME,
        production.LANGUAGE_COOKIE_NAME,
    } <= cookies, seen
    assert production.SESSION_COOKIE_NAME.startswith("__Host-") and production.CSRF_COOKIE_NAME.startswith("__Host-")


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_in_production(production, world):
    response = Client().get("/accounts/login/", headers={"X-Forwarded-Proto": "http"})
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    # The load balancer's probes stay on plain HTTP (SECURE_REDIRECT_EXEMPT).
    assert Client().get("/healthz", headers={"X-Forwarded-Proto": "http"}).status_code == 200


@pytest.mark.django_db
def test_every_page_carries_the_security_headers_in_production(production, world):
    """Every request of the access matrix as the coordinator, every other named page without arguments as the
    coordinator, the site admin and an anonymous visitor: 200s, redirects, 403s, 404s, 405s, API JSON, file
    downloads (attachments, consent files, CSV, PDF, HSDS export) and the calendar feed."""
    objects = _build_objects(world)
    for module in ROW_MODULES:
        objects.update(module.build_objects(world))
    mw = MatrixWorld(world=world, objects=objects)
    coordinator, site_admin = world.user("coordinator"), world.user("site_admin")
    for user in (coordinator, site_admin):
        activate_totp(user)  # production requires MFA: without it every page is the enrolment redirect
    clients = {
        "coordinator": login_client(coordinator, world.tf),
        "site_admin": login_client(site_admin, world.tf),
        "anonymous": Client(),
    }
    column = list(ACTORS).index("coordinator")
    failures, fetched, statuses = [], [], set()

    def fetch(who: str, path: str, label: str):
        response = clients[who].get(path, **HTTPS)
        fetched.append(label)
        statuses.add(response.status_code)
        failures.extend(f"{label} as {who} ({response.status_code}): {p}" for p in header_problems(response))
        return response

    kwargs = {target: TARGETS[target].kwargs(mw, coordinator) for target in {req.target for req in MATRIX} - {None}}
    names_fetched, paths_fetched = set(), set()
    # GET rows first: a POST row's path is fetched (with GET) only when no GET row did.
    for req, outcomes in sorted(MATRIX.items(), key=lambda item: item[0].method != "GET"):
        path = reverse(req.name, kwargs=kwargs[req.target] if req.target else URL_KWARGS_WITHOUT_TARGET.get(req.name))
        names_fetched.add(req.name)
        if req.method != "GET" and path in paths_fetched:
            continue
        paths_fetched.add(path)
        response = fetch("coordinator", path, f"{req.id} {path}")
        if req.method != "GET":
            continue
        # The page itself was reached, not an MFA or HTTPS redirect standing in for it.
        expected = outcomes[column]
        if isinstance(expected, Redirect):
            got = (response.status_code, response.get("Location", "").split("?")[0])
            if got[0] != 302 or not expected.matches(got[1]):
                failures.append(f"{req.id}: expected {expected!r}, got {got}")
        elif response.status_code != expected:
            failures.append(f"{req.id}: expected {expected}, got {response.status_code}")

    others = _other_apps_pages()
    for name, path in sorted(others.items()):
        fetch("site_admin" if name.startswith("admin:") else "coordinator", path, f"{name} {path}")
        names_fetched.add(name)
    for name, path in sorted(_names_without_arguments().items()):
        fetch("anonymous", path, f"{name} (anonymous)")

    assert failures == [], "\n".join(failures)
    # Every URL name of our apps and every argument-free one of the others was fetched at least once.
    ours = _url_names_of_our_apps(get_resolver().url_patterns)
    assert ours <= names_fetched, sorted(ours - names_fetched)
    get_names = {req.name for req in MATRIX if req.method == "GET"} | set(others)
    assert len(fetched) >= len(get_names)
    assert {200, 302, 403, 404, 405} <= statuses, statuses
