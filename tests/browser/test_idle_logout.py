"""Idle timeout: a warning before the server signs the user out, and "Stay signed in" to prevent it.

The limits are shortened to seconds here. The server records activity at most once a minute
(accounts.middleware.ACTIVITY_RESOLUTION), so within these tests only signing in and the keepalive
button move the deadline; the timings below rely on that.
"""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

IDLE_TIMEOUT = 6
IDLE_WARNING = 4


@pytest.fixture
def short_idle(settings):
    settings.PSN_IDLE_TIMEOUT = IDLE_TIMEOUT
    settings.PSN_IDLE_WARNING = IDLE_WARNING


@pytest.mark.parametrize("viewport", ["phone"])
def test_idle_user_is_warned_then_signed_out(ui, people, short_idle):
    page = ui.page
    ui.log_in(people.member.email)
    ui.expect_path("/")
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=IDLE_TIMEOUT * 1000)
    expect(warning).to_contain_text("You will be signed out soon because of inactivity.")
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    ui.check()

    ui.expect_path("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    # The script learns that the session is over from the status endpoint's 401.
    ui.forget_console_errors(r"status of 401 .*/session/status/")
    ui.check()
    ui.goto("/", check=False)
    ui.expect_path("/accounts/login/")


@pytest.mark.parametrize("viewport", ["desktop"])
def test_stay_signed_in_moves_the_deadline(ui, people, short_idle):
    page = ui.page
    ui.log_in(people.member.email)
    ui.expect_path("/")
    # The server stamped the last activity before this moment: the original deadline is at most
    # IDLE_TIMEOUT from here.
    signed_in_at = time.monotonic()
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=IDLE_TIMEOUT * 1000)
    ui.check()

    # Click at +3 s: the new deadline is at least +9 s, so +7 s is past the old one and before the new.
    time.sleep(max(0, signed_in_at + 3 - time.monotonic()))
    warning.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    time.sleep(max(0, signed_in_at + IDLE_TIMEOUT + 1 - time.monotonic()))

    ui.expect_path("/")
    page.reload()
    ui.expect_path("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
    ui.check()
