"""Hostile files on every upload, through the page and the API (issue 9, item 3).

The uploads: the HSDS directory import (page and API), the police partner's crime-count CSV (page and API), referral
attachments (page and API), signed consent forms (page and API) and partner logos (page; the API speaks JSON).
Each gets oversized, malformed, wrongly encoded, script-bearing, path-traversal, zip-bomb and duplicate input. Whatever
comes in: never a 500; a 4xx (or, for HSDS, a refused import whose report names the problem) with a message naming the
problem; and nothing written: the rows of every table the upload could touch and the files under MEDIA_ROOT are the
same before and after. The parsers' own cases are in tests/partners/hsds/test_hostile_files.py,
tests/reports/test_crime_upload.py and tests/cases/test_attachments.py; this file covers what they do not.
"""

import codecs
import io
import json
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from cases.models import Attachment, Consent
from partners.models import Contact, DirectoryImport, Location, Partner, PartnerKind, Service
from reports.models import CrimeCount, CrimeCountUpload
from tests.cases.support import build_setup
from tests.people.support import PDF, PNG, today

pytestmark = pytest.mark.django_db

SCRIPT = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
PROBE = "<script>alert(1)</script><img src=x onerror=alert(1)>"  # no comma or quote: one CSV cell
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'
TEXT = "Called on Tuesday, callback Friday: café.\n"


