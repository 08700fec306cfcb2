"""Directory management through the API: the same service functions and rights as the pages. Input by code
(categories, languages) and id (partner); validation errors are 400s with the message per field; DELETE is
not offered (405): deactivate instead."""

import json

import pytest

from partners.models import Partner, PartnerKind, Service, TaxonomyTerm
from partners.services import taxonomy_seed
from psn.models import AuditEvent

from ..factories import PartnerFactory, ServiceFactory


def send(client, method: str, path: str, body=None):
    payload = body if isinstance(body, str) else json.dumps(body if body is not None else {})
    return getattr(client, method)(path, payload, content_type="application/json")


def events(object_type: str):
    return AuditEvent.objects.filter(object_type=object_type)


@pytest.fixture
def terms(world):
    taxonomy_seed(task_force=world.tf)
    taxonomy_seed(task_force=world.other_tf)


@pytest.fixture
def mentoring(world, terms):
    term = TaxonomyTerm.objects.get(task_force=world.tf, code="PSN-MEN")
    return ServiceFactory(partner=world.receiving, name="Mentoring Circle", categories=[term])


@pytest.fixture
def unchanged(world):
    """Asserts the test wrote nothing to the directory and recorded no directory event."""

    def snapshot():
        return (
            list(Partner.objects.order_by("pk").values()),
            list(Service.objects.order_by("pk").values()),
            list(Partner.languages.through.objects.order_by("pk").values()),
            list(Service.categories.through.objects.order_by("pk").values()),
            events("partners.partner").count() + events("partners.service").count(),
        )

    before = snapshot()
    yield
    assert snapshot() == before


NEW_PARTNER = {"name": "Northland Youth Works", "kind": "community", "languages": ["en", "es"], "city": "Liberty"}


# --- Partners -----------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_partner(client_for, world):
    response = send(client_for("coordinator"), "post", "/api/v1/partners/", NEW_PARTNER)

    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "Northland Youth Works"
    assert body["languages"] == ["en", "es"]
    assert body["active"] is True
    partner = Partner.objects.get(pk=body["id"])
    assert partner.task_force == world.tf
    assert events("partners.partner").get(object_id=str(partner.pk)).changes["city"] == [None, "Liberty"]


def test_a_partner_admin_cannot_create_a_partner(client_for, world, unchanged):
    response = send(client_for("receiving_partner_admin"), "post", "/api/v1/partners/", NEW_PARTNER)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**NEW_PARTNER, "name": "x" * 201}, "name", "no more than 200 characters"),
        ({**NEW_PARTNER, "name": ""}, "name", "may not be blank"),
        ({**NEW_PARTNER, "name": {"a": 1}}, "name", "Not a valid string."),
        ({**NEW_PARTNER, "name": "a\x00b"}, "name", "Null characters are not allowed."),
        ({**NEW_PARTNER, "description": "x" * 5001}, "description", "no more than 5000 characters"),
        ({**NEW_PARTNER, "kind": "bank"}, "kind", "is not a valid choice"),
        ({**NEW_PARTNER, "languages": "en"}, "languages", 'Expected a list of items but got type "str"'),
        ({**NEW_PARTNER, "languages": ["xx"]}, "languages", "Object with code=xx does not exist."),
        ({**NEW_PARTNER, "email": "nope"}, "email", "Enter a valid email address."),
        ({**NEW_PARTNER, "website": "javascript:alert(1)"}, "website", "Enter a valid URL."),
        ({"kind": "community"}, "name", "This field is required."),
    ],
)
def test_bad_partner_input_is_a_400_per_field_and_writes_nothing(client_for, world, unchanged, body, field, message):
    response = send(client_for("coordinator"), "post", "/api/v1/partners/", body)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert message in " ".join(response.json()["errors"][field])


@pytest.mark.parametrize("raw", ["[]", '"text"', "{", "null"])
def test_a_body_that_is_not_an_object_is_a_400(client_for, world, unchanged, raw):
    assert send(client_for("coordinator"), "post", "/api/v1/partners/", raw).status_code == 400


def test_a_duplicate_name_is_a_400_on_the_name(client_for, world, unchanged):
    response = send(client_for("coordinator"), "post", "/api/v1/partners/", {**NEW_PARTNER, "name": "City police"})

    assert response.status_code == 400
    assert "already in the directory" in response.json()["errors"]["name"][0]


def test_a_partner_admin_patches_their_partner(client_for, world):
    response = send(
        client_for("receiving_partner_admin"),
        "patch",
        f"/api/v1/partners/{world.receiving.pk}/",
        {"description": "Jobs.", "languages": ["vi"]},
    )

    assert response.status_code == 200
    assert response.json()["description"] == "Jobs."
    assert response.json()["languages"] == ["vi"]
    event = events("partners.partner").get(object_id=str(world.receiving.pk))
    assert event.changes == {"description": ["", "Jobs."], "languages": ["", "vi"]}


