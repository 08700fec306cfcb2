"""The HSDS export downloads (issue 4, item 5): coordinators only, an attachment with a dated name, audited."""

import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from psn.models import AuditEvent

from ...factories import ServiceFactory


def _today(world) -> str:
    return f"{timezone.localdate(timezone=world.tf.tzinfo):%Y-%m-%d}"


@pytest.mark.django_db
def test_json_download(world, client_for):
    ServiceFactory(partner=world.receiving, name="Mentoring Circle")
    response = client_for("coordinator").get(reverse("hsds:export_json"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="wdt-hsds-{_today(world)}.json"'
    document = json.loads(response.content)
    names = {organization["name"] for organization in document["organizations"]}
    assert {"Workforce Center", "City Police"} <= names
    assert "Other Police" not in names  # another task force's partner
    services = json.dumps(document)
    assert "Mentoring Circle" in services


@pytest.mark.django_db
def test_zip_download_is_a_csv_package(world, client_for):
    response = client_for("coordinator").get(reverse("hsds:export_zip"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == f'attachment; filename="wdt-hsds-{_today(world)}.zip"'
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        assert {"datapackage.json", "organizations.csv", "services.csv"} <= names
        assert "Workforce Center" in archive.read("organizations.csv").decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url_name", ["hsds:export_json", "hsds:export_zip"])
def test_every_download_is_audited(world, client_for, url_name):
    client_for("coordinator").get(reverse(url_name))
    event = AuditEvent.objects.get(action="exported")
    assert (event.actor, event.task_force, event.object_type) == (world.user("coordinator"), world.tf, "hsds")
    assert event.changes["format"][1] == url_name.rsplit("_", 1)[1]


@pytest.mark.django_db
def test_the_foreign_coordinator_exports_only_their_task_force(world, client_for):
    document = json.loads(client_for("foreign_coordinator").get(reverse("hsds:export_json")).content)
    assert {organization["name"] for organization in document["organizations"]} == {"Other Police"}


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["receiving_partner_admin", "receiving_member", "sending_referral_staff"])
def test_others_in_the_task_force_get_403_and_nothing_is_exported(client_for, key):
    assert client_for(key).get(reverse("hsds:export_json")).status_code == 403
    assert not AuditEvent.objects.filter(action="exported").exists()


@pytest.mark.django_db
def test_index_offers_both_downloads_to_coordinators(client_for):
    page = client_for("coordinator").get(reverse("hsds:index")).text
    assert reverse("hsds:export_json") in page and reverse("hsds:export_zip") in page