def zip_of(files: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def upload(name: str, content: bytes | str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, content_type)


@pytest.fixture
def world(module_world, db):
    """Built once for this module's many small tests; each writes only inside its own savepoint."""
    return module_world


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def snapshot(media) -> dict:
    """Every row an upload could write, and every stored file."""
    return {
        "partners": Partner.objects.count(),
        "logos": sorted(Partner.objects.exclude(logo="").values_list("logo", flat=True)),
        "services": Service.objects.count(),
        "locations": Location.objects.count(),
        "contacts": Contact.objects.count(),
        "crime counts": sorted(CrimeCount.objects.values_list("month", "offense", "count")),
        "crime uploads": CrimeCountUpload.objects.count(),
        "attachments": Attachment.objects.count(),
        "consents": Consent.objects.count(),
        "files": stored_files(media),
    }


def page_text(response) -> str:
    assert response.status_code != 500
    return response.content.decode()


def assert_escaped(body: str) -> None:
    """Whatever the message echoes of a hostile value, it is shown as text, never as markup."""
    for raw in ("<script>alert", "<img src=x", "<svg"):
        at = body.find(raw)
        assert at == -1, f"{raw!r} is served unescaped: …{body[max(0, at - 200) : at + 100]}…"


# --- HSDS import --------------------------------------------------------------------------------------------------

DATAPACKAGE = json.dumps({"resources": [{"name": "organization", "path": "organizations.csv"}]})


def hsds_package(csv: bytes | str, **more) -> bytes:
    return zip_of({"datapackage.json": DATAPACKAGE, "organizations.csv": csv, **more})


def _docx_like_bomb(size: int) -> bytes:
    return zip_of({"organizations.csv": b"id\n" + b"0" * size})


def _lying_zip() -> bytes:
    content = bytearray(zip_of({"organizations.csv": "id,name\n" + "o1,Org\n" * 200}))
    at = content.index(b"PK\x01\x02") + 24  # the central directory's uncompressed size: 20 bytes, it holds 1,408
    struct.pack_into("<I", content, at, 20)
    return bytes(content)


O1, O2 = "4f0c5c1e-2d7b-4a51-9c1f-0b8f2a7e6d3c", "5a1d6d2f-3e8c-4b62-8d2a-1c9a3b8f7e4d"


def _organizations(*rows: dict) -> bytes:
    return json.dumps({"organizations": [{"description": "A community group.", **row} for row in rows]}).encode()


HSDS_HOSTILE = [
    # (id, file name, content, words of the report)
    ("json-syntax", "d.json", b'{"organizations": [\n {"id": "o1",}\n]}', "is not valid JSON"),
    ("json-nesting", "d.json", b"[" * 20_000 + b"]" * 20_000, "nested too deeply"),
    (
        "json-huge-number",
        "d.json",
        _organizations({"id": O1, "name": "A", "year_incorporated": 1}).replace(b": 1}", b": " + b"9" * 5000 + b"}"),
        "number",
    ),
    ("json-nul-escape", "d.json", _organizations({"id": O1, "name": "Bad\u0000Name"}), "NUL"),
    ("json-lone-surrogate", "d.json", _organizations({"id": O1, "name": "A\ud800B"}), "surrogate"),
    ("json-nan", "d.json", _organizations({"id": O1, "name": float("nan")}), "NaN"),
    ("json-latin1", "d.json", '{"organizations": [{"id": "o1", "name": "Niños"}]}'.encode("latin-1"), "UTF-8"),
    ("json-utf16-no-bom", "d.json", '{"organizations": []}'.encode("utf-16-le"), "NUL bytes"),
    (
        "json-duplicate-ids",
        "d.json",
        _organizations({"id": O1, "name": "First"}, {"id": O1, "name": "Second"}),
        O1,
    ),
    ("zip-not-a-zip", "p.zip", b"MZ\x90\x00 a program", "is not a zip file"),
    ("zip-traversal", "p.zip", zip_of({"../../organizations.csv": "id\n"}), "unsafe name"),
    ("zip-traversal-backslash", "p.zip", zip_of({"..\\..\\organizations.csv": "id\n"}), "unsafe name"),
    ("zip-absolute", "p.zip", zip_of({"/etc/organizations.csv": "id\n"}), "unsafe name"),
    ("zip-bomb-ratio", "p.zip", _docx_like_bomb(3 * 1024 * 1024), "a zip bomb?"),
    ("zip-lying-size", "p.zip", _lying_zip(), "cannot be read from the zip"),
    ("zip-many-members", "p.zip", zip_of({f"x{i}.csv": "id\n" for i in range(101)}), "at most 100"),
    ("zip-nested", "p.zip", hsds_package("id\n", **{"more.zip": zip_of({"organizations.csv": "id\n"})}), "nested"),
    ("csv-latin1", "p.zip", hsds_package("id,name\no1,Niños\n".encode("latin-1")), "not valid UTF-8 text"),
    ("csv-nul", "p.zip", hsds_package(b"id,name\no1,O\x00rg\n"), "NUL bytes"),
    ("csv-duplicate-columns", "p.zip", hsds_package("id,name,name\no1,A,B\n"), "appears more than once"),
    ("csv-duplicate-ids", "p.zip", hsds_package(f"id,name\n{O1},First\n{O1},Second\n"), O1),
]


def _hsds_report(directory_import) -> str:
    return " ".join(problem["message"] for problem in directory_import.problems or []) + " " + directory_import.error


@pytest.mark.parametrize(("name", "content", "words"), [h[1:] for h in HSDS_HOSTILE], ids=[h[0] for h in HSDS_HOSTILE])
def test_hsds_page_refuses_a_hostile_file_with_its_report_and_writes_nothing(client_for, media, name, content, words):
    client = client_for("coordinator")
    before = snapshot(media)

    response = client.post(reverse("hsds:index"), {"file": upload(name, content), "dry_run": ""})

    assert response.status_code == 302, page_text(response)[:500]
    directory_import = DirectoryImport.objects.get()
    assert directory_import.status == "failed"
    assert words.lower() in _hsds_report(directory_import).lower(), directory_import.problems
    assert not directory_import.file  # the refused file is not kept
    assert snapshot(media) == before
    body = page_text(client.get(response["Location"]))
    assert "nothing was imported" in body


@pytest.mark.parametrize(("name", "content", "words"), [h[1:] for h in HSDS_HOSTILE], ids=[h[0] for h in HSDS_HOSTILE])
def test_hsds_api_refuses_a_hostile_file_with_its_report_and_writes_nothing(client_for, media, name, content, words):
    before = snapshot(media)

    response = client_for("coordinator").post("/api/v1/hsds/imports/", {"file": upload(name, content), "dry_run": "0"})

    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert body["status"] == "failed" and body["confirmable"] is False
    assert words.lower() in (" ".join(p["message"] for p in body["problems"]) + body["error"]).lower(), body
    assert snapshot(media) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", b"", "The submitted file is empty."),
        ("organizations.csv", b"id,name\no1,A\n", "Choose a .json file (HSDS JSON) or a .zip file"),
        ("evil.json.exe", b"{}", "Choose a .json file (HSDS JSON) or a .zip file"),
        ("big.json", b"[" + b" " * 2048 + b"]", "larger than the limit"),
    ],
    ids=["empty", "csv", "double-extension", "oversized"],
)
def test_hsds_refuses_before_storing_with_a_400(client_for, media, settings, name, content, message):
    settings.PSN_HSDS_MAX_UPLOAD_BYTES = 1024
    before = snapshot(media)

    page = client_for("coordinator").post(reverse("hsds:index"), {"file": upload(name, content)})
    api = client_for("coordinator").post("/api/v1/hsds/imports/", {"file": upload(name, content)})

    assert page.status_code == 400 and message in page_text(page)
    assert api.status_code == 400 and message in " ".join(api.json()["errors"]["file"]), api.content
    assert DirectoryImport.objects.count() == 0
    assert snapshot(media) == before


