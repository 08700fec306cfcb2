"""Security headers on every response (issue 3, item 8)."""

import pytest


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
