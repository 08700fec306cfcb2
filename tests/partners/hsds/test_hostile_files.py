"""Every kind of bad HSDS file is a clear Problem, never an exception, and nothing is written (issue 4, item 6).

The reader tests assert the exact Problem; the upload tests go through the service (the page and the API
call it) and check that no partner, service, location or contact appeared."""

import codecs
import io
import json
import struct
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.hsds import reader, services
from partners.hsds.types import Problem
from partners.models import Contact, DirectoryImport, Location, Partner, Service
from psn import access

LIMITS = reader.Limits(
    max_bytes=1024 * 1024, zip_max_uncompressed=4 * 1024 * 1024, zip_max_ratio=100, zip_max_members=30
)
DATAPACKAGE = json.dumps({"resources": [{"name": "organization", "path": "organizations.csv"}]})


def zip_of(files: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def package(csv: bytes | str, *, name: str = "organizations.csv", compression=zipfile.ZIP_DEFLATED, **more) -> bytes:
    return zip_of({"datapackage.json": DATAPACKAGE, name: csv, **more}, compression)


def read(content: bytes, filename: str = "upload.zip", limits=LIMITS):
    return reader.read_file(content, filename=filename, limits=limits)


def only_problem(result) -> Problem:
    errors = [problem for problem in result.problems if problem.severity == "error"]
    assert len(errors) == 1, result.problems
    return errors[0]


# --- Whole-file refusals ----------------------------------------------------------------------------------


def test_a_file_over_the_limit_is_refused_naming_the_limit_in_mb():
    limits = reader.Limits(max_bytes=2 * 1024 * 1024, zip_max_uncompressed=1, zip_max_ratio=1, zip_max_members=1)
    result = read(b"[" + b" " * (2 * 1024 * 1024) + b"]", "big.json", limits)
    assert result.problems == [Problem("big.json", None, None, "The file is larger than the limit of 2 MB.")]
    assert result.tables == {}


class NeverRead:
    """An upload that says it is too big: it must be refused without being read."""

    size = 10 * 1024 * 1024

    def read(self, *args):
        raise AssertionError("read although its size is over the limit")


def test_the_size_is_checked_before_reading():
    result = read(NeverRead(), "big.zip")
    assert result.problems == [Problem("big.zip", None, None, "The file is larger than the limit of 1 MB.")]


def test_a_stream_without_a_size_is_read_only_up_to_the_limit():
    stream = io.BytesIO(b"x" * (LIMITS.max_bytes + 100))
    result = read(stream, "big.json")
    assert only_problem(result).message == "The file is larger than the limit of 1 MB."
    assert stream.tell() == LIMITS.max_bytes + 1


@pytest.mark.parametrize("content", [b"", b"  \n\t "])
def test_an_empty_file_is_refused(content):
    assert read(content, "d.json").problems == [Problem("d.json", None, None, "The file is empty.")]


def test_a_wrong_extension_is_refused():
    assert read(b"id,name\n", "organizations.csv").problems == [
        Problem("organizations.csv", None, None, "The file must be a .json file (HSDS JSON) or a .zip (CSV package).")
    ]


# --- JSON -------------------------------------------------------------------------------------------------


def test_json_syntax_error_names_line_and_column():
    result = read(b'{"services": [\n  {"id": "s1",}\n]}', "d.json")
    assert result.problems == [
        Problem(
            "d.json",
            2,
            None,
            "d.json is not valid JSON: Expecting property name enclosed in double quotes (line 2, column 15).",
        )
    ]


def test_not_json_at_all():
    problem = only_problem(read(b"<html>hello</html>", "d.json"))
    assert problem.message.startswith("d.json is not valid JSON: Expecting value (line 1, column 1)")


@pytest.mark.parametrize(("document", "kind"), [("42", "a number"), ('"text"', "a string"), ("null", "null")])
def test_json_of_the_wrong_top_level_type(document, kind):
    assert read(document.encode(), "d.json").problems == [
        Problem(
            "d.json",
            None,
            None,
            "The JSON document must be an object of tables (“services”, “organizations”...) or a list of services, "
            f"not {kind}.",
        )
    ]


def test_json_object_without_any_table():
    problem = only_problem(read(b'{"hello": 1}', "d.json"))
    assert problem.message == "The file holds no HSDS table (“services”, “organizations”...)."


def test_a_table_that_is_not_a_list():
    result = read(b'{"services": {"id": "s1"}}', "d.json")
    assert result.problems == [Problem("d.json", None, "service", "“service” must be a list of objects.")]


@pytest.mark.parametrize("depth", [40, 100_000])
def test_json_nesting_bomb_is_an_error_not_a_recursion_error(depth):
    result = read(b'{"services": ' + b"[" * depth + b"]" * depth + b"}", "d.json")
    assert result.problems == [Problem("d.json", None, None, "d.json is nested too deeply (more than 32 levels).")]


def test_json_in_utf16_with_bom_is_decoded():
    text = json.dumps({"organizations": [{"id": "o1", "name": "Niños"}]})
    result = read(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "d.json")
    assert result.ok and result.tables["organization"][0].data["name"] == "Niños"


def test_json_with_utf8_bom_is_read():
    result = read(codecs.BOM_UTF8 + b'{"organizations": [{"id": "o1"}]}', "d.json")
    assert result.ok and result.tables["organization"][0].data == {"id": "o1"}


def test_json_in_latin1_is_refused_naming_the_line():
    content = '{"organizations": [\n{"id": "o1", "name": "Niños"}]}'.encode("latin-1")
    assert read(content, "d.json").problems == [
        Problem(
            "d.json",
            None,
            None,
            "d.json is not valid UTF-8 text (line 2, byte 0xF1). Save it as UTF-8 and try again.",
        )
    ]


# --- Zip --------------------------------------------------------------------------------------------------


def test_not_a_zip():
    assert read(b"id,name\no1,Org\n", "p.zip").problems == [Problem("p.zip", None, None, "p.zip is not a zip file.")]


def test_a_corrupt_zip():
    damaged = package("id,name\no1,Org\n")[:-30]
    assert read(damaged, "p.zip").problems == [
        Problem("p.zip", None, None, "p.zip is not a readable zip file (it may be damaged).")
    ]


def test_a_damaged_member_is_refused():
    content = bytearray(zip_of({"organizations.csv": "id,name\n" + "o1,Org\n" * 500}))
    start = content.index(b"organizations.csv") + len("organizations.csv")
    content[start + 10 : start + 40] = b"\xff" * 30  # inside the deflated data of the first member
    problem = only_problem(read(bytes(content), "p.zip"))
    assert problem.message.startswith("organizations.csv cannot be read from the zip")


def test_zip_bomb_by_total_size():
    limits = reader.Limits(
        max_bytes=1024 * 1024, zip_max_uncompressed=100_000, zip_max_ratio=10_000, zip_max_members=30
    )
    bomb = zip_of({"organizations.csv": "id\n" + "0\n" * 30_000, "services.csv": "id\n" + "0\n" * 30_000})
    assert read(bomb, "p.zip", limits).problems == [
        Problem("p.zip", None, None, "The zip unpacks to more than 0.1 MB; it is refused.")
    ]


def test_zip_bomb_by_compression_ratio():
    bomb = zip_of({"organizations.csv": b"id\n" + b"0" * (3 * 1024 * 1024)})
    assert read(bomb, "p.zip").problems == [
        Problem(
            "p.zip",
            None,
            None,
            "organizations.csv is compressed more than 100 to 1 (a zip bomb?); the zip is refused.",
        )
    ]


def test_zip_with_too_many_members():
    many = zip_of({f"x{i}.csv": "id\n" for i in range(31)})
    assert read(many, "p.zip").problems == [
        Problem("p.zip", None, None, "The zip holds 31 files; at most 30 are accepted.")
    ]


def test_nested_zip_is_refused():
    nested = package("id\n", **{"more.zip": zip_of({"organizations.csv": "id\n"})})
    assert read(nested, "p.zip").problems == [
        Problem("p.zip", None, None, "more.zip is an archive inside the zip; nested archives are not accepted.")
    ]


def test_nested_zip_under_another_name_is_refused():
    nested = package("id\n", **{"services.csv": zip_of({"organizations.csv": "id\n"})})
    assert only_problem(read(nested, "p.zip")).message.endswith("nested archives are not accepted.")


def _central_header(content: bytearray) -> int:
    return content.index(b"PK\x01\x02")


def test_a_member_inflating_past_its_declared_size_is_refused():
    content = bytearray(zip_of({"organizations.csv": "id,name\n" + "o1,Org\n" * 200}))
    struct.pack_into("<I", content, _central_header(content) + 24, 20)  # declares 20 bytes, holds 1,408
    assert read(bytes(content), "p.zip").problems == [
        Problem(
            "p.zip",
            None,
            None,
            "organizations.csv cannot be read from the zip (Bad CRC-32 for file 'organizations.csv').",
        )
    ]


def test_an_encrypted_member_is_refused():
    content = bytearray(zip_of({"organizations.csv": "id,name\n"}))
    flags_at = _central_header(content) + 8
    struct.pack_into("<H", content, flags_at, struct.unpack_from("<H", content, flags_at)[0] | 0x1)
    assert read(bytes(content), "p.zip").problems == [
        Problem("p.zip", None, None, "organizations.csv is encrypted; encrypted zips are not accepted.")
    ]


@pytest.mark.parametrize("name", ["../organizations.csv", "/etc/organizations.csv", "a/../../x.csv", "C:/x.csv"])
def test_path_traversal_names_are_refused(name):
    assert read(zip_of({name: "id\n"}), "p.zip").problems == [
        Problem("p.zip", None, None, f"The zip holds a file with an unsafe name (“{name}”); it is refused.")
    ]


def test_zip_without_any_hsds_csv():
    result = read(zip_of({"readme.txt": "hello"}), "p.zip")
    assert only_problem(result) == Problem(
        "p.zip", None, None, "The package holds no HSDS CSV file (organizations.csv, services.csv...)."
    )


def test_unknown_csv_is_a_warning_and_missing_datapackage_too():
    result = read(zip_of({"organizations.csv": "id,name\no1,Org\n", "extra.csv": "a\n1\n"}), "p.zip")
    assert result.ok
    assert result.problems == [
        Problem(
            "p.zip",
            None,
            None,
            "The package has no datapackage.json; its tables were recognised by their file names.",
            "warning",
        ),
        Problem("extra.csv", None, None, "extra.csv is not an HSDS table; it was ignored.", "warning"),
    ]
    assert [r.data for r in result.tables["organization"]] == [{"id": "o1", "name": "Org"}]


def test_a_broken_datapackage_json_is_an_error():
    result = read(zip_of({"datapackage.json": "{", "organizations.csv": "id\n"}), "p.zip")
    assert only_problem(result).message.startswith("datapackage.json is not valid JSON")


# --- CSV --------------------------------------------------------------------------------------------------


def test_csv_with_utf8_bom_keeps_the_first_column_name():
    result = read(package(codecs.BOM_UTF8 + b"id,name\no1,Org\n"))
    assert result.ok and [r.data for r in result.tables["organization"]] == [{"id": "o1", "name": "Org"}]


def test_csv_in_utf16_with_bom_is_decoded():
    result = read(package(codecs.BOM_UTF16_LE + "id,name\r\no1,Niños\r\n".encode("utf-16-le")))
    assert result.ok and [r.data for r in result.tables["organization"]] == [{"id": "o1", "name": "Niños"}]


def test_csv_not_in_utf8_is_refused_naming_file_and_line():
    result = read(package("id,name\no1,Org\no2,Niños\n".encode("cp1252")))
    assert result.problems == [
        Problem(
            "organizations.csv",
            None,
            None,
            "organizations.csv is not valid UTF-8 text (line 3, byte 0xF1). Save it as UTF-8 and try again.",
        )
    ]


def test_quoted_newlines_keep_the_row_of_the_record_start():
    result = read(package('id,name,description\no1,Org,"first\nsecond\nthird"\no2,B,\n'))
    assert [(r.row, r.data["id"]) for r in result.tables["organization"]] == [(2, "o1"), (5, "o2")]
    assert result.tables["organization"][0].data["description"] == "first\nsecond\nthird"


def test_duplicate_column_names():
    result = read(package("id,name,name\no1,A,B\n"))
    assert result.problems == [Problem("organizations.csv", 1, "name", "The column “name” appears more than once.")]
    assert result.tables["organization"] == []


def test_ragged_rows_too_many_and_too_few_fields():
    result = read(package("id,name,description\no1,A,x\no2,B,x,extra\no3,C\n"))
    assert result.problems == [
        Problem("organizations.csv", 3, None, "This row has 4 fields; the header has 3."),
        Problem("organizations.csv", 4, None, "This row has 2 fields; the header has 3."),
    ]
    assert [r.data["id"] for r in result.tables["organization"]] == ["o1"]


def test_a_huge_single_field():
    result = read(
        package('id,name\no1,"' + "x" * (1024 * 1024 + 10) + '"\n', compression=zipfile.ZIP_STORED),
        limits=reader.Limits(4 * 1024 * 1024, 4 * 1024 * 1024, 100, 30),
    )
    assert result.problems == [
        Problem(
            "organizations.csv",
            2,
            None,
            "The CSV cannot be read here: A field is longer than 1024 KB (an unclosed quote?).",
        )
    ]


def test_an_unclosed_quote_swallowing_the_rest():
    result = read(package('id,name\no1,"Org\no2,B\n'))
    assert not result.ok
    assert result.problems[0].file == "organizations.csv"


def test_nul_bytes():
    result = read(package(b"id,name\no1,O\x00rg\n"))
    assert result.problems == [
        Problem(
            "organizations.csv",
            2,
            None,
            "organizations.csv contains NUL bytes (line 2): it is not a text file in UTF-8.",
        )
    ]


def test_utf16_without_bom_looks_like_nul_bytes():
    result = read(package("id,name\n".encode("utf-16-le")))
    assert only_problem(result).message.endswith("it is not a text file in UTF-8.")


def test_an_empty_csv_member():
    result = read(package(b""))
    assert result.problems == [
        Problem("organizations.csv", None, None, "organizations.csv is empty: it has no header row.")
    ]


def test_csv_field_limit_is_restored_after_reading():
    import csv

    before = csv.field_size_limit()
    read(package("id\no1\n"))
    assert csv.field_size_limit() == before


# --- Through the service: nothing is written ----------------------------------------------------------


def _directory_counts() -> dict:
    return {
        "partners": Partner.objects.count(),
        "services": Service.objects.count(),
        "locations": Location.objects.count(),
        "contacts": Contact.objects.count(),
    }


HOSTILE_UPLOADS = [
    ("d.json", b'{"services": [\n  {"id": "s1",}\n]}', "d.json is not valid JSON"),
    ("d.json", b"[" * 50_000 + b"]" * 50_000, "nested too deeply"),
    ("p.zip", b"not a zip", "p.zip is not a zip file."),
    ("p.zip", zip_of({"../organizations.csv": "id\n"}), "unsafe name"),
    ("p.zip", zip_of({"organizations.csv": b"id\n" + b"0" * (3 * 1024 * 1024)}), "a zip bomb?"),
    ("p.zip", package("id,name\no1,Org\no2,Niños\n".encode("cp1252")), "not valid UTF-8 text (line 3"),
    ("p.zip", package("id,name,name\no1,A,B\n"), "appears more than once"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "content", "message"), HOSTILE_UPLOADS, ids=[h[2][:30] for h in HOSTILE_UPLOADS])
def test_a_hostile_upload_is_refused_with_its_report_and_writes_nothing(world, name, content, message):
    actor = access.actor_for(world.user("coordinator"))
    before = _directory_counts()
    directory_import = services.directory_import_start(
        actor=actor, uploaded_file=SimpleUploadedFile(name, content), dry_run=False
    )
    assert directory_import.status == "failed"
    assert any(message in problem["message"] for problem in directory_import.problems), directory_import.problems
    assert directory_import.error.endswith("nothing was imported.")
    assert not directory_import.file  # the refused file is not kept
    assert _directory_counts() == before


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_before_it_is_stored(world, settings):
    settings.PSN_HSDS_MAX_UPLOAD_BYTES = 1024 * 1024
    actor = access.actor_for(world.user("coordinator"))
    with pytest.raises(services.ValidationError) as refused:
        services.directory_import_start(
            actor=actor, uploaded_file=SimpleUploadedFile("d.json", b" " * (1024 * 1024 + 1)), dry_run=True
        )
    assert refused.value.message_dict == {"file": ["The file is larger than the limit of 1 MB."]}
    assert DirectoryImport.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.json", b"", "The file is empty."),
        ("d.csv", b"id\n", "Choose a .json file (HSDS JSON) or a .zip file (HSDS CSV package)."),
    ],
)
def test_empty_or_wrongly_named_uploads_are_refused_before_they_are_stored(world, name, content, message):
    actor = access.actor_for(world.user("coordinator"))
    with pytest.raises(services.ValidationError) as refused:
        services.directory_import_start(actor=actor, uploaded_file=SimpleUploadedFile(name, content), dry_run=True)
    assert refused.value.message_dict == {"file": [message]}
    assert DirectoryImport.objects.count() == 0
