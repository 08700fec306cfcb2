"""A person's record for a records request (issue 10, item 4): cases/person_record.py, the page /people/<id>/record/
(which queues the export), the export's page and its download, and the same through the API. The worker's task runs
in the test's process when the request commits (eager Celery), so ``_export_page`` goes the whole way: request, build,
download.

The seeded person has two referrals (one accepted, one submitted), notes of every visibility from both partners, an
attachment, a consent with its signed form and a revoked one, and audit events; a second person, with distinctive
name, phone and notes, must appear in no byte of the first one's record."""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import subprocess
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import attachments, notes, person_record
from cases.consent import consent_revoke
from cases.models import Attachment, Consent, Note, NoteVisibility, Notification, PersonRecordJob, Transition
from psn import audit
from psn.models import AuditEvent
from tests.factories import ConsentFactory, PersonFactory

from .support import PDF, PNG

OTHER_GIVEN, OTHER_FAMILY = "Zephyrine", "Oxborough-Vantablack"
OTHER_PHONE = "816-555-0142"
OTHER_NOTE = "Zephyrine said the quokka plan is off"
OWN_PHONE = "913-555-0177"
STAFF = ("receiving_member", "receiving_referral_staff", "receiving_partner_admin")
SENDERS = ("sending_member", "sending_referral_staff", "sending_partner_admin")


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "record.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def _request_export(client, person):
    """POST the record page (queue the export); the build runs on commit. The response, and the new export."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("people:person_record", args=[person.pk]))
    return response, PersonRecordJob.objects.order_by("pk").last()


def _export_page(client, person):
    """Request the export and, when it was queued, download it: the download's response (or the refusal)."""
    response, job = _request_export(client, person)
    if response.status_code != 302:
        return response
    assert response["Location"] == reverse("people:record_job", args=[job.pk])
    return client.post(reverse("people:record_job_download", args=[job.pk]))


def _add_referral(setup, *, note_prefix: str):
    """An accepted referral with a shared note from each side and an internal note from each side."""
    referral = setup.accepted()
    for key, visibility in (
        ("sending_referral_staff", NoteVisibility.SHARED),
        ("sending_member", NoteVisibility.INTERNAL),
        ("receiving_referral_staff", NoteVisibility.SHARED),
        ("receiving_member", NoteVisibility.INTERNAL),
    ):
        notes.note_add(
            actor=setup.actor(key),
            referral=referral,
            body=f"{note_prefix} {visibility} note by {key} on {referral.reference}",
            visibility=visibility,
        )
    return referral


@pytest.fixture
def seeded(setup):
    person = setup.person
    person.phone, person.aliases = OWN_PHONE, "Jo-Q\nBright Jonah"
    person.date_of_birth, person.neighborhood = datetime.date(1999, 4, 2), "Northeast"
    person.save()
    first = _add_referral(setup, note_prefix="Own")
    second = setup.submitted()
    attachment = attachments.attachment_add(
        actor=setup.actor("receiving_referral_staff"),
        referral=first,
        uploaded_file=SimpleUploadedFile("../intake form.pdf", PDF),
        visibility=NoteVisibility.INTERNAL,
    )
    signed = ConsentFactory(person=person, method="upload")
    signed.file.save("signed", ContentFile(PNG), save=True)
    revoked = ConsentFactory(person=person)
    consent_revoke(actor=setup.actor("sending_referral_staff"), consent=revoked, reason="Asked to stop")
    audit.record_viewed(actor=setup.actor("receiving_member"), obj=person)

    other = PersonFactory(
        task_force=setup.world.tf, given_name=OTHER_GIVEN, family_name=OTHER_FAMILY, phone=OTHER_PHONE
    )
    ConsentFactory(person=other)
    other_referral = setup.accepted(person=other)
    notes.note_add(
        actor=setup.actor("receiving_referral_staff"),
        referral=other_referral,
        body=OTHER_NOTE,
        visibility=NoteVisibility.INTERNAL,
    )
    attachments.attachment_add(
        actor=setup.actor("sending_referral_staff"),
        referral=other_referral,
        uploaded_file=SimpleUploadedFile("zephyrine-court-order.txt", f"{OTHER_NOTE}\n".encode()),
        visibility=NoteVisibility.SHARED,
    )
    audit.record_viewed(actor=setup.actor("receiving_member"), obj=other)
    return {
        "person": person,
        "referrals": [first, second],
        "attachment": attachment,
        "signed": signed,
        "other": other,
        "other_referral": other_referral,
    }


