"""Signing in with two-factor authentication, and enrolling in it when it is required."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import expect

from tests.factories import PASSWORD

from .conftest import totp_code

pytestmark = pytest.mark.browser


def test_user_with_totp_signs_in_with_a_code_and_sees_their_task_force(ui, people, settings):
    settings.PSN_REQUIRE_MFA = True
    secret = generate_totp_secret()
    TOTP.activate(people.member, secret)

    ui.goto("/accounts/login/")
    ui.screenshot("login")
    ui.log_in(people.member.email)
    ui.expect_path("/accounts/2fa/authenticate/")
    ui.check()
    ui.page.get_by_label("Code").fill(totp_code(secret))
    ui.page.get_by_role("button", name="Sign In").click()

    ui.expect_path("/")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
    # MFA is enforced here, so the demo-mode banner is gone.
    expect(ui.page.get_by_text("Demo mode")).to_have_count(0)
    ui.check()
    ui.screenshot("home")


def test_wrong_code_keeps_the_user_on_the_code_step(ui, people, settings):
    settings.PSN_REQUIRE_MFA = True
    TOTP.activate(people.member, generate_totp_secret())

    ui.log_in(people.member.email)
    ui.expect_path("/accounts/2fa/authenticate/")
    ui.page.get_by_label("Code").fill("000000")
    ui.page.get_by_role("button", name="Sign In").click()

    expect(ui.page.get_by_text("Incorrect code")).to_be_visible()
    ui.expect_path("/accounts/2fa/authenticate/")
    ui.check()
    # Without the second step there is no way in: the home page leads back to the code.
    ui.goto("/", check=False)
    ui.expect_path("/accounts/2fa/authenticate/")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")


def test_user_without_mfa_must_activate_totp_before_anything_else(ui, people, settings):
    settings.PSN_REQUIRE_MFA = True

    ui.log_in(people.member.email)
    # allauth asks for the password once more before an authenticator is added.
    ui.expect_path("/accounts/reauthenticate/")
    ui.check()
    ui.page.get_by_label("Password").fill(PASSWORD)
    ui.page.get_by_role("button", name="Confirm").click()

    ui.expect_path("/accounts/2fa/totp/activate/")
    qr = ui.page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth > 0 && img.src.startsWith('data:image/svg+xml')")
    ui.check()

    # Any other page sends the user back here until a second factor is set up (allauth draws a new
    # secret for each visit of the page).
    ui.goto("/profile/", check=False)
    ui.expect_path("/accounts/2fa/totp/activate/")
    secret = ui.page.locator("#authenticator-secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)

    ui.page.get_by_label("Authenticator code").fill(totp_code(secret))
    ui.page.get_by_role("button", name="Activate").click()

    ui.expect_path("/accounts/2fa/recovery-codes/")
    ui.check()
    assert Authenticator.objects.filter(user=people.member, type=Authenticator.Type.TOTP).exists()
    ui.goto("/profile/")
    expect(ui.page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    ui.goto("/accounts/2fa/")
    ui.goto("/")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
