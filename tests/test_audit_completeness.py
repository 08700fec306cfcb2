"""Audit completeness (issue 9, item 5): every page and API endpoint that shows a person or a referral writes one
audit event naming who read what (DESIGN.md "Security": "an audit trail of who viewed or changed each person and
referral").

The URL names come from the URL conf (``get_resolver``), the API router's included. Every URL name of the cases
app, and of any other view module that reads the cases app (the inbox on the home page, the audit trail), must
be in exactly one of:

- ``SHOWN``: requested (GET) as a user allowed to read it, it writes exactly one new event with the right action,
  actor, task force, object type and object id;
- ``NOT_SHOWN``: it shows no person and no referral on a GET, with the reason (the writes are audited by their
  services as created/changed; that is tested with each service);

A new URL in none of them fails ``test_every_url_that_reads_people_or_referrals_is_declared``.

What a list writes: one "viewed" event for the page shown, of the listed model's type, with no object id, and
the ids of the rows whose person the reader sees in ``changes["listed"]`` (a referral's metadata alone is not
audited, as on its detail page). An export writes one "exported" event with its filters and row count.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cases import attachments, person_record
from cases.models import NoteVisibility
from psn.models import AuditEvent
from tests.cases.support import build_setup
from tests.factories import ConsentFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LIST = ""  # the object id of a list's or an export's event


@dataclass(frozen=True)
class Shown:
    """A GET by ``user`` of the URL filled with ``target``'s pk (and ``query``) must write one event: ``action`` on
    ``object_type`` with the pk of ``object_key`` (``LIST`` for a list or an export, which also names
    ``listed`` among its ``changes``)."""

    user: str
    object_type: str
    object_key: str
    target: str | None = None
    action: str = "viewed"
    query: Callable[[dict], dict] = field(default=lambda objects: {}, hash=False)
    listed: str | None = None  # a list: the key of an object whose id it must name


STAFF = "receiving_referral_staff"

# fmt: off
SHOWN: dict[str, Shown] = {
    # --- pages
    "home":                         Shown(STAFF, "cases.referral", LIST, listed="referral"),
    "cases:referral_list":          Shown(STAFF, "cases.referral", LIST, listed="referral"),
    "cases:referral_detail":        Shown(STAFF, "cases.referral", "referral", target="referral"),
    "cases:attachment_download":    Shown(STAFF, "cases.attachment", "attachment", target="attachment"),
    "cases:referral_export":        Shown("coordinator", "cases.referral", LIST, action="exported"),
    "people:person_list":           Shown(STAFF, "cases.person", LIST, listed="person"),
    "people:person_detail":         Shown(STAFF, "cases.person", "person", target="person"),
    "people:consent_file":          Shown(STAFF, "cases.consent", "consent", target="consent"),
    # --- API
    "referral-list":                Shown(STAFF, "cases.referral", LIST, listed="referral"),
    "referral-detail":              Shown(STAFF, "cases.referral", "referral", target="referral"),
    "referral-notes":               Shown(STAFF, "cases.referral", "referral", target="referral"),
    "referral-attachments":         Shown(STAFF, "cases.referral", "referral", target="referral"),
    "referral-fhir":                Shown(STAFF, "cases.referral", "referral", target="referral"),
    "attachment-download":          Shown(STAFF, "cases.attachment", "attachment", target="attachment"),
    "person-list":                  Shown(STAFF, "cases.person", LIST, listed="person"),
    "person-detail":                Shown(STAFF, "cases.person", "person", target="person"),
    "person-record-export-download": Shown("coordinator", "cases.person", "person", target="record_job",
                                           action="exported"),
    # --- forms that show the record they act on (GET)
    "cases:referral_create":        Shown("sending_referral_staff", "cases.person", "person",
                                          query=lambda objects: {"person": objects["person"].pk}),
    "people:person_edit":           Shown(STAFF, "cases.person", "person", target="person"),
    "people:person_merge":          Shown("coordinator", "cases.person", "person", target="person"),
    # the record page's GET names the person; its POST queues an export (tests/people/test_person_record.py)
    "people:person_record":         Shown("coordinator", "cases.person", "person", target="person"),
    "people:record_job":            Shown("coordinator", "cases.person", "person", target="record_job"),
    "people:consent_create":        Shown(STAFF, "cases.person", "person", target="person"),
    "people:consent_revoke":        Shown(STAFF, "cases.consent", "consent", target="consent"),
    "person-consents":              Shown(STAFF, "cases.person", "person", target="person"),
    "consent-list":                 Shown(STAFF, "cases.consent", LIST, listed="consent"),
    "consent-detail":               Shown(STAFF, "cases.consent", "consent", target="consent"),
}

NOT_SHOWN: dict[str, str] = {
    "task_force_choose": "task-force names only",
    "task_force_switch": "POST: switches the task force (audited as changed)",
    "audit_list": "the audit trail itself (coordinators): reading it is no view of the objects it names",
    "audit_export": "the audit trail as CSV; audited as exported (tests/accounts/test_audit_export.py)",
    "bad_request": "error page",
    "cases:notifications_read": "POST: marks notifications read",
    "cases:note_add": "POST: a note (audited as created by cases.notes)",
    "cases:referral_act": "POST: a lifecycle move (audited as changed by cases.lifecycle)",
    "cases:attachment_add": "POST: an upload (audited as created by cases.attachments)",
    "cases:reason_code_list": "reason codes: no person, no referral",
    "cases:reason_code_create": "reason codes",
    "cases:reason_code_edit": "reason codes",
    "cases:reason_code_deactivate": "reason codes",
    "cases:reason_code_reactivate": "reason codes",
    "people:person_create": "GET: an empty form; POST: audited as created (a picked duplicate as viewed)",
    "people:records_request": "GET: an empty form; POST: the lookup, audited with the records it found",
    "person-records-request": "POST: the lookup, audited with the records it found",
    "people:record_job_progress": "an export's status and percent: no person",
    "people:record_job_download": "POST: the zip, audited as exported (tests/people/test_person_record.py)",
    "person-record": "POST: queues an export, audited as created; its download as exported",
    "person-record-export-detail": "an export's status and counts: the person by id only, as in a referral's metadata",
    "referral-accept": "POST: lifecycle move, audited as changed",
    "referral-close-unsuccessful": "POST: lifecycle move, audited as changed",
    "referral-complete": "POST: lifecycle move, audited as changed",
    "referral-decline": "POST: lifecycle move, audited as changed",
    "referral-record-contact": "POST: lifecycle move, audited as changed",
    "referral-start": "POST: lifecycle move, audited as changed",
    "referral-submit": "POST: lifecycle move, audited as changed",
    "referral-transfer": "POST: lifecycle move, audited as changed",
    "referral-withdraw": "POST: lifecycle move, audited as changed",
    "note-detail": "PATCH: a note edit, audited as changed",
    "note-annotate": "POST: an annotation, audited as created",
    "person-merge": "POST: a merge, audited as changed",
    "consent-revoke": "POST: a revocation, audited as changed",
    "reason-code-list": "reason codes",
    "reason-code-detail": "reason codes",
    "reason-code-deactivate": "reason codes",
    "reason-code-reactivate": "reason codes",
}

# fmt: on

API_PREFIX = "/api/v1/"


def _patterns(patterns, namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _patterns(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern.callback


def _view_module(callback) -> str:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return (view_class or callback).__module__


def _reads_cases(module_name: str) -> bool:
    """The cases app's own views, and any view module that imports it."""
    if module_name.startswith("cases."):
        return True
    if not module_name.startswith(("psn.", "accounts.", "partners.", "meetings.", "reports.")):
        return False
    source = inspect.getsource(sys.modules[module_name])
    return "from cases" in source or "import cases" in source


