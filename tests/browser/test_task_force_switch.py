"""A user of two task forces chooses one after signing in, then switches with the header switcher."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_member_of_two_task_forces_chooses_then_switches(ui, people):
    ui.log_in(people.two_task_forces.email)

    ui.expect_path("/task-force/")
    expect(ui.page.get_by_role("heading", level=1)).to_have_text("Choose a task force")
    ui.check()
    ui.page.get_by_role("button", name=f"Work in {people.other_tf.name}").click()

    ui.expect_path("/")
    heading = ui.page.get_by_role("heading", level=1)
    expect(heading).to_have_text(people.other_tf.name)
    expect(ui.page.get_by_role("status")).to_contain_text(f"You are now working in {people.other_tf.name}.")
    ui.check()

    switcher = ui.page.get_by_label("Task force", exact=True)
    expect(switcher).to_have_value(people.other_tf.slug)
    switcher.select_option(label=people.tf.name)
    ui.page.get_by_role("button", name="Switch").click()

    expect(heading).to_have_text(people.tf.name)
    ui.expect_path("/")
    expect(ui.page.get_by_label("Task force", exact=True)).to_have_value(people.tf.slug)
    ui.check()