def test_hsds_a_traversing_upload_name_is_only_shown_never_used_as_a_path(client_for, media):
    content = _organizations({"id": O1, "name": "Safe Haven"})

    response = client_for("coordinator").post(
        "/api/v1/hsds/imports/", {"file": upload("../../../etc/passwd.json", content), "dry_run": "1"}
    )

    assert response.status_code == 201, response.content
    directory_import = DirectoryImport.objects.get()
    assert directory_import.original_name == "passwd.json"
    [stored] = stored_files(media)  # a successful preview keeps its file, under a random name
    assert stored.startswith("directory-imports/") and "passwd" not in stored and ".." not in stored


def test_hsds_the_same_file_twice_updates_and_never_duplicates(client_for, media):
    content = _organizations({"id": O1, "name": "Safe Haven"}, {"id": O2, "name": "Second Chance"})
    client = client_for("coordinator")

    first = client.post("/api/v1/hsds/imports/", {"file": upload("d.json", content), "dry_run": "0"})
    after_first = snapshot(media)
    second = client.post("/api/v1/hsds/imports/", {"file": upload("d.json", content), "dry_run": "0"})

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["status"] == second.json()["status"] == "done"
    assert snapshot(media) == after_first
    assert Partner.objects.filter(name__in=["Safe Haven", "Second Chance"]).count() == 2


# --- Crime-count CSV ----------------------------------------------------------------------------------------------

GOOD_COUNTS = "month,offense,count\n2025-08,homicide,2\n2025-08,robbery,40\n"