def url_names_reading_people_or_referrals() -> set[str]:
    return {name for name, callback in _patterns(get_resolver().url_patterns) if _reads_cases(_view_module(callback))}


def test_every_url_that_reads_people_or_referrals_is_declared():
    names = url_names_reading_people_or_referrals()
    declared = [SHOWN, NOT_SHOWN]
    assert sorted(names - set().union(*declared)) == [], "declare each new URL in SHOWN (audited) or NOT_SHOWN"
    assert sorted(set().union(*declared) - names - {"bad_request"}) == [], "a declared URL that no longer exists"
    assert not (set(SHOWN) & set(NOT_SHOWN))


@pytest.fixture
def objects(world, settings, tmp_path) -> dict:
    """A submitted referral from the sending to the receiving partner, its person (with a signed consent form)
    and a shared attachment."""
    settings.MEDIA_ROOT = tmp_path / "media"
    setup = build_setup(world)
    referral = setup.submitted()
    attachment = attachments.attachment_add(
        actor=setup.actor(STAFF),
        referral=referral,
        uploaded_file=SimpleUploadedFile("intake.pdf", PDF),
        visibility=NoteVisibility.SHARED,
    )
    consent = ConsentFactory(person=setup.person, method="upload")
    consent.file.save("signed.pdf", SimpleUploadedFile("signed.pdf", PDF), save=True)
    job = person_record.person_record_request(actor=setup.actor("coordinator"), person=setup.person)
    person_record.person_record_build(job_id=job.pk)  # its task waits for a commit that never comes: built here
    return {
        "referral": referral,
        "person": setup.person,
        "attachment": attachment,
        "consent": consent,
        "record_job": job,
    }


