"""Attachments on the referral page: the list of what the actor may read, the upload form (refusals next to it, a
400, nothing stored) and the download view (access checked, audited, served as a download that no browser renders
or sniffs and no cache keeps), as the two partners, an outsider, a coordinator and another task force."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import attachments
from cases.models import Attachment, NoteVisibility, Status
from psn.models import AuditEvent

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
TEXT = "Rendez-vous mardi à 10 h — café.\n".encode()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def detail(referral) -> str:
    return reverse("cases:referral_detail", args=[referral.pk])


def upload_url(referral) -> str:
    return reverse("cases:attachment_add", args=[referral.pk])


def download_url(attachment) -> str:
    return reverse("cases:attachment_download", args=[attachment.pk])


def text(response) -> str:
    return response.content.decode()


def attach(setup, referral, name="intake.pdf", data=PDF, key="receiving_member", visibility=NoteVisibility.SHARED):
    return attachments.attachment_add(
        actor=setup.actor(key),
        referral=referral,
        uploaded_file=SimpleUploadedFile(name, data),
        visibility=visibility,
    )


@pytest.fixture
def referral(setup, media):
    return setup.submitted()


def test_the_urls_are_named():
    assert reverse("cases:attachment_add", args=[7]) == "/referrals/7/attachments/"
    assert reverse("cases:attachment_download", args=[7]) == "/referrals/attachments/7/"


# --- The list on the detail page -------------------------------------------------------------------------------


def test_both_partners_see_shared_attachments_with_their_facts(setup, referral, client_for):
    attachment = attach(setup, referral)
    for key in ("receiving_member", "sending_referral_staff"):
        body = text(client_for(key).get(detail(referral)))
        assert f'href="{download_url(attachment)}"' in body
        assert "intake.pdf" in body
        assert "application/pdf" in body
        assert f"{len(PDF)}\xa0bytes" in body
        assert "receiving member (Workforce Center)" in body


def test_internal_attachments_stay_with_the_uploaders_partner(setup, referral, client_for):
    internal = attach(setup, referral, name="case-plan.txt", data=TEXT, visibility=NoteVisibility.INTERNAL)
    assert "case-plan.txt" in text(client_for("receiving_referral_staff").get(detail(referral)))
    body = text(client_for("sending_member").get(detail(referral)))
    assert "case-plan.txt" not in body and download_url(internal) not in body


def test_a_coordinator_outside_both_partners_sees_no_attachment_and_no_form(setup, referral, client_for):
    attach(setup, referral)
    body = text(client_for("coordinator").get(detail(referral)))
    assert "intake.pdf" not in body
    assert upload_url(referral) not in body


@pytest.mark.parametrize("key", ["receiving_member", "sending_member", "receiving_partner_admin"])
def test_the_two_partners_members_get_the_upload_form(referral, client_for, key):
    body = text(client_for(key).get(detail(referral)))
    assert f'action="{upload_url(referral)}"' in body
    assert 'enctype="multipart/form-data"' in body
    assert '<label for="id_file">' in body


# --- Uploading -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "sending_referral_staff"])
def test_upload_redirects_to_the_list_and_records_the_file(setup, referral, client_for, media, key):
    response = client_for(key).post(
        upload_url(referral), {"file": SimpleUploadedFile("scan.png", PNG), "visibility": "internal"}, follow=True
    )
    assert response.redirect_chain == [(detail(referral) + "#attachments", 302)]
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.visibility) == (
        "scan.png",
        "image/png",
        "internal",
    )
    assert attachment.uploaded_by == setup.world.user(key)
    assert "scan.png was attached." in text(response)
    assert [p.read_bytes() for p in stored_files(media)] == [PNG]
    assert AuditEvent.objects.filter(action="created", object_type="cases.attachment").count() == 1


REFUSALS = [
    ({"file": ("photo.png", EXE)}, "Only PDF, PNG, JPEG, Word (DOCX) and plain-text files can be attached."),
    ({"file": ("intake.txt", PDF)}, "The file&#x27;s name does not match its content"),
    ({"file": ("empty.pdf", b"")}, "The submitted file is empty."),
    ({}, "This field is required."),
    ({"file": ("intake.pdf", PDF), "visibility": "public"}, "Select a valid choice."),
    ({"file": ("big.txt", b"a" * 2048)}, "The file is larger than 1.0\xa0KB."),
]


@pytest.mark.parametrize(("data", "message"), REFUSALS)
def test_refusals_show_next_to_the_form_with_a_400_and_store_nothing(
    setup, referral, client_for, media, settings, data, message
):
    settings.PSN_ATTACHMENT_MAX_BYTES = 1024
    post = {"visibility": data.get("visibility", "shared")}
    if "file" in data:
        post["file"] = SimpleUploadedFile(*data["file"])
    response = client_for("receiving_member").post(upload_url(referral), post)
    assert response.status_code == 400
    body = text(response)
    assert message in body
    form_start = body.index(f'action="{upload_url(referral)}"')
    assert body.index(message) > form_start  # inside the upload form, next to its fields
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_coordinator_cannot_upload_and_is_audited(referral, client_for, media):
    before = AuditEvent.objects.filter(action="permission_denied").count()
    response = client_for("coordinator").post(upload_url(referral), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="permission_denied").count() == before + 1
    assert Attachment.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize("key", ["outsider_referral_staff", "foreign_coordinator", "foreign_referral_staff"])
def test_outsiders_and_other_task_forces_get_404_on_upload(referral, client_for, media, key):
    response = client_for(key).post(upload_url(referral), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 404
    assert Attachment.objects.count() == 0 and stored_files(media) == []


def test_the_receiver_cannot_attach_to_a_draft_it_cannot_see(setup, media, client_for):
    draft = setup.draft()
    response = client_for("receiving_member").post(upload_url(draft), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert response.status_code == 404


def test_upload_takes_post_only(referral, client_for):
    assert client_for("receiving_member").get(upload_url(referral)).status_code == 405


# --- Downloading -----------------------------------------------------------------------------------------------


def test_download_is_an_uncached_unsniffed_attachment_and_audited(setup, referral, client_for):
    attachment = attach(setup, referral)
    response = client_for("sending_member").get(download_url(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="intake.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    event = AuditEvent.objects.get(action="viewed", object_type="cases.attachment", object_id=str(attachment.pk))
    assert event.actor == setup.world.user("sending_member")
    assert event.changes["download"] is True


def test_an_unusual_name_is_sent_safely(setup, referral, client_for):
    attachment = attach(setup, referral, name='plan "final"\r\n\u202egpj.txt', data=TEXT)
    response = client_for("receiving_member").get(download_url(attachment))
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename")
    assert "\r" not in header and "\n" not in header and "\u202e" not in header
    assert b"".join(response.streaming_content) == TEXT


@pytest.mark.parametrize(
    "key", ["outsider_member", "coordinator", "foreign_coordinator", "site_admin", "foreign_referral_staff"]
)
def test_anyone_else_gets_404_and_nothing_is_audited_as_viewed(setup, referral, client_for, key):
    attachment = attach(setup, referral)
    assert client_for(key).get(download_url(attachment)).status_code == 404
    assert not AuditEvent.objects.filter(action="viewed", object_type="cases.attachment").exists()


def test_the_other_partner_cannot_download_an_internal_attachment(setup, referral, client_for):
    internal = attach(setup, referral, visibility=NoteVisibility.INTERNAL)
    assert client_for("sending_referral_staff").get(download_url(internal)).status_code == 404
    assert client_for("receiving_member").get(download_url(internal)).status_code == 200


def test_unknown_ids_are_404(referral, client_for):
    client = client_for("receiving_member")
    assert client.get("/referrals/attachments/999999/").status_code == 404
    assert client.get(f"/referrals/attachments/{2**70}/").status_code == 404
    assert client.get("/referrals/attachments/abc/").status_code == 404


def test_anonymous_is_sent_to_login(setup, referral, client):
    attachment = attach(setup, referral)
    response = client.get(download_url(attachment))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Speed ------------------------------------------------------------------------------------------------------


def test_the_detail_query_count_does_not_grow_with_attachments(setup, media, client_for, django_assert_num_queries):
    short, long = setup.at_status(Status.ACCEPTED), setup.at_status(Status.ACCEPTED)
    for n in range(6):
        attach(setup, long, name=f"scan-{n}.png", data=PNG, key="receiving_member")
        attach(setup, long, name=f"notes-{n}.txt", data=TEXT, key="sending_member", visibility=NoteVisibility.INTERNAL)
    client = client_for("receiving_referral_staff")
    # Session, user and actor (3); the referral and its prefetches (3); notes and attachments (2); the "viewed" event
    # (1); the reason codes and the transfer partners of the moves offered (1 each).
    for referral in (short, long):
        with django_assert_num_queries(11):
            response = client.get(detail(referral))
        assert response.status_code == 200
    assert text(response).count("/referrals/attachments/") == 6
