"""Managing partners on the pages: coordinators add them, change their kind, deactivate and reactivate them;
a partner admin edits the descriptive fields of their own partner. Bad input of every kind is a form error
and writes nothing; every change is one audit event with what changed."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from partners.models import LOGO_MAX_BYTES, Language, Partner, PartnerKind
from psn.models import AuditEvent

from ..factories import PartnerFactory, ServiceFactory


def image_bytes(fmt: str = "PNG", size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def partner_events(partner=None):
    events = AuditEvent.objects.filter(object_type="partners.partner")
    return events.filter(object_id=str(partner.pk)) if partner is not None else events


def field_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


@pytest.fixture
def unchanged(world):
    """Asserts the test wrote no partner, changed none, and recorded no directory event."""

    def snapshot():
        return (
            list(Partner.objects.order_by("pk").values()),
            list(Partner.languages.through.objects.order_by("pk").values()),
            partner_events().count(),
        )

    before = snapshot()
    yield
    assert snapshot() == before


NEW = {
    "name": "Northland Youth Works",
    "kind": PartnerKind.COMMUNITY,
    "description": "Summer jobs and mentoring.",
    "city": "Kansas City",
    "email": "hello@northland.example.org",
    "website": "https://northland.example.org",
    "languages": ["en", "es"],
}


# --- Create -------------------------------------------------------------------------------------------


def test_a_coordinator_adds_a_partner_with_languages_and_a_logo(client_for, world):
    response = client_for("coordinator").post(
        "/directory/partners/new/", {**NEW, "logo": upload("logo.png", image_bytes())}
    )

    partner = Partner.objects.get(name="Northland Youth Works")
    assert response.status_code == 302
    assert response["Location"] == f"/directory/partners/{partner.pk}/"
    assert partner.task_force == world.tf
    assert partner.active
    assert sorted(partner.languages.values_list("code", flat=True)) == ["en", "es"]
    assert partner.logo.name.startswith("logos/")
    event = partner_events(partner).get()
    assert event.action == "created"
    assert event.actor == world.user("coordinator")
    assert event.task_force == world.tf
    assert event.changes["name"] == [None, "Northland Youth Works"]
    assert event.changes["languages"] == [None, "en, es"]
    assert "address_1" not in event.changes  # empty fields are not news


def test_only_coordinators_see_the_add_partner_button(client_for, world):
    assert "/directory/partners/new/" in client_for("coordinator").get("/directory/partners/").content.decode()
    for key in ("receiving_partner_admin", "sending_member"):
        assert "/directory/partners/new/" not in client_for(key).get("/directory/partners/").content.decode()


@pytest.mark.parametrize("key", ["receiving_partner_admin", "sending_member"])
def test_nobody_else_adds_a_partner(client_for, world, unchanged, key):
    assert client_for(key).post("/directory/partners/new/", NEW).status_code == 403


def test_the_new_partner_form_shows_kind_and_languages_as_checkboxes(client_for, world):
    page = client_for("coordinator").get("/directory/partners/new/").content.decode()

    assert 'name="kind"' in page
    assert 'type="checkbox" name="languages" value="es"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "<legend>Languages</legend>" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "This field is required."),
        ("name", "x" * 201, "at most 200 characters"),
        ("description", "x" * 5001, "at most 5000 characters"),
        ("kind", "bank", "Select a valid choice"),
        ("email", "not an address", "Enter a valid email address."),
        ("website", "javascript:alert(1)", "Enter a valid URL."),
        ("languages", ["xx"], "Select a valid choice"),
        ("name", "nul\x00byte", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_form_error_next_to_its_field_and_writes_nothing(
    client_for, world, unchanged, field, value, message
):
    response = client_for("coordinator").post("/directory/partners/new/", {**NEW, field: value})

    assert response.status_code == 400
    assert message in " ".join(field_errors(response)[field])
    assert f'id="id_{field}_error"' in response.content.decode()


def test_a_name_already_in_the_directory_is_refused_whatever_its_case(client_for, world, unchanged):
    response = client_for("coordinator").post("/directory/partners/new/", {**NEW, "name": "workforce center"})

    assert response.status_code == 400
    assert "already in the directory" in field_errors(response)["name"][0]


def test_the_same_name_in_another_task_force_is_fine(client_for, world):
    response = client_for("coordinator").post("/directory/partners/new/", {**NEW, "name": world.foreign.name})

    assert response.status_code == 302
    assert Partner.objects.filter(name=world.foreign.name).count() == 2


# --- Logo ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (upload("logo.png", b"just some text, not an image"), "Upload a valid image"),
        (upload("logo.png", image_bytes()[:40] + b"\x00" * 40), "Upload a valid image"),  # corrupt PNG
        (upload("logo.png", image_bytes("BMP")), "must be a PNG, JPEG, GIF or WebP image"),  # BMP renamed
        (upload("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"), "Upload a valid image"),
        (upload("logo.png", b""), "The submitted file is empty."),
    ],
    ids=["text", "corrupt", "bmp-renamed", "svg", "empty"],
)
def test_a_logo_that_is_not_a_good_image_is_refused_with_a_message(client_for, world, unchanged, logo, message):
    response = client_for("coordinator").post("/directory/partners/new/", {**NEW, "logo": logo})

    assert response.status_code == 400
    assert message in " ".join(field_errors(response)["logo"])


def test_a_logo_over_one_megabyte_is_refused(client_for, world, unchanged):
    # A valid PNG padded past the limit (Pillow ignores bytes after the image end).
    big = image_bytes() + b"\x00" * LOGO_MAX_BYTES
    response = client_for("coordinator").post("/directory/partners/new/", {**NEW, "logo": upload("big.png", big)})

    assert response.status_code == 400
    assert "at most 1 MB" in " ".join(field_errors(response)["logo"])


def test_a_partner_admin_replaces_and_removes_the_logo(client_for, world):
    client = client_for("receiving_partner_admin")
    path = f"/directory/partners/{world.receiving.pk}/edit/"
    data = {"name": world.receiving.name}

    assert client.post(path, {**data, "logo": upload("new.jpg", image_bytes("JPEG"), "image/jpeg")}).status_code == 302
    world.receiving.refresh_from_db()
    assert world.receiving.logo.name.endswith(".jpg")
    assert "remove_logo" in client.get(path).content.decode()

    assert client.post(path, {**data, "remove_logo": "on"}).status_code == 302
    world.receiving.refresh_from_db()
    assert not world.receiving.logo
    assert partner_events(world.receiving).latest("at").changes["logo"][1] == ""


# --- Edit ---------------------------------------------------------------------------------------------


def test_a_partner_admin_edits_their_own_partner_but_not_its_kind(client_for, world):
    client = client_for("receiving_partner_admin")
    path = f"/directory/partners/{world.receiving.pk}/edit/"

    form_page = client.get(path).content.decode()
    assert 'name="kind"' not in form_page
    response = client.post(
        path,
        {
            "name": "Workforce Center",
            "kind": PartnerKind.LAW_ENFORCEMENT,  # not on their form: ignored
            "description": "Jobs for young adults.",
            "phone": "816-555-0100",
            "languages": ["es"],
        },
    )

    assert response.status_code == 302
    world.receiving.refresh_from_db()
    assert world.receiving.kind == PartnerKind.SERVICE_PROVIDER
    assert world.receiving.description == "Jobs for young adults."
    assert list(world.receiving.languages.values_list("code", flat=True)) == ["es"]
    event = partner_events(world.receiving).get()
    assert event.action == "changed"
    assert event.actor == world.user("receiving_partner_admin")
    assert event.changes == {
        "description": ["", "Jobs for young adults."],
        "phone": ["", "816-555-0100"],
        "languages": ["", "es"],
    }


def test_the_edit_form_starts_from_the_partner_as_it_is(client_for, world):
    world.receiving.description = "As it is."
    world.receiving.save()
    world.receiving.languages.set([Language.objects.get(code="vi")])

    form = client_for("coordinator").get(f"/directory/partners/{world.receiving.pk}/edit/").context["form"]

    assert form.initial["description"] == "As it is."
    assert form.initial["languages"] == ["vi"]
    assert form.initial["kind"] == PartnerKind.SERVICE_PROVIDER


def test_a_coordinator_changes_the_kind(client_for, world):
    response = client_for("coordinator").post(
        f"/directory/partners/{world.receiving.pk}/edit/", {"name": "Workforce Center", "kind": PartnerKind.GOVERNMENT}
    )

    assert response.status_code == 302
    world.receiving.refresh_from_db()
    assert world.receiving.kind == PartnerKind.GOVERNMENT
    assert partner_events(world.receiving).get().changes == {"kind": ["service_provider", "government"]}


def test_saving_without_a_change_writes_nothing(client_for, world, unchanged):
    response = client_for("receiving_partner_admin").post(
        f"/directory/partners/{world.receiving.pk}/edit/", {"name": "Workforce Center"}
    )

    assert response.status_code == 302


@pytest.mark.parametrize(("key", "status"), [("sending_partner_admin", 403), ("receiving_member", 403)])
def test_others_in_the_task_force_cannot_edit_the_partner(client_for, world, unchanged, key, status):
    path = f"/directory/partners/{world.receiving.pk}/edit/"

    assert client_for(key).get(path).status_code == status
    assert client_for(key).post(path, {"name": "Hijacked"}).status_code == status


def test_another_task_force_cannot_find_the_partner_to_edit(client_for, world, unchanged):
    assert (
        client_for("foreign_coordinator")
        .post(f"/directory/partners/{world.receiving.pk}/edit/", {"name": "X"})
        .status_code
        == 404
    )


def test_renaming_to_a_name_taken_by_another_partner_is_refused(client_for, world, unchanged):
    response = client_for("coordinator").post(
        f"/directory/partners/{world.receiving.pk}/edit/", {"name": "CITY POLICE", "kind": PartnerKind.OTHER}
    )

    assert response.status_code == 400
    assert "already in the directory" in field_errors(response)["name"][0]
    assert "<h1>Edit Workforce Center</h1>" in response.content.decode()  # the partner as it still is


def test_html_in_a_name_is_shown_escaped(client_for, world):
    name = '<script>alert("x")</script> Outreach'
    client = client_for("coordinator")
    client.post("/directory/partners/new/", {**NEW, "name": name})
    partner = Partner.objects.get(name=name)  # kept verbatim

    for path in (
        f"/directory/partners/{partner.pk}/",
        "/directory/partners/",
        f"/directory/partners/{partner.pk}/edit/",
    ):
        page = client.get(path).content.decode()
        assert "<script>alert" not in page, path
        assert "&lt;script&gt;alert" in page, path


# --- Buttons ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "edit", "status_change", "add_service"),
    [
        ("coordinator", True, True, True),
        ("receiving_partner_admin", True, False, True),
        ("sending_partner_admin", False, False, False),
        ("receiving_member", False, False, False),
    ],
)
def test_the_partner_page_shows_only_the_buttons_the_reader_may_use(
    client_for, world, key, edit, status_change, add_service
):
    page = client_for(key).get(f"/directory/partners/{world.receiving.pk}/").content.decode()

    assert (f"/directory/partners/{world.receiving.pk}/edit/" in page) is edit
    assert (f"/directory/partners/{world.receiving.pk}/deactivate/" in page) is status_change
    assert (f"/directory/partners/{world.receiving.pk}/services/new/" in page) is add_service


# --- Deactivate and reactivate ------------------------------------------------------------------------


def test_a_coordinator_deactivates_a_partner_after_confirming(client_for, world):
    service = ServiceFactory(partner=world.receiving, name="Job club")
    client = client_for("coordinator")
    path = f"/directory/partners/{world.receiving.pk}/deactivate/"

    confirm = client.get(path)
    assert confirm.status_code == 200
    assert "Nothing is deleted" in confirm.content.decode()
    world.receiving.refresh_from_db()
    assert world.receiving.active  # the GET changed nothing

    response = client.post(path)

    assert response.status_code == 302
    world.receiving.refresh_from_db()
    service.refresh_from_db()
    assert not world.receiving.active
    assert service.active  # its services keep their own flag: reactivating brings them back as they were
    assert partner_events(world.receiving).get().changes == {"active": ["True", "False"]}
    # Hidden from the directory, its pages and API for everyone but coordinators; its own members lose access.
    assert "Workforce Center" not in client_for("sending_member").get("/directory/partners/").content.decode()
    assert client_for("sending_member").get(f"/directory/services/{service.pk}/").status_code == 404
    assert client_for("sending_member").get(f"/api/v1/services/{service.pk}/").status_code == 404
    assert client_for("receiving_member").get("/directory/services/").status_code == 302
    assert client.get(f"/directory/services/{service.pk}/").status_code == 200
    assert "only coordinators see it" in client.get(f"/directory/partners/{world.receiving.pk}/").content.decode()


def test_deactivating_twice_changes_it_once(client_for, world):
    client = client_for("coordinator")
    path = f"/directory/partners/{world.receiving.pk}/deactivate/"
    client.post(path)

    response = client.post(path, follow=True)

    assert "was already inactive" in response.content.decode()
    assert partner_events(world.receiving).count() == 1


def test_a_coordinator_cannot_cut_off_their_own_access(client_for, world, unchanged):
    home = world.user("coordinator").memberships.get().partner

    response = client_for("coordinator").post(f"/directory/partners/{home.pk}/deactivate/", follow=True)

    assert "Your own access to the task force is through this partner" in response.content.decode()


def test_a_partner_admin_cannot_deactivate_their_partner(client_for, world, unchanged):
    path = f"/directory/partners/{world.receiving.pk}/deactivate/"

    assert client_for("receiving_partner_admin").get(path).status_code == 403
    assert client_for("receiving_partner_admin").post(path).status_code == 403


def test_a_coordinator_reactivates_a_partner(client_for, world):
    closed = PartnerFactory(task_force=world.tf, name="Closed Clinic", active=False)
    client = client_for("coordinator")
    page = client.get(f"/directory/partners/{closed.pk}/").content.decode()
    assert f"/directory/partners/{closed.pk}/reactivate/" in page

    assert client.post(f"/directory/partners/{closed.pk}/reactivate/").status_code == 302

    closed.refresh_from_db()
    assert closed.active
    assert partner_events(closed).get().changes == {"active": ["False", "True"]}
    assert "Closed Clinic" in client_for("sending_member").get("/directory/partners/").content.decode()


def test_deactivate_and_reactivate_take_only_get_and_post(client_for, world, unchanged):
    client = client_for("coordinator")

    assert client.put(f"/directory/partners/{world.receiving.pk}/deactivate/").status_code == 405
    assert client.delete(f"/directory/partners/{world.receiving.pk}/edit/").status_code == 405


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("languages", [0, 6])
def test_the_edit_page_takes_a_fixed_number_of_queries(client_for, world, django_assert_num_queries, languages):
    world.receiving.languages.set(Language.objects.order_by("code")[:languages])
    client = client_for("receiving_partner_admin")
    path = f"/directory/partners/{world.receiving.pk}/edit/"
    client.get(path)

    # session, user, actor; the partner; its languages; the language choices.
    with django_assert_num_queries(6):
        assert client.get(path).status_code == 200


def test_the_new_partner_page_takes_a_fixed_number_of_queries(client_for, world, django_assert_num_queries):
    client = client_for("coordinator")
    client.get("/directory/partners/new/")

    # session, user, actor; the language choices.
    with django_assert_num_queries(4):
        assert client.get("/directory/partners/new/").status_code == 200


@pytest.mark.parametrize("services", [1, 12])
def test_the_partner_page_of_a_manager_takes_a_fixed_number_of_queries(
    client_for, world, django_assert_num_queries, services
):
    for n in range(services):
        ServiceFactory(partner=world.receiving, name=f"Service {n:02d}", active=n % 3 != 0)
    client = client_for("receiving_partner_admin")
    path = f"/directory/partners/{world.receiving.pk}/"
    client.get(path)

    # session, user, actor; the partner; its languages, locations, contacts; its services (inactive ones
    # included for its admin); their categories; their languages.
    with django_assert_num_queries(10):
        response = client.get(path)
    assert len(response.context["services"]) == services
