"""The Django admin (site admins): every page loads, changes reach the audit trail, audit events are read-only
and accounts with history cannot be deleted."""

import pytest

from partners.models import Language, Membership, Role, Service, TaxonomyTerm
from partners.services import taxonomy_seed
from psn.models import AuditEvent

from .conftest import login_client

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts/user/",
    "/admin/accounts/apitoken/",
    "/admin/partners/taskforce/",
    "/admin/partners/partner/",
    "/admin/partners/membership/",
    "/admin/partners/service/",
    "/admin/partners/location/",
    "/admin/partners/contact/",
    "/admin/partners/taxonomyterm/",
    "/admin/partners/language/",
    "/admin/partners/partner/add/",
    "/admin/partners/service/add/",
    "/admin/psn/auditevent/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_every_admin_page_loads_for_a_site_admin(world, url):
    assert login_client(world.user("site_admin")).get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["coordinator", "receiving_partner_admin", "receiving_member"])
def test_the_admin_is_closed_to_everyone_else(world, key):
    response = login_client(world.user(key)).get("/admin/partners/membership/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


@pytest.mark.django_db
def test_a_role_changed_in_the_admin_is_in_the_audit_trail_of_its_task_force(world):
    membership = Membership.objects.get(user=world.user("receiving_member"))
    client = login_client(world.user("site_admin"))
    response = client.post(
        f"/admin/partners/membership/{membership.pk}/change/",
        {"user": membership.user_id, "partner": membership.partner_id, "role": Role.REFERRAL_STAFF, "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.role == Role.REFERRAL_STAFF
    event = AuditEvent.objects.get(action="changed", object_type="partners.membership", object_id=str(membership.pk))
    assert event.actor == world.user("site_admin")
    assert event.task_force == world.tf
    assert "Role" in event.changes


@pytest.mark.django_db
def test_audit_events_cannot_be_added_changed_or_deleted_in_the_admin(world):
    client = login_client(world.user("site_admin"))
    event = AuditEvent.objects.filter(action="logged_in").latest("id")
    assert client.get("/admin/psn/auditevent/add/").status_code == 403
    assert client.post(f"/admin/psn/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    change = client.get(f"/admin/psn/auditevent/{event.pk}/change/")
    assert change.status_code == 200
    assert b'name="_save"' not in change.content
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_an_account_with_history_is_deactivated_not_deleted(world):
    target = world.user("receiving_member")
    login_client(target)  # a sign-in: the account now has history in the audit trail
    client = login_client(world.user("site_admin"))
    response = client.post(f"/admin/accounts/user/{target.pk}/delete/", {"post": "yes"})
    assert response.status_code == 200  # Django shows the protected objects instead of deleting
    assert b"Cannot delete user" in response.content
    assert type(target).objects.filter(pk=target.pk).exists()


@pytest.mark.django_db
def test_a_service_added_in_the_admin_takes_its_partners_task_force_and_is_audited(world):
    taxonomy_seed(task_force=world.tf)
    term = TaxonomyTerm.objects.get(task_force=world.tf, code="PSN-EMP")
    client = login_client(world.user("site_admin"))
    response = client.post(
        "/admin/partners/service/add/",
        {"partner": world.receiving.pk, "name": "Welding course", "categories": [term.pk], "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    service = Service.objects.get(name="Welding course")
    assert service.task_force == world.tf
    assert list(service.categories.all()) == [term]
    event = AuditEvent.objects.get(action="created", object_type="partners.service", object_id=str(service.pk))
    assert event.task_force == world.tf


@pytest.mark.django_db
def test_the_admin_refuses_a_category_of_another_task_force(world):
    taxonomy_seed(task_force=world.other_tf)
    foreign_term = TaxonomyTerm.objects.get(task_force=world.other_tf, code="PSN-EMP")
    client = login_client(world.user("site_admin"))
    response = client.post(
        "/admin/partners/service/add/",
        {"partner": world.receiving.pk, "name": "Welding course", "categories": [foreign_term.pk], "active": "on"},
    )
    assert response.status_code == 200
    assert b"task force" in response.content
    assert not Service.objects.filter(name="Welding course").exists()


@pytest.mark.django_db
def test_languages_cannot_be_deleted_in_the_admin(world):
    language = Language.objects.get(code="es")
    client = login_client(world.user("site_admin"))
    assert client.post(f"/admin/partners/language/{language.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Language.objects.filter(pk=language.pk).exists()