@pytest.fixture
def exported(seeded, client_for):
    response = _export_page(client_for("coordinator"), seeded["person"])
    assert response.status_code == 200
    return response, _zip(response)


def test_the_zip_holds_the_pdf_the_json_the_manifest_and_the_files(seeded, exported):
    response, archive = exported
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"person-record-{seeded['person'].pk}-" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    names = set(archive.namelist())
    record = json.loads(archive.read("record.json"))
    attachment_path = record["referrals"][0]["attachments"][0]["path"]
    signed_path = next(c["signed_form"] for c in record["consents"] if c["id"] == seeded["signed"].pk)
    assert (
        attachment_path == f"attachments/{seeded['referrals'][0].reference}/{seeded['attachment'].pk}-intake_form.pdf"
    )
    assert signed_path == f"consent-forms/consent-{seeded['signed'].pk}.png"
    assert names == {"record.pdf", "record.json", "manifest.json", attachment_path, signed_path}
    assert archive.read(attachment_path) == PDF
    assert archive.read(signed_path) == PNG


def test_the_json_holds_every_referral_note_consent_and_audit_event_of_the_person(seeded, exported):
    _, archive = exported
    record = json.loads(archive.read("record.json"))
    person, referrals = seeded["person"], seeded["referrals"]
    assert record["person"]["given_name"] == person.given_name
    assert record["person"]["phone"] == OWN_PHONE
    assert record["person"]["aliases"] == ["Jo-Q", "Bright Jonah"]
    assert record["person"]["date_of_birth"] == "1999-04-02"
    assert [r["reference"] for r in record["referrals"]] == [r.reference for r in referrals]
    assert [n["name"] for n in record["referrals"][0]["needs"]] == ["Employment", "Housing"]

    exported_notes = {n["id"]: n for r in record["referrals"] for n in r["notes"]}
    expected_notes = Note.objects.filter(referral__person=person)
    assert set(exported_notes) == set(expected_notes.values_list("pk", flat=True))
    assert {n["visibility"] for n in exported_notes.values()} == {"shared", "internal"}
    assert {n["author_partner"]["name"] for n in exported_notes.values()} == {"City Police", "Workforce Center"}
    assert all(n["body"] == Note.objects.get(pk=pk).body for pk, n in exported_notes.items())

    transitions = [t for r in record["referrals"] for t in r["transitions"]]
    assert len(transitions) == Transition.objects.filter(referral__person=person).count()
    notifications = [n for r in record["referrals"] for n in r["notifications"]]
    assert len(notifications) == Notification.objects.filter(referral__person=person).count() > 0

    consents = {c["id"]: c for c in record["consents"]}
    assert set(consents) == set(Consent.objects.filter(person=person).values_list("pk", flat=True))
    revoked = [c for c in consents.values() if c["revoked_at"]]
    assert [(c["state"], c["revoke_reason"], c["revoked_by"]["email"]) for c in revoked] == [
        ("revoked", "Asked to stop", "sending.referral_staff@example.org")
    ]

    ids = {
        "cases.person": {str(person.pk)},
        "cases.referral": {str(r.pk) for r in referrals},
        "cases.consent": {str(pk) for pk in consents},
        "cases.note": {str(pk) for pk in exported_notes},
        "cases.attachment": {str(seeded["attachment"].pk)},
    }
    expected_events = [
        e.pk
        for e in AuditEvent.objects.order_by("at", "pk")
        if e.object_id in ids.get(e.object_type, set()) and e.action != "exported"
    ]
    assert len(record["audit_events"]) == len(expected_events) > 0
    assert {"viewed", "created", "changed"} <= {e["action"] for e in record["audit_events"]}
    viewed = [e for e in record["audit_events"] if e["action"] == "viewed" and e["object_type"] == "cases.person"]
    assert [e["actor"] for e in viewed] == ["receiving.member@example.org"]
    assert all("ip" not in e and "user_agent" not in e for e in record["audit_events"])
    assert record["counts"]["referrals"] == 2 and record["counts"]["attachments"] == 1


def test_nothing_of_another_person_is_in_any_byte(seeded, exported, tmp_path):
    _, archive = exported
    forbidden = [
        OTHER_GIVEN,
        OTHER_FAMILY,
        OTHER_PHONE,
        OTHER_NOTE,
        seeded["other_referral"].reference,
        "zephyrine",
    ]
    texts = {name: archive.read(name) for name in archive.namelist()}
    texts["record.pdf (text)"] = _pdf_text(texts["record.pdf"], tmp_path).encode()
    for name, content in texts.items():
        for value in forbidden:
            assert value.encode() not in content, (name, value)
            assert value.lower().encode() not in content.lower(), (name, value)
    assert not any(OTHER_GIVEN.lower() in name.lower() for name in archive.namelist())


