"""The attachments API: GET/POST /api/v1/referrals/{id}/attachments/ (multipart upload) and
GET /api/v1/attachments/{id}/download/, with the rules of the pages: the two partners' members read what they may
(internal stays with the uploader's partner), refusals are 400 with the reason and store nothing, downloads are
audited and served with the same headers."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases import attachments
from cases.models import Attachment, NoteVisibility, Status
from psn.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
TEXT = b"Called on Tuesday, callback Friday.\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def listing(referral) -> str:
    return f"/api/v1/referrals/{referral.pk}/attachments/"


def download(attachment) -> str:
    return f"/api/v1/attachments/{attachment.pk}/download/"


def attach(setup, referral, name="intake.pdf", data=PDF, key="receiving_member", visibility=NoteVisibility.SHARED):
    return attachments.attachment_add(
        actor=setup.actor(key), referral=referral, uploaded_file=SimpleUploadedFile(name, data), visibility=visibility
    )


@pytest.fixture
def referral(setup, media):
    return setup.submitted()


# --- Listing ---------------------------------------------------------------------------------------------------


def test_the_partners_list_what_they_may_read(setup, referral, client_for):
    shared = attach(setup, referral)
    internal = attach(setup, referral, name="plan.txt", data=TEXT, visibility=NoteVisibility.INTERNAL)
    receiving = client_for("receiving_member").get(listing(referral))
    assert receiving.status_code == 200
    assert [row["id"] for row in receiving.json()] == [shared.pk, internal.pk]
    row = receiving.json()[0]
    assert row == {
        "id": shared.pk,
        "referral": referral.pk,
        "name": "intake.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": shared.sha256,
        "visibility": "shared",
        "uploaded_by": "receiving member",
        "uploaded_by_partner": {"id": setup.world.receiving.pk, "name": "Workforce Center"},
        "created_at": row["created_at"],
        "download_url": download(shared),
    }
    sending = client_for("sending_member").get(listing(referral))
    assert [row["id"] for row in sending.json()] == [shared.pk]
    assert AuditEvent.objects.filter(action="viewed", object_type="cases.referral").count() == 2


def test_the_referral_detail_carries_the_attachments_the_caller_may_read(setup, referral, client_for):
    attach(setup, referral, visibility=NoteVisibility.INTERNAL)
    mine = client_for("receiving_member").get(f"/api/v1/referrals/{referral.pk}/").json()
    theirs = client_for("sending_member").get(f"/api/v1/referrals/{referral.pk}/").json()
    assert [a["name"] for a in mine["attachments"]] == ["intake.pdf"]
    assert theirs["attachments"] == []
    coordinator = client_for("coordinator").get(f"/api/v1/referrals/{referral.pk}/").json()
    assert "attachments" not in coordinator


def test_a_coordinator_outside_both_partners_may_not_list_them(setup, referral, client_for):
    attach(setup, referral)
    response = client_for("coordinator").get(listing(referral))
    assert response.status_code == 403
    assert "intake.pdf" not in response.content.decode()


@pytest.mark.parametrize("key", ["outsider_member", "foreign_coordinator"])
def test_outsiders_and_other_task_forces_get_404(referral, client_for, key):
    assert client_for(key).get(listing(referral)).status_code == 404


def test_the_list_query_count_is_pinned(setup, referral, client_for, django_assert_num_queries):
    client = client_for("receiving_member")
    attach(setup, referral)
    # Session, user and actor (3); the referral and its prefetches (3); notes and attachments (2); the "viewed"
    # event (1).
    with django_assert_num_queries(9):
        assert len(client.get(listing(referral)).json()) == 1
    for n in range(8):
        attach(setup, referral, name=f"scan-{n}.png", data=PNG, key="sending_member")
    with django_assert_num_queries(9):
        assert len(client.get(listing(referral)).json()) == 9


# --- Uploading -------------------------------------------------------------------------------------------------


def test_multipart_upload_creates_the_attachment(setup, referral, client_for, media):
    response = client_for("sending_referral_staff").post(
        listing(referral), {"file": SimpleUploadedFile("scan.png", PNG), "visibility": "internal"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body["id"] == attachment.pk
    assert (body["name"], body["content_type"], body["visibility"]) == ("scan.png", "image/png", "internal")
    assert body["uploaded_by_partner"]["id"] == setup.world.sending.pk
    assert body["download_url"] == download(attachment)
    assert [p.read_bytes() for p in stored_files(media)] == [PNG]
    assert AuditEvent.objects.filter(action="created", object_type="cases.attachment").count() == 1


def test_visibility_defaults_to_shared(referral, client_for):
    response = client_for("receiving_member").post(listing(referral), {"file": SimpleUploadedFile("a.txt", TEXT)})
    assert response.status_code == 201
    assert response.json()["visibility"] == "shared"


REFUSALS = [
    ({"file": ("photo.png", EXE)}, "file", "Only PDF, PNG, JPEG"),
    ({"file": ("intake.txt", PDF)}, "file", "does not match its content"),
    ({"file": ("empty.pdf", b"")}, "file", "The file is empty."),
    ({"file": ("big.txt", b"a" * 2048)}, "file", "larger than"),
    ({}, "file", "No file was submitted."),
    ({"file": ("a.pdf", PDF), "visibility": "public"}, "visibility", "not a valid choice"),
    ({"file": "not a file"}, "file", "The submitted data was not a file."),
]


@pytest.mark.parametrize(("data", "field", "message"), REFUSALS)
def test_refusals_are_400_with_the_reason_and_store_nothing(
    referral, client_for, media, settings, data, field, message
):
    settings.PSN_ATTACHMENT_MAX_BYTES = 1024
    post = dict(data)
    if isinstance(post.get("file"), tuple):
        post["file"] = SimpleUploadedFile(*post["file"])
    response = client_for("receiving_member").post(listing(referral), post)
    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["errors"][field])
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_a_json_body_is_415(referral, client_for, media):
    response = client_for("receiving_member").post(listing(referral), {"file": "x"}, content_type="application/json")
    assert response.status_code == 415
    assert Attachment.objects.count() == 0


def test_a_coordinator_cannot_upload(referral, client_for, media):
    before = AuditEvent.objects.filter(action="permission_denied").count()
    response = client_for("coordinator").post(listing(referral), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == before + 1
    assert Attachment.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize("key", ["outsider_referral_staff", "foreign_coordinator"])
def test_outsiders_cannot_upload(referral, client_for, media, key):
    response = client_for(key).post(listing(referral), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 404
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_anonymous_gets_401(referral, client):
    assert client.post(listing(referral), {"file": SimpleUploadedFile("a.pdf", PDF)}).status_code == 401
    assert client.get(listing(referral)).status_code == 401


# --- Downloading -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["*/*", "application/pdf", "text/html"])
def test_download_has_the_pages_headers_and_is_audited(setup, referral, client_for, accept):
    attachment = attach(setup, referral)
    response = client_for("sending_member").get(download(attachment), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="intake.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="viewed", object_type="cases.attachment")
    assert event.object_id == str(attachment.pk) and event.actor == setup.world.user("sending_member")


@pytest.mark.parametrize("key", ["outsider_member", "coordinator", "foreign_coordinator"])
def test_anyone_else_gets_a_json_404(setup, referral, client_for, key):
    attachment = attach(setup, referral)
    response = client_for(key).get(download(attachment))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert not AuditEvent.objects.filter(action="viewed", object_type="cases.attachment").exists()


def test_internal_attachments_only_for_the_uploaders_partner(setup, referral, client_for):
    internal = attach(setup, referral, visibility=NoteVisibility.INTERNAL)
    assert client_for("sending_member").get(download(internal)).status_code == 404
    assert client_for("receiving_partner_admin").get(download(internal)).status_code == 200


@pytest.mark.parametrize("pk", ["999999", "abc", str(2**70)])
def test_unknown_ids_are_404(referral, client_for, pk):
    assert client_for("receiving_member").get(f"/api/v1/attachments/{pk}/download/").status_code == 404


def test_a_draft_is_not_the_receivers(setup, media, client_for):
    draft = setup.draft()
    attachment = attach(setup, draft, key="sending_member")
    assert client_for("receiving_member").get(download(attachment)).status_code == 404
    assert client_for("receiving_member").get(listing(draft)).status_code == 404
    assert draft.status == Status.DRAFT


def test_the_schema_documents_the_endpoints(client_for):
    schema = client_for("receiving_member").get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    upload = schema["paths"]["/api/v1/referrals/{id}/attachments/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    download_op = schema["paths"]["/api/v1/attachments/{id}/download/"]["get"]
    assert "application/octet-stream" in download_op["responses"]["200"]["content"]
