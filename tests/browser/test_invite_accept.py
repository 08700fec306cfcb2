"""A partner admin invites someone by email; the invitee opens the emailed link in a browser of their own,
sets a name and password, lands signed in on the directory; the link then no longer works; the admin
deactivates them and their next page load is signed out. Every page passes the page checks (CSP, console,
375 px, axe-core)."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import ConsoleMessage, expect

from partners.models import Partner

from .conftest import CSP_LISTENER, TIMEOUT, VIEWPORTS, Browsing

pytestmark = pytest.mark.browser

LINK = re.compile(r"(https?://[^/\s]+)(/invitations/[A-Za-z0-9_-]+/)")


@contextmanager
def another_browser(browser, base_url: str, viewport: str):
    """A fresh browser context (no cookies shared with the admin's), checked like the ``ui`` fixture's."""
    context = browser.new_context(**VIEWPORTS[viewport], locale="en-US")
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    browsing = Browsing(page=page, base_url=base_url, width_name=viewport)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            browsing.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: browsing.console_errors.append(f"uncaught: {error}"))
    context.expose_function("__psnReportCsp", lambda violation: browsing.csp_reports.append(violation))
    try:
        yield browsing
    finally:
        context.close()
    assert browsing.csp_reports == [], browsing.csp_reports
    assert browsing.console_errors == [], browsing.console_errors


def test_a_partner_admin_invites_and_the_invitee_joins_then_loses_access(ui, people, browser, viewport, mailoutbox):
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    members_path = f"/directory/partners/{police.pk}/members/"
    page = ui.page
    ui.log_in(people.partner_admin.email)
    ui.expect_path("/")

    ui.goto(members_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Members of City Police")
    page.get_by_role("link", name="Invite a member").click()
    ui.expect_path(f"{members_path}invite/")
    ui.check()
    page.get_by_label("Email address").fill("Nia.New@example.org")
    page.get_by_label("Role").select_option("referral_staff")
    page.get_by_role("button", name="Send invitation").click()
    ui.expect_path(members_path)
    expect(page.get_by_role("status")).to_contain_text("Invitation sent to nia.new@example.org.")
    expect(page.get_by_role("region", name="Open invitations")).to_contain_text("nia.new@example.org")
    ui.check()

    [email] = mailoutbox
    assert email.to == ["nia.new@example.org"]
    origin, link_path = LINK.search(email.body).groups()
    assert origin == ui.base_url

    with another_browser(browser, ui.base_url, viewport) as invitee:
        invitee.goto(link_path)
        newcomer = invitee.page
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("Accept invitation")
        expect(newcomer.get_by_label("Email address")).to_have_value("nia.new@example.org")
        expect(newcomer.get_by_label("Email address")).not_to_be_editable()
        newcomer.get_by_label("Your name").fill("Nia New")
        newcomer.get_by_label(re.compile(r"^Password(?! again)")).fill("a long new passphrase 42")
        newcomer.get_by_label("Password again").fill("a long new passphrase 42")
        newcomer.get_by_role("button", name="Create account and join").click()
        invitee.expect_path("/directory/services/")
        expect(newcomer.get_by_role("status")).to_contain_text("You joined City Police as Referral staff.")
        invitee.check()

        # The link worked once.
        invitee.goto(link_path, check=False)
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("This invitation is not valid any more")
        invitee.forget_console_errors(r"status of 410")
        invitee.check()

        # The admin sees the new member and deactivates them.
        ui.goto(members_path)
        members_table = page.get_by_role("region", name="Members")
        expect(members_table).to_contain_text("nia.new@example.org")
        expect(page.get_by_role("region", name="Open invitations")).to_contain_text("No open invitations.")
        members_table.get_by_role("link", name="Deactivate nia.new@example.org").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Deactivate nia.new@example.org?")
        ui.check()
        page.get_by_role("button", name="Deactivate").click()
        ui.expect_path(members_path)
        expect(page.get_by_role("status")).to_contain_text("nia.new@example.org no longer has access.")
        ui.check()

        # The invitee's very next page load: signed out.
        invitee.goto("/directory/services/", check=False)
        invitee.expect_path("/accounts/login/")
        expect(newcomer.get_by_role("heading", level=1)).to_have_text("Sign in")
        invitee.check()
