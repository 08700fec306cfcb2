"""The main journeys of a coordinator and a partner admin; every page on the way passes the page checks."""

import pytest
from playwright.sync_api import expect

from accounts.models import ApiToken

pytestmark = pytest.mark.browser


def test_coordinator_reads_audit_trail_makes_a_token_and_visits_every_account_page(ui, people):
    page = ui.page
    ui.log_in(people.coordinator.email)
    ui.expect_path("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
    ui.check()

    ui.follow_menu("Audit trail")
    ui.expect_path("/audit/")
    expect(page.get_by_role("table")).to_contain_text(people.coordinator.email)
    ui.check()
    page.get_by_label("Action").select_option("logged_in")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(ui.url("/audit/") + "?action=logged_in&actor=&object_type=&object_id=&since=&until=")
    ui.check()

    ui.follow_menu("Locked accounts")
    ui.expect_path("/lockouts/")
    expect(page.get_by_text("No locked accounts.")).to_be_visible()
    ui.check()

    ui.follow_menu("Profile")
    ui.expect_path("/profile/")
    ui.check()
    page.get_by_label("Token name").fill("nightly export")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token")
    expect(secret).to_be_visible()
    assert ApiToken.objects.filter(user=people.coordinator, name="nightly export", revoked_at=None).count() == 1
    ui.check()
    page.get_by_role("button", name="Revoke nightly export").click()
    expect(page.get_by_role("status")).to_contain_text("revoked")
    ui.check()

    page.get_by_role("link", name="Your sessions").click()
    ui.expect_path("/accounts/sessions/")
    expect(page.get_by_role("table")).to_be_visible()
    ui.check()

    ui.goto("/profile/", check=False)
    page.get_by_role("link", name="Manage two-factor authentication").click()
    ui.expect_path("/accounts/2fa/")
    ui.check()

    ui.goto("/profile/", check=False)
    page.get_by_role("link", name="Change password").click()
    ui.expect_path("/accounts/password/change/")
    ui.check()

    ui.follow_menu("API")
    ui.expect_path("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("PSN Hub API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    ui.check()

    ui.goto("/no-such-page/", check=False)
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    ui.forget_console_errors(r"status of 404 .*/no-such-page/")
    ui.check()

    ui.goto("/")
    ui.sign_out()
    ui.check()


def test_locked_account_is_unlocked_by_its_partner_admin(ui, people, settings):
    page = ui.page
    for _attempt in range(settings.PSN_LOCKOUT_FAILURES - 1):
        ui.log_in(people.officer.email, "not the password at all")
        expect(page.get_by_role("alert")).to_be_visible()
        ui.check(axe=False)
    ui.log_in(people.officer.email, "not the password at all")
    expect(page.get_by_role("heading", level=1)).to_have_text("Account locked")
    # The lockout page answers 429 Too Many Requests, which Chromium reports on the console.
    ui.forget_console_errors(r"status of 429 .*/accounts/login/")
    ui.check()

    ui.log_in(people.partner_admin.email)
    ui.expect_path("/")
    ui.follow_menu("Locked accounts")
    ui.expect_path("/lockouts/")
    expect(page.get_by_role("table")).to_contain_text(people.officer.email)
    ui.check()
    page.get_by_role("button", name=f"Unlock {people.officer.email}").click()
    expect(page.get_by_role("status")).to_contain_text(f"{people.officer.email} can sign in again.")
    expect(page.get_by_text("No locked accounts.")).to_be_visible()
    ui.check()
    ui.sign_out()

    ui.log_in(people.officer.email)
    ui.expect_path("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