CRIME_HOSTILE = [
    # (id, file name, content, words of the refusal)
    ("oversized", "c.csv", "month,offense,count\n" + "2025-01,robbery,1\n" * 60_000, "larger than 1 MB"),
    ("latin1", "c.csv", "month,offense,count\n2025-01,robo agravado ñ,1\n".encode("latin-1"), "not UTF-8"),
    ("utf16-bom", "c.csv", GOOD_COUNTS.encode("utf-16"), "not UTF-8"),
    ("utf16-no-bom", "c.csv", GOOD_COUNTS.encode("utf-16-le"), "binary data"),
    ("utf32-bom", "c.csv", GOOD_COUNTS.encode("utf-32"), "not UTF-8"),
    ("nul", "c.csv", b"month,offense,count\n2025-01,rob\x00bery,1\n", "binary data"),
    ("zip-as-csv", "c.csv", zip_of({"c.csv": GOOD_COUNTS}), "binary data"),
    ("xlsx", "c.xlsx", zip_of({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}), "binary data"),
    ("png", "c.csv", PNG, "binary data"),
    ("empty", "c.csv", b"", "The submitted file is empty."),
    ("script-offense", "c.csv", f"month,offense,count\n2025-01,{PROBE},1\n", "is not one of"),
    ("script-header", "c.csv", "<script>alert(1)</script>,offense,count\n2025-01,robbery,1\n", "header must name"),
    ("formula", "c.csv", 'month,offense,count\n2025-01,"=HYPERLINK(""http://x"",""y"")",1\n', "is not one of"),
    ("traversal-offense", "c.csv", "month,offense,count\n2025-01,../../etc/passwd,1\n", "is not one of"),
    ("duplicate-rows", "c.csv", "month,offense,count\n2025-01,robbery,1\n2025-01,Robbery,2\n", "already on line 2"),
    ("unclosed-quote", "c.csv", 'month,offense,count\n2025-01,"' + "x" * 140_000 + ",1\n", "cannot be read as CSV"),
    ("unicode-digits", "c.csv", "month,offense,count\n٢٠٢٥-٠١,robbery,٣\n", "not a month as YYYY-MM"),
    ("html-page", "c.csv", HTML, "header must name"),
]


@pytest.fixture
def counts_stored(world):
    """Counts already stored, so a refusal that replaced a month would show."""
    from reports import crime
    from tests.meetings.support import actor

    return crime.crime_counts_upload(
        actor=actor(world, "sending_referral_staff"), partner=world.sending, uploaded_file=upload("c.csv", GOOD_COUNTS)
    )


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in CRIME_HOSTILE], ids=[h[0] for h in CRIME_HOSTILE]
)
def test_crime_page_refuses_a_hostile_file_with_a_400_naming_it(
    client_for, world, media, counts_stored, name, content, words
):
    before = snapshot(media)

    response = client_for("sending_referral_staff").post(
        reverse("crime:upload"), {"partner": world.sending.pk, "file": upload(name, content, "text/csv")}
    )

    assert response.status_code == 400
    body = page_text(response)
    assert words in body.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&"), body[-3000:]
    assert_escaped(body)
    assert snapshot(media) == before


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in CRIME_HOSTILE], ids=[h[0] for h in CRIME_HOSTILE]
)
def test_crime_api_refuses_a_hostile_file_with_a_400_naming_it(
    client_for, world, media, counts_stored, name, content, words
):
    before = snapshot(media)

    response = client_for("sending_referral_staff").post(
        "/api/v1/crime-counts/upload/", {"partner": world.sending.pk, "file": upload(name, content, "text/csv")}
    )

    assert response.status_code == 400, response.content[:500]
    assert words in " ".join(response.json()["errors"]["file"])
    assert snapshot(media) == before


def test_crime_a_traversing_or_script_bearing_file_name_is_stored_as_its_plain_base_name(client_for, world, media):
    name = "../../etc/<script>alert(1)</script>\u202ecounts.csv"
    client = client_for("sending_referral_staff")

    response = client.post(
        "/api/v1/crime-counts/upload/", {"partner": world.sending.pk, "file": upload(name, GOOD_COUNTS)}
    )

    assert response.status_code == 201, response.content
    stored = CrimeCountUpload.objects.get()
    assert "/" not in stored.filename and "\u202e" not in stored.filename and ".." not in stored.filename
    assert stored_files(media) == []  # the counts are kept, the file itself is not
    assert_escaped(page_text(client.get(reverse("crime:list"))))


def test_crime_the_same_file_twice_replaces_its_months_and_never_doubles_them(client_for, world, media):
    client = client_for("sending_referral_staff")

    for _ in range(2):
        response = client.post(
            "/api/v1/crime-counts/upload/", {"partner": world.sending.pk, "file": upload("c.csv", GOOD_COUNTS)}
        )
        assert response.status_code == 201, response.content

    assert sorted(CrimeCount.objects.values_list("offense", "count")) == [("homicide", 2), ("robbery", 40)]
    assert CrimeCountUpload.objects.count() == 2  # each upload is on the record