def test_the_pdf_opens_and_names_the_person_and_each_referral(seeded, exported, tmp_path):
    _, archive = exported
    text = _pdf_text(archive.read("record.pdf"), tmp_path)
    assert "Jonah Quintero-Bright" in text
    assert OWN_PHONE in text
    for referral in seeded["referrals"]:
        assert referral.reference in text
    assert "Own internal note by receiving_member" in text  # every visibility, in the PDF too
    assert "Asked to stop" in text


def test_the_manifest_hashes_match_every_file(exported):
    _, archive = exported
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["algorithm"] == "sha256"
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        content = archive.read(path)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), path
        assert entry["size"] == len(content)


def test_the_export_is_audited_once_with_the_coordinator_and_counts_only(seeded, world, client_for):
    before = AuditEvent.objects.filter(action="exported").count()
    response = _export_page(client_for("coordinator"), seeded["person"])
    assert response.status_code == 200
    b"".join(response.streaming_content)
    events = list(AuditEvent.objects.filter(action="exported"))
    assert len(events) == before + 1
    event = events[0]
    assert event.actor == world.user("coordinator")
    assert event.task_force == world.tf
    assert (event.object_type, event.object_id) == ("cases.person", str(seeded["person"].pk))
    assert event.changes["referrals"] == [None, "2"]
    assert event.changes["notes"] == [None, "4"]
    assert event.changes["attachments"] == [None, "1"]
    assert "Own" not in json.dumps(event.changes)  # counts, never content


