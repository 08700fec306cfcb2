"""The closed loop as two people in two browsers: the police partner's referral staff files a referral for a
consented person from the inbox's "New referral" button (person found by search, no JavaScript) and submits it;
the workforce center's referral staff finds it in their inbox, accepts it, starts work and completes it with an
outcome; the sender then sees it completed, with the whole timeline. Every page passes the page checks (CSP,
console, 375 px, axe-core)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import ReasonKind, Referral, Status
from cases.reasons import reason_codes_seed
from partners.models import Partner, Role, TaxonomyTerm
from tests.factories import ConsentFactory, MembershipFactory, PersonFactory, UserFactory

from .test_invite_accept import another_browser

pytestmark = pytest.mark.browser

DETAIL = re.compile(r"/referrals/(\d+)/$")


@pytest.fixture
def loop(people):
    """Referral staff at both partners, the task force's reason codes, a need and a person the police consented."""
    police = Partner.objects.get(task_force=people.tf, name="City Police")
    workforce = Partner.objects.get(task_force=people.tf, name="Workforce Center")
    sender = UserFactory(email="sender@example.org", full_name="Sam Sender")
    MembershipFactory(user=sender, partner=police, role=Role.REFERRAL_STAFF)
    receiver = UserFactory(email="receiver@example.org", full_name="Rae Receiver")
    MembershipFactory(user=receiver, partner=workforce, role=Role.REFERRAL_STAFF)
    reason_codes_seed(task_force=people.tf)
    TaxonomyTerm.objects.create(task_force=people.tf, code="employment", name="Employment")
    person = PersonFactory(task_force=people.tf, given_name="Jonah", family_name="Quintero-Bright", created_by=sender)
    ConsentFactory(person=person, recorded_by_partner=police)
    return sender, receiver, person


def test_two_partners_close_the_loop(ui, people, loop, browser, viewport):
    sender, receiver, person = loop
    page = ui.page
    ui.log_in(sender.email)
    ui.expect_path("/")
    ui.check()

    # A files and submits the referral.
    page.get_by_role("link", name="New referral").click()
    ui.expect_path("/referrals/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral")
    ui.check()
    page.get_by_label("Find a person").fill("quintero")
    page.get_by_role("button", name="Search").click()
    ui.check()
    page.get_by_role("link", name="Choose Jonah Quintero-Bright").click()
    expect(page.locator(".chosen-person")).to_contain_text("Jonah Quintero-Bright")
    ui.check()
    expect(page.get_by_label("From (sending partner)")).to_have_value(
        str(person.created_by.memberships.get().partner_id)
    )
    page.get_by_label("To (receiving partner)").select_option(label="Workforce Center")
    page.get_by_label("Employment").check()
    page.get_by_label("Priority").select_option("urgent")
    page.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_label("Message to the receiving partner").fill("Wants steady work; reach him after 5 pm.")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(DETAIL)
    referral = Referral.objects.get()
    assert referral.status == Status.SUBMITTED
    expect(page.get_by_role("status")).to_contain_text(f"Referral {referral.reference} was submitted to Workforce")
    ui.check()

    # B finds it in the inbox and works it to completion.
    with another_browser(browser, ui.base_url, viewport) as receiving:
        other = receiving.page
        receiving.log_in(receiver.email)
        receiving.expect_path("/")
        new = other.locator("section.inbox-new")
        expect(new).to_contain_text(referral.reference)
        receiving.check()
        new.get_by_role("link", name=referral.reference).click()
        receiving.expect_path(f"/referrals/{referral.pk}/")
        expect(other.locator(".referral-facts")).to_contain_text("Jonah Quintero-Bright")
        expect(other.locator(".referral-facts")).to_contain_text("Wants steady work")
        receiving.check()
        other.get_by_role("button", name="Accept", exact=True).click()
        expect(other.get_by_role("status")).to_contain_text("was accepted")
        receiving.check()
        other.get_by_role("button", name="Start work", exact=True).click()
        expect(other.get_by_role("status")).to_contain_text("has started")
        receiving.check()
        outcome = referral.task_force.reason_codes.filter(kind=ReasonKind.OUTCOME, needs_text=False).first()
        complete = other.locator("form.action-complete")
        complete.get_by_label("Reason").select_option(label=outcome.label)
        complete.get_by_label("Explanation").fill("Started at the warehouse on Monday.")
        complete.get_by_role("button", name="Complete").click()
        expect(other.get_by_role("status")).to_contain_text("was completed")
        receiving.check()

    # A sees it completed, with the timeline of every move.
    ui.goto(f"/referrals/{referral.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
    timeline = page.locator("ol.timeline")
    for step in ("Draft", "Submitted", "Accepted", "In progress", "Completed"):
        expect(timeline).to_contain_text(step)
    expect(timeline).to_contain_text("Rae Receiver (Workforce Center)")
    expect(page.locator(".referral-facts")).to_contain_text(outcome.label)
    referral.refresh_from_db()
    assert referral.status == Status.COMPLETED and referral.close_reason == outcome