def test_a_partner_admin_cannot_change_the_kind(client_for, world, unchanged):
    client = client_for("receiving_partner_admin")
    path = f"/api/v1/partners/{world.receiving.pk}/"

    response = send(client, "patch", path, {"kind": "law_enforcement", "description": "Sneaky."})

    assert response.status_code == 403
    assert "kind" in response.json()["detail"]
    # Sending the kind it already has is fine (a PUT must send it).
    put = {"name": "Workforce Center", "kind": "service_provider"}
    assert send(client, "put", path, put).status_code == 200


def test_a_coordinator_changes_the_kind(client_for, world):
    response = send(
        client_for("coordinator"), "patch", f"/api/v1/partners/{world.receiving.pk}/", {"kind": "government"}
    )

    assert response.status_code == 200
    assert Partner.objects.get(pk=world.receiving.pk).kind == PartnerKind.GOVERNMENT


@pytest.mark.parametrize(
    ("key", "status"), [("sending_partner_admin", 403), ("receiving_member", 403), ("foreign_coordinator", 404)]
)
def test_others_cannot_patch_the_partner(client_for, world, unchanged, key, status):
    response = send(client_for(key), "patch", f"/api/v1/partners/{world.receiving.pk}/", {"description": "Mine now."})

    assert response.status_code == status


def test_delete_is_not_offered(client_for, world, mentoring, unchanged):
    client = client_for("coordinator")

    assert client.delete(f"/api/v1/partners/{world.receiving.pk}/").status_code == 405
    assert client.delete(f"/api/v1/services/{mentoring.pk}/").status_code == 405


def test_a_coordinator_deactivates_and_reactivates_a_partner(client_for, world, mentoring):
    client = client_for("coordinator")

    response = send(client, "post", f"/api/v1/partners/{world.receiving.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert send(client, "post", f"/api/v1/partners/{world.receiving.pk}/deactivate/").status_code == 200  # again

    # Its services are hidden with it from everyone but coordinators, on the list and by id.
    member = client_for("sending_member")
    assert mentoring.pk not in [row["id"] for row in member.get("/api/v1/services/").json()["results"]]
    assert member.get(f"/api/v1/services/{mentoring.pk}/").status_code == 404
    assert client.get(f"/api/v1/services/{mentoring.pk}/").json()["active"] is True

    response = send(client, "post", f"/api/v1/partners/{world.receiving.pk}/reactivate/")
    assert response.json()["active"] is True
    assert member.get(f"/api/v1/services/{mentoring.pk}/").status_code == 200
    assert [event.changes for event in events("partners.partner").order_by("at", "id")] == [
        {"active": ["True", "False"]},
        {"active": ["False", "True"]},
    ]


def test_a_partner_admin_cannot_deactivate_their_partner(client_for, world, unchanged):
    response = send(client_for("receiving_partner_admin"), "post", f"/api/v1/partners/{world.receiving.pk}/deactivate/")

    assert response.status_code == 403


def test_a_coordinator_cannot_deactivate_the_partner_they_belong_through(client_for, world, unchanged):
    home = world.user("coordinator").memberships.get().partner

    response = send(client_for("coordinator"), "post", f"/api/v1/partners/{home.pk}/deactivate/")

    assert response.status_code == 400
    assert "Your own access" in response.json()["errors"]["non_field_errors"][0]


# --- Services -----------------------------------------------------------------------------------------


def new_service(partner, **extra) -> dict:
    return {
        "partner": partner.pk,
        "name": "Job readiness",
        "categories": ["PSN-EMP", "PSN-EDU"],
        "languages": ["es"],
        "capacity": 20,
        "accepting_referrals": False,
        **extra,
    }


def test_a_partner_admin_creates_a_service_of_their_partner(client_for, world, terms):
    response = send(client_for("receiving_partner_admin"), "post", "/api/v1/services/", new_service(world.receiving))

    assert response.status_code == 201
    body = response.json()
    assert body["partner"] == {"id": world.receiving.pk, "name": "Workforce Center"}
    assert [category["code"] for category in body["categories"]] == ["PSN-EDU", "PSN-EMP"]
    assert body["accepting_referrals"] is False
    service = Service.objects.get(pk=body["id"])
    assert service.task_force == world.tf
    assert events("partners.service").get(object_id=str(service.pk)).action == "created"


def test_a_partner_admin_cannot_create_a_service_of_another_partner(client_for, world, terms, unchanged):
    response = send(client_for("receiving_partner_admin"), "post", "/api/v1/services/", new_service(world.sending))

    assert response.status_code == 403


def test_a_partner_of_another_task_force_is_no_such_partner(client_for, world, terms, unchanged):
    for key in ("receiving_partner_admin", "coordinator"):
        response = send(client_for(key), "post", "/api/v1/services/", new_service(world.foreign))

        assert response.status_code == 400
        assert response.json()["errors"]["partner"] == ["No such partner."]


def test_a_member_who_administers_nothing_is_refused_before_the_payload_is_read(client_for, world, unchanged):
    response = send(client_for("receiving_member"), "post", "/api/v1/services/", {"partner": "garbage"})

    assert response.status_code == 403


@pytest.fixture
def closed(world):
    return PartnerFactory(task_force=world.tf, name="Closed Clinic", active=False)


def test_an_inactive_partner_takes_no_new_services(client_for, world, terms, closed, unchanged):
    response = send(client_for("coordinator"), "post", "/api/v1/services/", new_service(closed))

    assert response.status_code == 400
    assert "reactivate it before adding services" in response.json()["errors"]["partner"][0]


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"partner": "abc"}, "partner", "A partner id is a number."),
        ({"partner": 2**70}, "partner", "No such partner."),
        ({"categories": ["NOPE"]}, "categories", "Object with code=NOPE does not exist."),
        ({"categories": "PSN-EMP"}, "categories", "Expected a list of items"),
        ({"capacity": -1}, "capacity", "greater than or equal to 0"),
        ({"capacity": "lots"}, "capacity", "A valid integer is required."),
        ({"capacity": 2**40}, "capacity", "less than or equal to"),
        ({"accepting_referrals": "perhaps"}, "accepting_referrals", "Must be a valid boolean."),
        ({"name": "x" * 201}, "name", "no more than 200 characters"),
        ({"hours": "x" * 1001}, "hours", "no more than 1000 characters"),
        ({"url": "not a url"}, "url", "Enter a valid URL."),
    ],
)
def test_bad_service_input_is_a_400_per_field_and_writes_nothing(
    client_for, world, terms, unchanged, extra, field, message
):
    response = send(client_for("coordinator"), "post", "/api/v1/services/", {**new_service(world.receiving), **extra})

    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])