# --- Attachments --------------------------------------------------------------------------------------------------

CONTENT_TYPES = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def docx(**parts: bytes) -> bytes:
    return zip_of({"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": b"<Relationships/>", **parts})


DOCUMENT = b"<w:document><w:body><w:p>Plan</w:p></w:body></w:document>"

ATTACHMENT_HOSTILE = [
    # (id, file name, content, words of the refusal)
    ("oversized", "big.txt", b"a" * 4097, "larger than"),
    ("empty", "empty.pdf", b"", "empty"),
    ("html-as-pdf", "report.pdf", HTML, "Only PDF, PNG, JPEG"),
    ("html-as-txt", "report.txt", HTML, "Only PDF, PNG, JPEG"),
    ("html-after-bom", "report.txt", codecs.BOM_UTF8 + b"  " + HTML, "Only PDF, PNG, JPEG"),
    ("svg-as-png", "logo.png", SVG, "Only PDF, PNG, JPEG"),
    ("svg-as-txt", "logo.txt", SVG, "Only PDF, PNG, JPEG"),
    ("utf16-text", "notes.txt", codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "Only PDF, PNG, JPEG"),
    ("latin1-text", "notes.txt", TEXT.encode("latin-1"), "Only PDF, PNG, JPEG"),
    ("nul-text", "notes.txt", b"abc\x00def", "Only PDF, PNG, JPEG"),
    ("pdf-as-txt", "notes.txt", PDF, "does not match its content"),
    ("double-extension", "scan.pdf.exe", PDF, "does not match its content"),
    ("no-extension", "../../etc/passwd", TEXT.encode(), "needs a name ending in its type"),
    ("zip", "notes.zip", zip_of({"notes.txt": TEXT}), "Only PDF, PNG, JPEG"),
    ("docx-bomb", "plan.docx", docx(**{"word/document.xml": b"<w:document>" + b" " * (8 * 1024 * 1024)}), "zip bomb"),
    (
        "docx-traversal",
        "plan.docx",
        docx(**{"word/document.xml": DOCUMENT, "../../../etc/cron.d/x": b"* * * * * root sh"}),
        "unsafe name",
    ),
    ("docx-damaged", "plan.docx", docx(**{"word/document.xml": DOCUMENT})[:-40], "Only PDF, PNG, JPEG"),
]


@pytest.fixture
def referral(world):
    setup = build_setup(world)
    return setup.submitted()


@pytest.fixture
def small_attachments(settings):
    # The whole of the docx bomb is 8 MB unpacked but only a few KB as sent: under the limit, caught by its ratio.
    settings.PSN_ATTACHMENT_MAX_BYTES = 64 * 1024


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in ATTACHMENT_HOSTILE], ids=[h[0] for h in ATTACHMENT_HOSTILE]
)
def test_attachment_page_refuses_a_hostile_file_with_a_400_naming_it(
    client_for, referral, media, small_attachments, settings, name, content, words
):
    settings.PSN_ATTACHMENT_MAX_BYTES = 4096 if name == "big.txt" else settings.PSN_ATTACHMENT_MAX_BYTES
    before = snapshot(media)

    response = client_for("receiving_member").post(
        reverse("cases:attachment_add", args=[referral.pk]), {"file": upload(name, content), "visibility": "shared"}
    )

    assert response.status_code == 400
    body = page_text(response)
    assert words in body.replace("&#x27;", "'"), body[-3000:]
    assert snapshot(media) == before


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in ATTACHMENT_HOSTILE], ids=[h[0] for h in ATTACHMENT_HOSTILE]
)
def test_attachment_api_refuses_a_hostile_file_with_a_400_naming_it(
    client_for, referral, media, small_attachments, settings, name, content, words
):
    settings.PSN_ATTACHMENT_MAX_BYTES = 4096 if name == "big.txt" else settings.PSN_ATTACHMENT_MAX_BYTES
    before = snapshot(media)

    response = client_for("receiving_member").post(
        f"/api/v1/referrals/{referral.pk}/attachments/", {"file": upload(name, content)}
    )

    assert response.status_code == 400, response.content[:500]
    assert words in " ".join(response.json()["errors"]["file"])
    assert snapshot(media) == before


