"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

Every page a test visits goes through ``Browsing.check()``: zero Content-Security-Policy violations
(counted in the page by a ``securitypolicyviolation`` listener), no console errors, no horizontal
scroll at phone width, and no serious or critical axe-core finding.
"""

import functools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import ConsoleMessage, Page, expect, sync_playwright

from partners.models import PartnerKind, Role
from tests.factories import PASSWORD, MembershipFactory, PartnerFactory, TaskForceFactory, UserFactory

# The live server runs in a thread of this process while Playwright's sync API runs an event loop in
# the test's thread; Django's async-safety guard would refuse the ORM calls the tests make meanwhile.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True},
}
PHONE_WIDTH = 375
TOTP_MARGIN = 5  # seconds a typed code needs to reach the server
# Expect timeouts (ms): generous, since a CI machine may be slow; a passing test never waits this long.
TIMEOUT = 15_000

expect.set_options(timeout=TIMEOUT)

# Runs in every document before its own scripts: counts CSP violations where the test can read them.
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  var violation = {
    directive: event.effectiveDirective || event.violatedDirective,
    blockedURI: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
    page: document.location.href
  };
  window.__cspViolations.push(violation);
  if (window.__psnReportCsp) { window.__psnReportCsp(violation); }
});
"""

# Lets the event loop run once more so that violation events queued while the page loaded are delivered.
FLUSH = "() => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)))"

AXE_RUN = """
async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " "))
  }));
}
"""


