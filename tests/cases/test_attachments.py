"""Attachments: accepted by content (not by name), size limit, sanitised names, non-guessable storage, refusals
that leave nothing behind, and downloads that check access and write the audit trail."""

import hashlib
import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from cases import attachments
from cases.models import Attachment, NoteVisibility, Status
from psn.models import AuditEvent

pytestmark = pytest.mark.django_db

SHARED, INTERNAL = NoteVisibility.SHARED, NoteVisibility.INTERNAL
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64 + b"This program cannot be run"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
TEXT = "Rendez-vous mardi à 10 h — café.\n".encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX = _zip(
    {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": b"<Relationships/>",
        "word/document.xml": b"<w:document><w:body><w:p>Plan</w:p></w:body></w:document>",
    }
)
DOCM = _zip(
    {
        "[Content_Types].xml": CONTENT_TYPES.replace(b"document.main+xml", b"document.macroEnabled.main+xml"),
        "word/document.xml": b"<w:document/>",
        "word/vbaProject.bin": b"\x00" * 32,
    }
)
PLAIN_ZIP = _zip({"notes.txt": b"hello"})


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _add(stage, referral, name: str, data: bytes, key: str = "receiving_member", visibility=SHARED):
    return attachments.attachment_add(
        actor=stage.actor(key),
        referral=referral,
        uploaded_file=SimpleUploadedFile(name, data, content_type="application/octet-stream"),
        visibility=visibility,
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("intake.pdf", PDF, "application/pdf"),
        ("id-card.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("plan.docx", DOCX, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("call-log.txt", TEXT, "text/plain"),
    ],
)
def test_each_allowed_type_is_stored_under_a_random_name_with_its_digest(setup, media, name, data, content_type):
    referral = setup.at_status(Status.ACCEPTED)
    attachment = _add(setup, referral, name, data)
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.sha256 == hashlib.sha256(data).hexdigest()
    assert attachment.original_name == name
    assert attachment.uploaded_by_partner == setup.world.receiving
    stored = attachment.file.name
    assert stored.startswith(f"attachments/{setup.world.tf.pk}/")
    assert name.split(".")[0] not in stored and len(stored.rsplit("/", 1)[1]) == 32
    assert (media / stored).read_bytes() == data
    event = AuditEvent.objects.get(object_type="cases.attachment", object_id=str(attachment.pk))
    assert event.action == "created" and event.changes["sha256"] == attachment.sha256


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", HTML),  # a page dressed as a PDF
        ("report.txt", HTML),  # markup is no plain text either
        ("photo.png", EXE),  # a program dressed as an image
        ("photo.exe", EXE),
        ("plan.docx", PLAIN_ZIP),  # a zip that is no Word document
        ("plan.docx", DOCM),  # a Word document with macros
        ("plan.docx", b"PK\x03\x04not really a zip"),
        ("scan.png", PDF),  # an allowed type under another type's name
        ("notes.txt", b"abc\x00def"),  # NUL bytes: binary
        ("notes.txt", b"caf\xe9 latin-1"),  # not UTF-8
        ("notes", TEXT),  # no extension
        ("image.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),  # a real image, not on the list
    ],
)
def test_spoofed_and_unlisted_types_are_refused_and_leave_nothing(setup, media, name, data):
    referral = setup.at_status(Status.ACCEPTED)
    with pytest.raises(ValidationError) as refused:
        _add(setup, referral, name, data)
    assert "file" in refused.value.message_dict
    assert _files(media) == []
    assert not Attachment.objects.exists()


def test_the_size_limit(setup, media, settings):
    settings.PSN_ATTACHMENT_MAX_BYTES = 1024
    referral = setup.at_status(Status.ACCEPTED)
    assert _add(setup, referral, "exact.txt", b"a" * 1024).size == 1024
    before = _files(media)
    with pytest.raises(ValidationError, match="larger than"):
        _add(setup, referral, "big.txt", b"a" * 1025)
    with pytest.raises(ValidationError, match="empty"):
        _add(setup, referral, "empty.txt", b"")
    assert _files(media) == before
    assert Attachment.objects.count() == 1


def test_the_default_limit_is_ten_megabytes():
    from psn import settings as project_settings

    assert project_settings.PSN_ATTACHMENT_MAX_BYTES == 10 * 1024 * 1024


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\officer\\Desktop\\intake form.pdf", "intake form.pdf"),
        ("\u202egpj.txt", "gpj.txt"),  # a right-to-left override would show it reversed
        ("  .hidden.txt", "hidden.txt"),
        ("intake\u00a0form\u2028.pdf", "intake form.pdf"),  # a no-break space, a line separator
        ('in"ta<k>e|?*.txt', "intake.txt"),
        ("a" * 300 + ".txt", "a" * 116 + ".txt"),
    ],
)
def test_names_are_sanitised_for_display(setup, media, uploaded, shown):
    attachment = _add(setup, setup.at_status(Status.ACCEPTED), uploaded, TEXT if uploaded.endswith("txt") else PDF)
    assert attachment.original_name == shown
    assert shown not in attachment.file.name


def test_a_refused_right_leaves_nothing(setup, media):
    referral = setup.at_status(Status.ACCEPTED)
    with pytest.raises(PermissionDenied):
        _add(setup, referral, "a.txt", TEXT, key="coordinator")
    with pytest.raises(Http404):
        _add(setup, referral, "a.txt", TEXT, key="outsider_member")
    with pytest.raises(Http404):
        _add(setup, referral, "a.txt", TEXT, key="foreign_partner_admin")
    with pytest.raises(ValidationError):
        _add(setup, referral, "a.txt", TEXT, visibility="public")
    assert _files(media) == [] and not Attachment.objects.exists()


def test_a_failure_after_the_file_is_written_removes_it(setup, media, monkeypatch):
    referral = setup.at_status(Status.ACCEPTED)

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(attachments.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        _add(setup, referral, "a.txt", TEXT)
    assert _files(media) == [] and not Attachment.objects.exists()


def test_opening_an_attachment_is_audited_and_scoped(setup, media):
    referral = setup.at_status(Status.ACCEPTED)
    internal = _add(setup, referral, "ours.pdf", PDF, visibility=INTERNAL)
    _attachment, handle = attachments.attachment_open_for(actor=setup.actor("receiving_referral_staff"), pk=internal.pk)
    with handle:
        assert handle.read() == PDF
    viewed = AuditEvent.objects.get(action="viewed", object_id=str(internal.pk))
    assert viewed.actor == setup.world.user("receiving_referral_staff")
    assert viewed.object_type == "cases.attachment" and viewed.changes["referral"] == referral.reference
    for key in ("sending_partner_admin", "coordinator", "outsider_member", "foreign_coordinator", "nobody"):
        with pytest.raises(Http404):
            attachments.attachment_open_for(actor=setup.actor(key), pk=internal.pk)
    for pk in ("abc", None, internal.pk + 1000):
        with pytest.raises(Http404):
            attachments.attachment_open_for(actor=setup.actor("receiving_referral_staff"), pk=pk)
    assert AuditEvent.objects.filter(action="viewed").count() == 1