def test_attachment_a_word_document_with_an_embedded_workbook_is_still_accepted(client_for, referral, media):
    # Word embeds spreadsheets as zips of their own: a nested archive is no reason to refuse a .docx.
    content = docx(**{"word/document.xml": DOCUMENT, "word/embeddings/Sheet1.xlsx": zip_of({"x.xml": "<x/>"})})

    response = client_for("receiving_member").post(
        f"/api/v1/referrals/{referral.pk}/attachments/", {"file": upload("plan.docx", content)}
    )

    assert response.status_code == 201, response.content


def test_attachment_a_script_bearing_traversing_name_is_shown_as_text_and_never_a_path(client_for, referral, media):
    client = client_for("receiving_member")
    name = "..\\..\\<script>alert(1)</script><img src=x onerror=alert(1)>.txt"

    response = client.post(
        reverse("cases:attachment_add", args=[referral.pk]), {"file": upload(name, TEXT), "visibility": "shared"}
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert "/" not in attachment.original_name and "\\" not in attachment.original_name
    [stored] = stored_files(media)
    assert stored.startswith("attachments/") and "script" not in stored
    assert_escaped(page_text(client.get(reverse("cases:referral_detail", args=[referral.pk]))))


def test_attachment_the_same_file_twice_is_two_attachments_each_under_its_own_name(client_for, referral, media):
    client = client_for("receiving_member")
    url = f"/api/v1/referrals/{referral.pk}/attachments/"

    first = client.post(url, {"file": upload("intake.pdf", PDF)})
    second = client.post(url, {"file": upload("intake.pdf", PDF)})

    assert (first.status_code, second.status_code) == (201, 201)
    a, b = Attachment.objects.order_by("pk")
    assert a.sha256 == b.sha256 and a.file.name != b.file.name
    assert len(stored_files(media)) == 2


# --- Consent forms ------------------------------------------------------------------------------------------------

CONSENT_HOSTILE = [
    ("html-as-pdf", "form.pdf", HTML, "must be a PDF, PNG or JPEG"),
    ("svg-as-png", "form.png", SVG, "must be a PDF, PNG or JPEG"),
    ("text", "form.txt", TEXT.encode(), "must be a PDF, PNG or JPEG"),
    ("zip", "form.zip", zip_of({"form.pdf": PDF}), "must be a PDF, PNG or JPEG"),
    ("utf16", "form.pdf", "%PDF-1.4".encode("utf-16"), "must be a PDF, PNG or JPEG"),
    ("oversized", "form.pdf", PDF + b"0" * (5 * 1024 * 1024), "larger than 5 MB"),
    ("empty", "form.pdf", b"", "empty"),
]


@pytest.fixture
def person(world):
    """The setup's person, referred to the receiving partner (whose staff may then record their consent)."""
    setup = build_setup(world)
    setup.submitted()
    return setup.person


def _consent_form(world, file) -> dict:
    return {
        "scope": "partners",
        "partners": [world.receiving.pk],
        "shares": ["contact"],
        "method": "upload",
        "given_on": str(today(world.tf)),
        "expires_on": "",
        "file": file,
    }


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in CONSENT_HOSTILE], ids=[h[0] for h in CONSENT_HOSTILE]
)
def test_consent_page_refuses_a_hostile_form_with_a_400_naming_it(
    client_for, world, person, media, name, content, words
):
    before = snapshot(media)

    response = client_for("receiving_referral_staff").post(
        reverse("people:consent_create", args=[person.pk]), _consent_form(world, upload(name, content))
    )

    assert response.status_code == 400
    assert words in page_text(response), page_text(response)[-3000:]
    assert snapshot(media) == before