def _get(client, name: str, shown: Shown, objects: dict):
    kwargs = {"pk": objects[shown.target].pk} if shown.target else {}
    response = client.get(reverse(name, kwargs=kwargs), shown.query(objects))
    if response.streaming:
        b"".join(response.streaming_content)  # an export or a download is read to its end, as a client would
    return response


def _new_events(client_for, world, name: str, shown: Shown, objects: dict):
    client = client_for(shown.user)  # signing in is an event of its own: before counting
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = _get(client, name, shown, objects)
    assert response.status_code == 200, (name, response.status_code, response.content[:300])
    return list(AuditEvent.objects.filter(pk__gt=last).order_by("pk"))


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_a_view_that_shows_a_person_or_a_referral_writes_one_event(world, objects, client_for, name):
    shown = SHOWN[name]

    events = _new_events(client_for, world, name, shown, objects)

    assert len(events) == 1, [(e.action, e.object_type, e.object_id) for e in events]
    event = events[0]
    expected_id = "" if shown.object_key == LIST else str(objects[shown.object_key].pk)
    assert (event.action, event.actor, event.task_force, event.object_type, event.object_id) == (
        shown.action,
        world.user(shown.user),
        world.tf,
        shown.object_type,
        expected_id,
    )
    if shown.listed:
        assert str(objects[shown.listed].pk) in event.changes["listed"][1].split(",")


def test_a_list_of_metadata_only_writes_nothing(world, objects, client_for):
    """A coordinator outside the two partners sees the referral's metadata, not its person: as on the detail
    page, nothing is audited (and the list names no person)."""
    client = client_for("coordinator")
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    for url in (reverse("cases:referral_list"), reverse("referral-list")):
        assert client.get(url).status_code == 200

    assert list(AuditEvent.objects.filter(pk__gt=last)) == []


def test_an_empty_list_writes_nothing(world, objects, client_for):
    client = client_for("outsider_referral_staff")
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    for url in (reverse("cases:referral_list"), reverse("people:person_list"), reverse("person-list")):
        assert client.get(url).status_code == 200

    assert list(AuditEvent.objects.filter(pk__gt=last)) == []
