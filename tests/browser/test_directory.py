"""A member searches the directory, filters it, and opens a service and its partner; every page passes the
page checks (CSP, console, 375 px, axe-core)."""

import pytest
from playwright.sync_api import expect

from partners.models import Language, Partner, TaxonomyTerm
from partners.services import taxonomy_seed
from tests.factories import ServiceFactory

pytestmark = pytest.mark.browser


def test_a_member_searches_and_filters_the_directory(ui, people):
    taxonomy_seed(task_force=people.tf)
    workforce = Partner.objects.get(task_force=people.tf, name="Workforce Center")
    ServiceFactory(
        partner=workforce,
        name="Mentoring Circle",
        description="Weekly group sessions with credible messengers.",
        categories=[TaxonomyTerm.objects.get(task_force=people.tf, code="PSN-MEN")],
        languages=[Language.objects.get_or_create(code="es", defaults={"name": "Spanish"})[0]],
        eligibility="Ages 16 to 24.",
    )
    ServiceFactory(partner=workforce, name="Welding course", accepting_referrals=False)
    page = ui.page
    ui.log_in(people.officer.email)
    ui.expect_path("/")

    ui.follow_menu("Directory")
    ui.expect_path("/directory/services/")
    expect(page.get_by_role("table")).to_contain_text("Welding course")
    ui.check()

    search = page.get_by_role("search")
    search.get_by_role("textbox", name="Search").fill("mentoring")
    search.get_by_label("Language").select_option("es")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    ui.expect_path("/directory/services/")
    expect(page.get_by_role("table")).to_contain_text("Mentoring Circle")
    expect(page.get_by_role("table")).not_to_contain_text("Welding course")
    ui.check()

    page.get_by_role("link", name="Mentoring Circle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentoring Circle")
    expect(page.get_by_text("Ages 16 to 24.")).to_be_visible()
    ui.check()

    page.get_by_role("link", name="Workforce Center").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workforce Center")
    ui.check()

    page.get_by_role("link", name="Partners", exact=True).click()
    ui.expect_path("/directory/partners/")
    page.get_by_role("search").get_by_label("Kind").select_option("law_enforcement")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page.get_by_role("table")).to_contain_text("City Police")
    expect(page.get_by_role("table")).not_to_contain_text("Workforce Center")
    ui.check()