def test_the_page_explains_the_export_and_a_get_exports_nothing(seeded, client_for):
    response = client_for("coordinator").get(reverse("people:person_record", args=[seeded["person"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "csrfmiddlewaretoken" in page
    assert 'method="post"' in page
    assert "record.json" in page and "manifest.json" in page
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_the_api_queues_the_export_reports_its_progress_and_answers_the_same_zip(seeded, client_for):
    client = client_for("coordinator")
    with TestCase.captureOnCommitCallbacks(execute=True):
        queued = client.post(reverse("person-record", args=[seeded["person"].pk]), content_type="application/json")
    assert queued.status_code == 202
    assert queued["Location"] == queued.json()["url"]
    assert queued.json()["status"] == "queued" and queued.json()["download_url"] is None
    export = client.get(queued["Location"]).json()  # the build ran when the request committed
    assert (export["status"], export["progress"], export["person"]) == ("done", 100, seeded["person"].pk)
    assert export["counts"]["referrals"] == 2
    response = client.get(export["download_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    archive = _zip(response)
    assert json.loads(archive.read("record.json"))["person"]["id"] == seeded["person"].pk
    assert AuditEvent.objects.filter(action="exported", object_id=str(seeded["person"].pk)).count() == 1


@pytest.mark.parametrize("key", STAFF + SENDERS)
def test_anyone_but_a_coordinator_is_refused(seeded, client_for, key):
    person = seeded["person"]
    client = client_for(key)
    assert client.get(reverse("people:person_record", args=[person.pk])).status_code == 403
    assert _export_page(client, person).status_code == 403
    response = client.post(reverse("person-record", args=[person.pk]), content_type="application/json")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    _, job = _request_export(client_for("coordinator"), person)  # a coordinator's export: still not theirs
    assert client.get(reverse("people:record_job", args=[job.pk])).status_code == 403
    assert client.post(reverse("people:record_job_download", args=[job.pk])).status_code == 403
    assert client.get(reverse("person-record-export-download", args=[job.pk])).status_code == 403
    assert not AuditEvent.objects.filter(action="exported").exists()
    assert PersonRecordJob.objects.count() == 1


def test_a_person_of_another_task_force_does_not_exist(seeded, world, client_for):
    foreign_person = PersonFactory(task_force=world.other_tf, given_name="Far", family_name="Away")
    coordinator = client_for("coordinator")
    assert _export_page(coordinator, foreign_person).status_code == 404
    assert coordinator.post(reverse("person-record", args=[foreign_person.pk])).status_code == 404
    foreign = client_for("foreign_coordinator")
    assert _export_page(foreign, seeded["person"]).status_code == 404
    assert foreign.post(reverse("person-record", args=[seeded["person"].pk])).status_code == 404
    assert coordinator.post(reverse("person-record", args=[2**63])).status_code == 404
    _, job = _request_export(coordinator, seeded["person"])
    assert foreign.get(reverse("people:record_job", args=[job.pk])).status_code == 404
    assert foreign.get(reverse("person-record-export-detail", args=[job.pk])).status_code == 404
    assert foreign.post(reverse("people:record_job_download", args=[job.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_a_merged_away_record_is_exported_with_the_record_it_went_into(seeded, setup, client_for):
    person = seeded["person"]
    duplicate = PersonFactory(task_force=setup.world.tf, given_name="Jonah", family_name="Quintero")
    duplicate.merged_into, duplicate.merged_at = person, timezone.now()
    duplicate.save()
    assert _export_page(client_for("coordinator"), duplicate).status_code == 404
    record = json.loads(_zip(_export_page(client_for("coordinator"), person)).read("record.json"))
    assert [r["id"] for r in record["merged_records"]] == [duplicate.pk]


def test_a_file_missing_from_storage_is_named_not_a_failure(seeded, client_for):
    attachment = seeded["attachment"]
    attachment.file.storage.delete(attachment.file.name)
    response = _export_page(client_for("coordinator"), seeded["person"])
    assert response.status_code == 200
    archive = _zip(response)
    row = json.loads(archive.read("record.json"))["referrals"][0]["attachments"][0]
    assert (row["path"], row["missing"]) == (None, True)
    assert not any(name.startswith("attachments/") for name in archive.namelist())


def test_the_detail_page_offers_the_export_to_coordinators_only(setup, world, client_for):
    person = PersonFactory(task_force=world.tf, given_name="Entered", family_name="ByCoordinator")
    person.created_by = world.user("coordinator")
    person.save()
    url = reverse("people:person_detail", args=[person.pk])
    record_url = reverse("people:person_record", args=[person.pk])
    assert record_url in client_for("coordinator").get(url).content.decode()
    person.created_by = world.user("receiving_referral_staff")
    person.save()
    assert record_url not in client_for("receiving_referral_staff").get(url).content.decode()


def _seed_referrals(setup, count: int):
    for index in range(count):
        referral = _add_referral(setup, note_prefix=f"Bulk {index}")
        attachments.attachment_add(
            actor=setup.actor("sending_referral_staff"),
            referral=referral,
            uploaded_file=SimpleUploadedFile(f"scan-{index}.png", PNG),
            visibility=NoteVisibility.SHARED,
        )


def _queries_of_an_export(client, person) -> int:
    """The request, the build (the worker's) and the download."""
    with CaptureQueriesContext(connection) as captured:
        response = _export_page(client, person)
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_referrals(
    setup, world, client_for, django_assert_max_num_queries
):
    client = client_for("coordinator")
    _seed_referrals(setup, 2)
    with_two = _queries_of_an_export(client, setup.person)
    _seed_referrals(setup, 8)
    assert Attachment.objects.filter(referral__person=setup.person).count() == 10
    # Three requests (the export asked for, its build by the worker, its download). The requests: the session and the
    # actor (with the navigation's counts), the person or the export, the events. The build: its claim and progress,
    # the person (with its language and author), merged records, consents and their partners, referrals and their
    # needs, transitions, notes, attachments, notifications, audit events, and the stored export.
    with django_assert_max_num_queries(with_two):
        response = _export_page(client, setup.person)
        archive = _zip(response)
    record = json.loads(archive.read("record.json"))
    assert len(record["referrals"]) == 10
    assert sum(len(r["notes"]) for r in record["referrals"]) == 40
    assert _queries_of_an_export(client, setup.person) == with_two <= 40


# --- The export as a job: progress, twice delivered, failure, expiry, a lost worker ------------------------------


def test_while_the_worker_has_not_built_it_the_page_shows_its_progress(seeded, client_for):
    client = client_for("coordinator")
    response = client.post(reverse("people:person_record", args=[seeded["person"].pk]))  # no commit: not built
    job = PersonRecordJob.objects.get()
    assert (job.status, job.requested_by.email) == ("queued", "coordinator@example.org")
    page = client.get(response["Location"]).content.decode()
    assert 'id="report-progress"' in page and reverse("people:record_job_progress", args=[job.pk]) in page
    progress = client.get(reverse("people:record_job_progress", args=[job.pk])).json()
    assert (progress["status"], progress["progress"], progress["label"]) == ("queued", 0, "Waiting for a worker")
    not_ready = client.post(reverse("people:record_job_download", args=[job.pk]))
    assert not_ready.status_code == 409 and "not ready" in not_ready.content.decode()
    api = client.get(reverse("person-record-export-download", args=[job.pk]))
    assert (api.status_code, api.json()["code"]) == (409, "not_ready")
    assert not AuditEvent.objects.filter(action="exported").exists()
    created = AuditEvent.objects.get(action="created", object_type="cases.personrecordjob")
    assert created.changes == {"person": [None, str(seeded["person"].pk)]}


def test_a_build_delivered_twice_builds_once(seeded, client_for):
    client_for("coordinator").post(reverse("people:person_record", args=[seeded["person"].pk]))
    job = PersonRecordJob.objects.get()
    built = person_record.person_record_build(job_id=job.pk)
    assert built.status == "done" and built.progress == 100 and built.file
    assert person_record.person_record_build(job_id=job.pk) is None
    job.refresh_from_db()
    assert (job.file.name, job.attempts) == (built.file.name, 1)
    assert job.expires_at == job.finished_at + person_record.RECORD_KEPT


def test_a_failed_build_says_why_and_offers_a_new_export(seeded, client_for, monkeypatch):
    def broken(data):
        raise RuntimeError("the PDF engine ran out of fonts")

    monkeypatch.setattr(person_record, "person_record_pdf", broken)
    client = client_for("coordinator")
    response = client.post(reverse("people:person_record", args=[seeded["person"].pk]))
    job = PersonRecordJob.objects.get()
    with pytest.raises(RuntimeError):  # recorded on the job, then raised for the worker's log
        person_record.person_record_build(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and "ran out of fonts" in job.error and not job.file
    page = client.get(response["Location"]).content.decode()
    assert "could not be built" in page and "ran out of fonts" in page and "Request a new export" in page
    assert client.post(reverse("people:record_job_download", args=[job.pk])).status_code == 409


def test_a_zip_is_deleted_after_its_day_and_the_row_stays(seeded, client_for):
    client = client_for("coordinator")
    _, job = _request_export(client, seeded["person"])
    job.refresh_from_db()
    name, storage = job.file.name, job.file.storage
    assert storage.exists(name)
    assert person_record.person_record_files_expire() == []  # not yet
    later = job.expires_at + datetime.timedelta(minutes=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert person_record.person_record_files_expire(now=later) == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.file.name) == ("expired", "")
    assert not storage.exists(name)
    assert person_record.person_record_files_expire(now=later) == []
    response = client.post(reverse("people:record_job_download", args=[job.pk]))
    assert response.status_code == 409
    assert "deleted a day after" in client.get(reverse("people:record_job", args=[job.pk])).content.decode()


def test_a_zip_whose_person_was_purged_is_swept_from_storage(seeded, client_for):
    from cases.attachments import storage_orphans_delete

    _, job = _request_export(client_for("coordinator"), seeded["person"])
    job.refresh_from_db()
    name = job.file.name
    PersonRecordJob.objects.filter(pk=job.pk).delete()  # as the purge's cascade from the person does
    assert name in storage_orphans_delete(min_age=datetime.timedelta(0))


def test_a_build_whose_worker_was_lost_is_taken_over_then_given_up(seeded, client_for):
    client_for("coordinator").post(reverse("people:person_record", args=[seeded["person"].pk]))
    job = PersonRecordJob.objects.get()
    long_ago = timezone.now() - person_record.BUILD_STALE_AFTER - datetime.timedelta(minutes=1)
    PersonRecordJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago, attempts=1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert person_record.person_record_recover_stale() == {"queued": [job.pk], "failed": []}
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("done", 2)  # the queued task took it over and built it
    PersonRecordJob.objects.filter(pk=job.pk).update(status="running", started_at=long_ago, attempts=3, file="")
    assert person_record.person_record_recover_stale() == {"queued": [], "failed": [job.pk]}
    job.refresh_from_db()
    assert job.status == "failed" and "worker was lost" in job.error


def test_the_record_page_lists_the_latest_exports(seeded, client_for):
    client = client_for("coordinator")
    _, job = _request_export(client, seeded["person"])
    page = client.get(reverse("people:person_record", args=[seeded["person"].pk])).content.decode()
    assert reverse("people:record_job", args=[job.pk]) in page and "Done" in page


def test_the_record_is_built_in_the_language_its_requester_used(seeded, client_for, monkeypatch):
    """The worker has no request: the job keeps the requester's language and the build runs in it."""
    from django.utils.translation import get_language

    written_in = []
    real_pdf = person_record.person_record_pdf
    monkeypatch.setattr(
        person_record, "person_record_pdf", lambda data: written_in.append(get_language()) or real_pdf(data)
    )
    client = client_for("coordinator")
    client.cookies["django_language"] = "es"
    _, job = _request_export(client, seeded["person"])
    job.refresh_from_db()
    assert (job.language, job.status, written_in) == ("es", "done", ["es"])