@dataclass
class Browsing:
    """One browser context at one width, with what the checks collected so far."""

    page: Page
    base_url: str
    width_name: str
    console_errors: list[str] = field(default_factory=list)
    csp_reports: list[dict] = field(default_factory=list)
    checked_urls: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str, *, check: bool = True) -> None:
        self.page.goto(self.url(path))
        if check:
            self.check()

    def expect_path(self, path: str) -> None:
        """Wait until the page's URL path is ``path`` (query string ignored)."""
        self.page.wait_for_url(re.compile("^" + re.escape(self.base_url + path) + r"(\?.*)?$"), timeout=TIMEOUT)

    def check(self, *, axe: bool = True) -> None:
        """The checks every visited page must pass. Call after each navigation."""
        page = self.page
        page.wait_for_load_state("load")
        page.evaluate(FLUSH)
        where = f"{page.url} at {self.width_name} width"
        violations = page.evaluate("window.__cspViolations || []")
        assert violations == [], f"CSP violations on {where}:\n" + "\n".join(
            f"- {v['directive']} blocked {v['blockedURI'] or '(inline)'} from {v['source']} sample={v['sample']!r}"
            for v in violations
        )
        assert self.console_errors == [], f"Console errors up to {where}:\n" + "\n".join(self.console_errors)
        if self.width_name == "phone":
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= PHONE_WIDTH, f"{where}: page is {scroll_width} px wide, scrolls sideways"
        if axe:
            self.axe_check()
        self.checked_urls.append(page.url)

    def axe_check(self) -> None:
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # evaluate() runs through the DevTools protocol, which the page's CSP does not govern;
            # a <script> tag (add_script_tag) would be refused by script-src 'self'.
            page.evaluate(_axe_source())
        findings = [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
        assert findings == [], f"axe-core findings on {page.url} at {self.width_name} width:\n" + "\n".join(
            f"- [{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in findings
        )

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        """Fill in and send the sign-in form (the caller waits for where it should land)."""
        self.goto("/accounts/login/")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def follow_menu(self, name: str) -> None:
        """Follow a link of the header's main navigation (behind the "Menu" button on a phone)."""
        if self.width_name == "phone":
            self.page.locator("summary", has_text="Menu").click()
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()

    def sign_out(self) -> None:
        if self.width_name == "phone":
            self.page.locator("summary", has_text="Menu").click()
        self.page.get_by_role("navigation", name="Main").get_by_role("button", name="Sign out").click()
        self.expect_path("/accounts/login/")

    def forget_console_errors(self, pattern: str) -> None:
        """Drop console errors a test expects (matching the regular expression ``pattern``)."""
        self.console_errors[:] = [e for e in self.console_errors if not re.search(pattern, e)]

    def screenshot(self, name: str) -> Path:
        folder = Path("/tmp/shots")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{self.width_name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def totp_code(secret: str) -> str:
    """The code an authenticator app shows for ``secret`` (allauth's own algorithm).

    allauth accepts only the current 30-second period (MFA_TOTP_TOLERANCE 0), so a code made in the
    last seconds of a period could reach the server in the next one: wait for the new period then.
    """
    period = mfa_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < TOTP_MARGIN:
        time.sleep(left + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // period))


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    """The width a test runs at; a test may pin one with ``@pytest.mark.parametrize("viewport", ["phone"])``."""
    return request.param


@pytest.fixture
def ui(browser, live_server, viewport, transactional_db):
    context = browser.new_context(**VIEWPORTS[viewport], locale="en-US")
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    browsing = Browsing(page=page, base_url=live_server.url, width_name=viewport)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location.get("url", "") if message.location else ""
            browsing.console_errors.append(f"{message.text} ({location})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browsing.console_errors.append(f"uncaught: {error}"))
    # Violations also reach Python at once, so one on a page the test navigated away from still counts.
    context.expose_function("__psnReportCsp", lambda violation: browsing.csp_reports.append(violation))
    yield browsing
    context.close()
    assert browsing.csp_reports == [], f"CSP violations during the test: {browsing.csp_reports}"
    assert browsing.console_errors == [], "Console errors after the last check:\n" + "\n".join(browsing.console_errors)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 takes a third of a second per hash here; these tests sign in a lot and test pages, not hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class People:
    """A small task force (and a second one) built in the transactional database the live server sees."""

    tf: object
    other_tf: object
    member: object
    officer: object
    coordinator: object
    partner_admin: object
    two_task_forces: object


@pytest.fixture
def people(transactional_db) -> People:
    tf = TaskForceFactory(name="Western District of Testing", slug="wdt", district="W.D. Testing")
    other_tf = TaskForceFactory(name="Eastern District of Testing", slug="edt", district="E.D. Testing")
    police = PartnerFactory(task_force=tf, name="City Police", kind=PartnerKind.LAW_ENFORCEMENT)
    workforce = PartnerFactory(task_force=tf, name="Workforce Center", kind=PartnerKind.SERVICE_PROVIDER)
    usao = PartnerFactory(task_force=tf, name="U.S. Attorney's Office", kind=PartnerKind.PROSECUTION)
    other_police = PartnerFactory(task_force=other_tf, name="Other Police", kind=PartnerKind.LAW_ENFORCEMENT)

    member = UserFactory(email="member@example.org", full_name="Mia Member")
    MembershipFactory(user=member, partner=workforce, role=Role.MEMBER)
    officer = UserFactory(email="officer@example.org", full_name="Olly Officer")
    MembershipFactory(user=officer, partner=police, role=Role.MEMBER)
    coordinator = UserFactory(email="coordinator@example.org", full_name="Cora Coordinator")
    MembershipFactory(user=coordinator, partner=usao, role=Role.COORDINATOR)
    partner_admin = UserFactory(email="admin.police@example.org", full_name="Pat Admin")
    MembershipFactory(user=partner_admin, partner=police, role=Role.PARTNER_ADMIN)
    both = UserFactory(email="both@example.org", full_name="Bo Both")
    MembershipFactory(user=both, partner=police, role=Role.REFERRAL_STAFF)
    MembershipFactory(user=both, partner=other_police, role=Role.REFERRAL_STAFF)
    return People(
        tf=tf,
        other_tf=other_tf,
        member=member,
        officer=officer,
        coordinator=coordinator,
        partner_admin=partner_admin,
        two_task_forces=both,
    )