@pytest.mark.parametrize(
    ("name", "content", "words"), [h[1:] for h in CONSENT_HOSTILE], ids=[h[0] for h in CONSENT_HOSTILE]
)
def test_consent_api_refuses_a_hostile_form_with_a_400_naming_it(
    client_for, world, person, media, name, content, words
):
    before = snapshot(media)
    data = {**_consent_form(world, upload(name, content)), "person": person.pk}
    del data["expires_on"]

    response = client_for("receiving_referral_staff").post("/api/v1/consents/", data)

    assert response.status_code == 400, response.content[:500]
    assert words in " ".join(response.json()["errors"]["file"])
    assert snapshot(media) == before


def test_consent_a_traversing_form_name_never_becomes_a_path(client_for, world, person, media):
    response = client_for("receiving_referral_staff").post(
        reverse("people:consent_create", args=[person.pk]),
        _consent_form(world, upload("../../../etc/cron.d/form.pdf", PDF)),
    )

    assert response.status_code == 302
    [stored] = stored_files(media)
    assert stored.startswith(f"consents/{world.tf.pk}/") and "cron" not in stored and "form" not in stored


# --- Partner logos ------------------------------------------------------------------------------------------------


def image(fmt: str = "PNG", size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, fmt)
    return buffer.getvalue()


def _pixel_bomb() -> bytes:
    """A PNG that says it is 30,000 x 30,000 pixels (900 megapixels, 2.7 GB decoded) in a few hundred bytes."""
    data = bytearray(image("PNG", (1, 1)))
    struct.pack_into(">II", data, 16, 30_000, 30_000)  # IHDR's width and height
    import zlib

    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))  # IHDR's CRC, so the header is valid
    return bytes(data)


LOGO_HOSTILE = [
    ("svg-script", "logo.svg", SVG, "Upload a valid image"),
    ("svg-as-png", "logo.png", SVG, "Upload a valid image"),
    ("html-as-png", "logo.png", HTML, "Upload a valid image"),
    ("pixel-bomb", "logo.png", _pixel_bomb(), "Upload a valid image"),
    ("pdf-as-png", "logo.png", PDF, "Upload a valid image"),
    ("zip-as-png", "logo.png", zip_of({"logo.png": image()}), "Upload a valid image"),
    ("tiff-as-png", "logo.png", image("TIFF"), "must be a PNG, JPEG, GIF or WebP image"),
    ("png-as-html", "logo.html", image(), "File extension"),
    ("oversized", "logo.png", image() + b"\x00" * (1024 * 1024), "at most 1 MB"),
]

NEW_PARTNER = {"name": "Safe Haven", "kind": PartnerKind.COMMUNITY}


@pytest.mark.parametrize(("name", "content", "words"), [h[1:] for h in LOGO_HOSTILE], ids=[h[0] for h in LOGO_HOSTILE])
def test_logo_refuses_a_hostile_image_with_a_400_naming_it(client_for, world, media, name, content, words):
    before = snapshot(media)

    response = client_for("coordinator").post(
        reverse("partners:partner_create"), {**NEW_PARTNER, "logo": upload(name, content, "image/png")}
    )

    assert response.status_code == 400
    assert words in page_text(response).replace("&#x27;", "'"), page_text(response)[-3000:]
    assert snapshot(media) == before


def test_logo_a_traversing_name_is_stored_under_logos_only(client_for, world, media):
    response = client_for("coordinator").post(
        reverse("partners:partner_create"), {**NEW_PARTNER, "logo": upload("../../../static/js/app.png", image())}
    )

    assert response.status_code == 302
    [stored] = stored_files(media)
    assert stored.startswith("logos/") and ".." not in stored and "static" not in stored