def test_a_category_of_another_task_force_is_unknown(client_for, world, terms, unchanged):
    TaxonomyTerm.objects.create(task_force=world.other_tf, code="EDT-ONLY", name="Theirs")

    response = send(
        client_for("coordinator"), "post", "/api/v1/services/", new_service(world.receiving, categories=["EDT-ONLY"])
    )

    assert response.status_code == 400
    assert "EDT-ONLY" in response.json()["errors"]["categories"][0]


def test_a_partner_admin_patches_a_service(client_for, world, mentoring):
    response = send(
        client_for("receiving_partner_admin"),
        "patch",
        f"/api/v1/services/{mentoring.pk}/",
        {"capacity": 8, "categories": ["PSN-MEN", "PSN-YTH"]},
    )

    assert response.status_code == 200
    assert response.json()["capacity"] == 8
    assert events("partners.service").get(object_id=str(mentoring.pk)).changes == {
        "capacity": [None, "8"],
        "categories": ["PSN-MEN", "PSN-MEN, PSN-YTH"],
    }


def test_a_service_stays_with_its_partner(client_for, world, mentoring, unchanged):
    response = send(
        client_for("coordinator"), "patch", f"/api/v1/services/{mentoring.pk}/", {"partner": world.sending.pk}
    )

    assert response.status_code == 400
    assert "stays with its partner" in response.json()["errors"]["partner"][0]


def test_html_in_a_service_name_comes_back_verbatim_as_json(client_for, world, terms):
    name = "<script>alert(1)</script>"

    response = send(client_for("coordinator"), "post", "/api/v1/services/", new_service(world.receiving, name=name))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == name


@pytest.mark.parametrize(
    ("key", "status"), [("sending_partner_admin", 403), ("receiving_member", 403), ("foreign_coordinator", 404)]
)
def test_others_cannot_change_the_service(client_for, world, mentoring, unchanged, key, status):
    client = client_for(key)

    assert send(client, "patch", f"/api/v1/services/{mentoring.pk}/", {"name": "Mine"}).status_code == status
    assert send(client, "post", f"/api/v1/services/{mentoring.pk}/deactivate/").status_code == status


def test_a_partner_admin_deactivates_and_reactivates_a_service(client_for, world, mentoring):
    client = client_for("receiving_partner_admin")

    response = send(client, "post", f"/api/v1/services/{mentoring.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert client_for("receiving_member").get(f"/api/v1/services/{mentoring.pk}/").status_code == 404
    # Its admin cannot read it on the directory any more, but finds it to bring it back.
    assert send(client, "post", f"/api/v1/services/{mentoring.pk}/reactivate/").json()["active"] is True
    assert client_for("receiving_member").get(f"/api/v1/services/{mentoring.pk}/").status_code == 200
    assert events("partners.service").count() == 2


def test_a_refused_request_is_in_the_audit_trail(client_for, world, mentoring):
    send(client_for("sending_partner_admin"), "patch", f"/api/v1/services/{mentoring.pk}/", {"name": "Mine"})

    denial = AuditEvent.objects.get(action="permission_denied")
    assert denial.actor == world.user("sending_partner_admin")
    assert denial.object_repr == f"PATCH /api/v1/services/{mentoring.pk}/"
