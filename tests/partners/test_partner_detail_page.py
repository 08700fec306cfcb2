"""A partner's page in the directory: its facts, services, contacts, locations and languages; 404 beyond
what the reader may see."""

import pytest

from partners.models import Contact, Location


@pytest.fixture
def partner_page(directory, world):
    Contact.objects.create(
        task_force=world.tf, partner=world.receiving, name="Dana Reyes", title="Intake", phone="816-555-0100"
    )
    Location.objects.create(task_force=world.tf, partner=world.receiving, name="Main office", city="Kansas City")
    return f"/directory/partners/{world.receiving.pk}/"


def test_a_member_of_another_partner_reads_the_partner_page(client_for, partner_page):
    response = client_for("sending_member").get(partner_page)

    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Workforce Center", "Mentoring Circle", "Welding course", "Dana Reyes", "Main office", "Spanish"):
        assert text in page, text
    assert "Retired mentoring desk" not in page  # an inactive service shows to coordinators only


def test_a_coordinator_sees_the_inactive_services_on_the_partner_page(client_for, partner_page):
    assert "Retired mentoring desk" in client_for("coordinator").get(partner_page).content.decode()


def test_an_inactive_partner_is_found_only_by_coordinators(client_for, directory):
    path = f"/directory/partners/{directory.closed_partner.pk}/"

    assert client_for("coordinator").get(path).status_code == 200
    assert "only coordinators see it" in client_for("coordinator").get(path).content.decode()
    assert client_for("receiving_partner_admin").get(path).status_code == 404
    assert client_for("sending_member").get(path).status_code == 404


def test_a_partner_of_another_task_force_is_not_found(client_for, world, directory):
    assert client_for("coordinator").get(f"/directory/partners/{world.foreign.pk}/").status_code == 404
    assert client_for("site_admin").get(f"/directory/partners/{world.foreign.pk}/").status_code == 404


def test_an_id_too_large_for_the_database_is_not_found(client_for, directory):
    assert client_for("receiving_member").get(f"/directory/partners/{'9' * 30}/").status_code == 404


def test_the_partner_page_runs_a_fixed_number_of_queries(client_for, partner_page, django_assert_num_queries):
    client = client_for("sending_member")
    client.get(partner_page)

    # session, user, actor; the partner; its languages, locations, contacts; its services; their
    # categories; their languages.
    with django_assert_num_queries(10):
        assert client.get(partner_page).status_code == 200
