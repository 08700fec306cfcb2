"""A member searches the directory in the browser (issue 4, item 2): text, then a category and a language
together; the URL holds the filters, so a reload or a link shared with a colleague shows the same services;
the results paginate with the filters kept; a service opens. At desktop and phone widths, every page passing
the page checks (CSP, console, no sideways scroll at 375 px, axe-core)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from partners.models import Language, Partner, TaxonomyTerm
from partners.services import taxonomy_seed
from tests.factories import PASSWORD, ServiceFactory

from .conftest import CSP_LISTENER, TIMEOUT, VIEWPORTS, Browsing

pytestmark = pytest.mark.browser

MATCHES = 30  # Spanish mentoring services: more than one page of 25


def _directory(people) -> None:
    """Services that match the search and both filters, and look-alikes that each miss one of them."""
    for task_force in (people.tf, people.other_tf):
        taxonomy_seed(task_force=task_force)
    english, _ = Language.objects.get_or_create(code="en", defaults={"name": "English"})
    spanish, _ = Language.objects.get_or_create(code="es", defaults={"name": "Spanish"})

    def term(task_force, code):
        return TaxonomyTerm.objects.get(task_force=task_force, code=code)

    workforce = Partner.objects.get(task_force=people.tf, name="Workforce Center")
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    mentoring, family, housing = (term(people.tf, code) for code in ("PSN-MEN", "PSN-FAM", "PSN-HOU"))
    for number in range(1, MATCHES + 1):
        ServiceFactory(
            partner=workforce if number % 2 else police,
            name=f"Youth mentoring group {number:02d}",
            description="Weekly mentoring with credible messengers, in English and Spanish.",
            categories=[mentoring],
            languages=[english, spanish],
            eligibility="Ages 14 to 24.",
        )
    # The words match, a filter does not: another category, English only, or no mentoring at all.
    ServiceFactory(partner=workforce, name="Mentoring for fathers", categories=[family], languages=[spanish])
    ServiceFactory(partner=workforce, name="Mentoring circle in English", categories=[mentoring], languages=[english])
    ServiceFactory(partner=police, name="Rental help", categories=[housing], languages=[spanish])
    # Another task force's service matches everything and never shows.
    other_police = Partner.objects.get(task_force=people.other_tf, name="Other Police")
    ServiceFactory(
        partner=other_police,
        name="Youth mentoring group elsewhere",
        categories=[term(people.other_tf, "PSN-MEN")],
        languages=[spanish],
    )


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def _expect_first_page(ui: Browsing) -> None:
    page = ui.page
    expect(page.locator("caption")).to_have_text(f"{MATCHES} services")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + 25)  # the header row and a full page
    expect(table).to_contain_text("Youth mentoring group 01")
    for absent in ("Mentoring for fathers", "Mentoring circle in English", "Rental help", "elsewhere"):
        expect(table).not_to_contain_text(absent)
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of 2")
    # The form shows what was asked for.
    search = page.get_by_role("search")
    expect(search.get_by_role("textbox", name="Search")).to_have_value("mentoring")
    expect(search.get_by_label("Category")).to_have_value("PSN-MEN")
    expect(search.get_by_label("Language")).to_have_value("es")


def test_a_member_searches_filters_shares_and_paginates_the_directory(ui, people, browser, viewport, live_server):
    _directory(people)
    page = ui.page
    ui.log_in(people.member.email)
    ui.expect_path("/")

    ui.follow_menu("Directory")
    ui.expect_path("/directory/services/")
    expect(page.locator("caption")).to_have_text(f"{MATCHES + 3} services")
    ui.check()

    # Text first: every mentoring service of the task force, none of the other's.
    search = page.get_by_role("search")
    search.get_by_role("textbox", name="Search").fill("mentoring")
    search.get_by_role("button", name="Search").click()
    expect(page.locator("caption")).to_have_text(f"{MATCHES + 2} services")  # not "Rental help", not elsewhere
    expect(page.get_by_role("table")).to_contain_text("Youth mentoring group 01")
    ui.check()

    # Then a category and a language together, on top of the text.
    search = page.get_by_role("search")
    search.get_by_label("Category").select_option("PSN-MEN")
    search.get_by_label("Language").select_option("es")
    search.get_by_role("button", name="Search").click()
    page.wait_for_url(lambda url: _query(url).get("category") == "PSN-MEN")
    assert _query(page.url).items() >= {"q": "mentoring", "category": "PSN-MEN", "language": "es"}.items()
    _expect_first_page(ui)
    ui.check()

    # The URL is the state: a reload shows the same page.
    shared_url = page.url
    page.reload()
    _expect_first_page(ui)
    ui.check()

    # So does the link sent to a colleague, who signs in first and lands on it.
    colleague = _other_browser(browser, viewport, live_server)
    try:
        colleague.page.goto(shared_url)
        colleague.expect_path("/accounts/login/")
        colleague.page.get_by_label("Email").fill(people.officer.email)
        colleague.page.get_by_label("Password").fill(PASSWORD)
        colleague.page.get_by_role("button", name="Sign in").click()
        colleague.page.wait_for_url(lambda url: url == shared_url)
        _expect_first_page(colleague)
        colleague.check()
    finally:
        colleague.page.context.close()

    # The next page keeps the filters.
    page.get_by_role("navigation", name="Pages").get_by_role("link", name="Next").click()
    page.wait_for_url(lambda url: _query(url).get("page") == "2")
    assert _query(page.url).items() >= {"q": "mentoring", "category": "PSN-MEN", "language": "es"}.items()
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 2 of 2")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(1 + MATCHES - 25)
    expect(table).to_contain_text(f"Youth mentoring group {MATCHES}")
    expect(table).not_to_contain_text("Youth mentoring group 01")
    ui.check()

    # And a service opens.
    table.get_by_role("link", name=f"Youth mentoring group {MATCHES}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Youth mentoring group {MATCHES}")
    expect(page.get_by_text("Ages 14 to 24.")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Spanish")
    ui.check()


def _other_browser(browser, viewport: str, live_server) -> Browsing:
    """A second person's browser: its own context (no shared session), checked like the first."""
    context = browser.new_context(**VIEWPORTS[viewport], locale="en-US")
    context.set_default_timeout(TIMEOUT)
    context.add_init_script(CSP_LISTENER)
    browsing = Browsing(page=context.new_page(), base_url=live_server.url, width_name=viewport)

    def on_console(message) -> None:
        if message.type == "error":
            browsing.console_errors.append(message.text)

    browsing.page.on("console", on_console)
    browsing.page.on("pageerror", lambda error: browsing.console_errors.append(f"uncaught: {error}"))
    return browsing
