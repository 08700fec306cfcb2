"""/api/v1/task-forces/: the task forces the caller may act in; site admins see and create them all."""

import pytest

from partners.models import TaskForce
from psn.models import AuditEvent

from .bodies import assert_error

NEW = {"name": "Northern District of Testing", "slug": "ndt", "district": "N.D. Test", "timezone": "America/New_York"}


def _slugs(response) -> list[str]:
    assert response.status_code == 200
    return [row["slug"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("key", "slugs"), [("receiving_member", ["wdt"]), ("coordinator", ["wdt"]), ("foreign_member", ["edt"])]
)
def test_the_list_holds_only_the_callers_task_forces(client_for, key, slugs):
    assert _slugs(client_for(key).get("/api/v1/task-forces/")) == slugs


def test_a_site_admin_lists_every_task_force(client_for):
    assert _slugs(client_for("site_admin").get("/api/v1/task-forces/")) == ["edt", "wdt"]


def test_an_account_without_membership_lists_none(client_for):
    assert _slugs(client_for("nobody").get("/api/v1/task-forces/")) == []


def test_detail_of_the_own_task_force(client_for):
    body = client_for("receiving_member").get("/api/v1/task-forces/wdt/").json()

    assert body["slug"] == "wdt"
    assert body["timezone"] == "America/Chicago"
    assert set(body) == {"slug", "name", "district", "timezone", "sla_business_days", "active", "created_at"}


@pytest.mark.parametrize("slug", ["edt", "nowhere"])
def test_detail_of_another_or_unknown_task_force_is_404(client_for, slug):
    assert_error(client_for("coordinator").get(f"/api/v1/task-forces/{slug}/"), 404, "not_found")


def test_a_site_admin_creates_a_task_force(client_for):
    response = client_for("site_admin").post("/api/v1/task-forces/", NEW, content_type="application/json")

    assert response.status_code == 201, response.json()
    assert response.json()["slug"] == "ndt"
    created = TaskForce.objects.get(slug="ndt")
    assert (created.name, created.timezone, created.sla_business_days) == (NEW["name"], "America/New_York", 2)
    assert (
        AuditEvent.objects.filter(action="created", object_type="partners.taskforce", task_force=created).count() == 1
    )


def test_the_new_task_force_is_listed_for_the_site_admin(client_for):
    client = client_for("site_admin")
    client.post("/api/v1/task-forces/", NEW, content_type="application/json")

    assert "ndt" in _slugs(client.get("/api/v1/task-forces/"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"slug": "Not A Slug!"}, "slug"),
        ({"slug": "UPPER"}, "slug"),
        ({"slug": "-leading-hyphen"}, "slug"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"slug": "wdt"}, "slug"),  # taken
        ({"name": "Western District of Testing"}, "name"),  # taken
        ({"sla_business_days": 0}, "sla_business_days"),
        ({"sla_business_days": 31}, "sla_business_days"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_task_force_is_400_with_the_field_and_nothing_written(client_for, change, field):
    count = TaskForce.objects.count()

    response = client_for("site_admin").post("/api/v1/task-forces/", {**NEW, **change}, content_type="application/json")

    body = assert_error(response, 400, "invalid")
    assert list(body["errors"]) == [field]
    assert TaskForce.objects.count() == count
    assert not AuditEvent.objects.filter(action="created", object_type="partners.taskforce").exists()


def test_missing_fields_are_each_named(client_for):
    body = assert_error(client_for("site_admin").post("/api/v1/task-forces/", {}, content_type="application/json"), 400)

    assert set(body["errors"]) == {"name", "slug"}


@pytest.mark.parametrize("key", ["coordinator", "receiving_partner_admin", "receiving_member", "nobody"])
def test_only_a_site_admin_may_create(client_for, key):
    count = TaskForce.objects.count()

    response = client_for(key).post("/api/v1/task-forces/", NEW, content_type="application/json")

    assert_error(response, 403, "permission_denied")
    assert TaskForce.objects.count() == count


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_task_forces_are_not_changed_or_deleted_through_the_api(client_for, method):
    response = getattr(client_for("site_admin"), method)(
        "/api/v1/task-forces/wdt/", NEW, content_type="application/json"
    )

    assert_error(response, 405, "method_not_allowed")
    assert TaskForce.objects.filter(slug="wdt", name="Western District of Testing").exists()


def test_a_non_admin_learns_nothing_from_validation(client_for):
    # Checked before the payload: else "slug already exists" would tell a coordinator which other districts exist.
    response = client_for("coordinator").post("/api/v1/task-forces/", {"slug": "edt"}, content_type="application/json")

    assert_error(response, 403, "permission_denied")
