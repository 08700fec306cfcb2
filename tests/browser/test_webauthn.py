"""Security keys (WebAuthn) as the second factor: adding one through allauth's pages and signing in with it.

Chromium's DevTools protocol stands in for the hardware: a virtual CTAP2 authenticator, attached to the
test's tab, that answers every ``navigator.credentials`` call at once as if the user touched the key.

The live server is http://localhost:<port>. Browsers count localhost as a secure context, and fido2 (2.x,
under allauth) accepts http://localhost as an origin for the RP ID "localhost", so these tests run with
allauth's origin check on (MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN off, as in production, which is HTTPS).
"""

import base64
from dataclasses import dataclass

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import CDPSession, expect

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@dataclass
class SecurityKey:
    """A virtual authenticator plugged into the test's tab."""

    cdp: CDPSession
    authenticator_id: str

    def credentials(self) -> list[dict]:
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator_id})["credentials"]


@pytest.fixture
def security_key(ui, settings) -> SecurityKey:
    # allauth reads the setting per request: off here means the origin check really ran.
    assert not settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN
    cdp = ui.page.context.new_cdp_session(ui.page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return SecurityKey(cdp=cdp, authenticator_id=added["authenticatorId"])


def add_security_key(ui, security_key: SecurityKey, user, *, name: str, confirm_password: bool) -> None:
    """From the two-factor overview, add the virtual key.

    allauth asks for the password again unless the user confirmed it in the last five minutes
    (ACCOUNT_REAUTHENTICATION_TIMEOUT); signing in does not count as confirming it.
    """
    page = ui.page
    ui.expect_path("/accounts/2fa/")
    keys_panel = page.locator("section", has=page.get_by_role("heading", name="Security Keys"))
    expect(keys_panel).to_contain_text("No security keys have been added.")
    keys_panel.get_by_role("link", name="Add").click()

    if confirm_password:
        ui.expect_path("/accounts/reauthenticate/")
        ui.check()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()

    name_and_add_the_key(ui, security_key, user, name=name)


def name_and_add_the_key(ui, security_key: SecurityKey, user, *, name: str) -> None:
    """On allauth's "Add Security Key" page: name the key, let the virtual key answer, check what was stored."""
    page = ui.page
    ui.expect_path("/accounts/2fa/webauthn/add/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    ui.check()
    ui.screenshot("webauthn-add")
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Add").click()

    # The first authenticator comes with recovery codes, which allauth shows at once.
    ui.expect_path("/accounts/2fa/recovery-codes/")
    ui.check()
    stored = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN).wrap()
    assert stored.name == name
    # What the server stored is the credential the key holds.
    [credential] = security_key.credentials()
    assert stored.authenticator_data.credential_data.credential_id == base64.b64decode(credential["credentialId"])


def sign_in_with_security_key(ui, security_key: SecurityKey, user) -> None:
    """Password first, then the key on allauth's second step, which leads to the home page."""
    page = ui.page
    sign_count = security_key.credentials()[0]["signCount"]
    ui.log_in(user.email)
    ui.expect_path("/accounts/2fa/authenticate/")
    ui.check()
    ui.screenshot("webauthn-authenticate")
    page.get_by_role("button", name="Use a security key").click()
    ui.expect_path("/")
    # The key really signed this sign-in.
    assert security_key.credentials()[0]["signCount"] > sign_count


def test_user_adds_a_security_key_and_signs_in_with_it(ui, people, security_key):
    page = ui.page
    ui.log_in(people.member.email)
    ui.expect_path("/")
    ui.goto("/profile/")
    page.get_by_role("link", name="Manage two-factor authentication").click()
    ui.check()
    add_security_key(ui, security_key, people.member, name="Blue key", confirm_password=True)

    ui.goto("/accounts/2fa/")
    keys_panel = page.locator("section", has=page.get_by_role("heading", name="Security Keys"))
    expect(keys_panel).to_contain_text("You have added 1 security key.")
    keys_panel.get_by_role("link", name="Manage").click()
    ui.expect_path("/accounts/2fa/webauthn/")
    expect(page.get_by_role("table")).to_contain_text("Blue key")
    ui.check()

    ui.sign_out()
    ui.check()
    sign_in_with_security_key(ui, security_key, people.member)
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
    ui.check()


def test_required_mfa_is_met_by_a_security_key_alone(ui, people, security_key, settings):
    settings.PSN_REQUIRE_MFA = True
    page = ui.page
    ui.log_in(people.member.email)
    ui.expect_path("/accounts/reauthenticate/")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    ui.expect_path("/accounts/2fa/totp/activate/")
    ui.check()

    # A key instead of an authenticator app, through the forced setup page's own link.
    page.get_by_role("link", name="Use a security key instead").click()
    name_and_add_the_key(ui, security_key, people.member, name="Green key")
    assert not Authenticator.objects.filter(user=people.member, type=Authenticator.Type.TOTP).exists()
    ui.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)

    ui.sign_out()
    sign_in_with_security_key(ui, security_key, people.member)
    expect(page.get_by_role("heading", level=1)).to_have_text(people.tf.name)
    expect(page.get_by_text("Demo mode")).to_have_count(0)
    ui.check()
    ui.goto("/profile/")
    ui.expect_path("/profile/")
    expect(page.get_by_text("Two-factor authentication is on.")).to_be_visible()
    # The API (same session) lets the user in as well, rather than answering "mfa_required".
    response = page.request.get(ui.url("/api/v1/me/"))
    assert response.status == 200, response.text()
    assert response.json()["email"] == people.member.email
