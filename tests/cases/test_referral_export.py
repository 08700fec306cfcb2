"""The coordinators' CSV export of the referral list (/referrals/export.csv): the list page's filters, the columns,
names only where the coordinator sees the referral's details, formula-safe cells, UTF-8 with a BOM, streamed with a
constant number of queries, one audit event; everyone else a 403 (audited)."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import export
from cases.models import Priority, ReasonKind, Referral, Status
from partners.models import Role, TaxonomyTerm
from psn.models import AuditEvent
from tests.factories import MembershipFactory, PartnerFactory, PersonFactory, ReferralFactory, ServiceFactory

from .support import PERSON_FAMILY, PERSON_GIVEN

URL = reverse("cases:referral_export")
HEADER = [str(column) for column in export.COLUMNS]


def download(client, params: dict | None = None):
    response = client.get(URL, params or {})
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def rows_of(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 byte-order mark"
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in rows]


def by_reference(rows: list[dict]) -> dict[str, dict]:
    return {row["Reference"]: row for row in rows}


def _set(referral: Referral, **fields) -> Referral:
    Referral.objects.filter(pk=referral.pk).update(**fields)
    referral.refresh_from_db()
    return referral


@pytest.fixture
def closed(setup):
    """A declined referral with every column filled, at known instants."""
    referral = setup.at_status(Status.DECLINED)
    service = ServiceFactory(partner=setup.world.receiving, name="Job readiness")
    return _set(
        referral,
        service=service,
        priority=Priority.URGENT,
        due_date=datetime.date(2026, 2, 1),
        created_at=datetime.datetime(2026, 1, 15, 3, 30, tzinfo=datetime.UTC),  # 21:30 the day before in Chicago
        submitted_at=datetime.datetime(2026, 1, 15, 15, 0, tzinfo=datetime.UTC),
        acknowledged_at=datetime.datetime(2026, 1, 16, 14, 5, tzinfo=datetime.UTC),
        closed_at=datetime.datetime(2026, 7, 1, 4, 0, tzinfo=datetime.UTC),  # summer: UTC-5
        close_reason=setup.code(ReasonKind.DECLINE, "no_capacity"),
    )


# --- The file --------------------------------------------------------------------------------------------------


def test_the_coordinator_downloads_a_streamed_csv_named_after_the_task_force_and_day(setup, closed, client_for):
    response, body = download(client_for("coordinator"))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate(timezone=setup.world.tf.tzinfo)
    assert response["Content-Disposition"] == f'attachment; filename="referrals-wdt-{today:%Y-%m-%d}.csv"'
    assert b"\r\n" in body
    assert [row["Reference"] for row in rows_of(body)] == [closed.reference]


def test_every_column_with_dates_in_the_task_forces_time_zone(setup, closed, client_for):
    _, body = download(client_for("coordinator"))
    row = by_reference(rows_of(body))[closed.reference]
    assert row == {
        "Reference": closed.reference,
        "Status": "Declined",
        "Priority": "Urgent",
        "Sending partner": "City Police",
        "Receiving partner": "Workforce Center",
        "Service": "Job readiness",
        "Needs": "Employment; Housing",
        "Person": "",  # the coordinator is no member of either partner
        "Created": "2026-01-14 21:30",
        "Submitted": "2026-01-15 09:00",
        "Acknowledged": "2026-01-16 08:05",
        "First contact": "",
        "Closed": "2026-06-30 23:00",
        "Due date": "2026-02-01",
        "Overdue": "no",
        "Outcome or reason code": "no_capacity",
        "Outcome or reason": "No capacity",
    }


def test_an_overdue_referral_says_so_and_an_empty_one_leaves_cells_blank(setup, client_for):
    overdue = _set(setup.at_status(Status.SUBMITTED), overdue_at=timezone.now())
    bare = ReferralFactory(sending_partner=setup.world.sending, receiving_partner=setup.world.outsider)
    rows = by_reference(rows_of(download(client_for("coordinator"))[1]))
    assert rows[overdue.reference]["Overdue"] == "yes"
    assert [rows[bare.reference][name] for name in ("Service", "Needs", "Submitted", "Due date")] == ["", "", "", ""]


# --- Privacy ---------------------------------------------------------------------------------------------------


def test_names_only_on_the_rows_whose_details_the_coordinator_sees(setup, client_for):
    """A coordinator who is also a member of the sending partner sees the names of its referrals, never those
    between two other partners; the site admin (no partner) sees none."""
    coordinator = setup.world.user("coordinator")
    MembershipFactory(user=coordinator, partner=setup.world.sending, role=Role.MEMBER)
    theirs = setup.at_status(Status.SUBMITTED)
    stranger = PersonFactory(task_force=setup.world.tf, given_name="Marisol", family_name="Unseen")
    others = ReferralFactory(
        sending_partner=setup.world.outsider,
        receiving_partner=setup.world.receiving,
        person=stranger,
        status=Status.SUBMITTED,
        submitted_at=timezone.now(),
    )

    rows = by_reference(rows_of(download(client_for("coordinator"))[1]))
    assert rows[theirs.reference]["Person"] == f"{PERSON_GIVEN} {PERSON_FAMILY}"
    assert rows[others.reference]["Person"] == ""

    _, body = download(client_for("site_admin"))
    assert PERSON_FAMILY.encode() not in body and b"Unseen" not in body
    assert {row["Person"] for row in rows_of(body)} == {""}


def test_another_task_forces_coordinator_exports_their_own_referrals_only(setup, client_for):
    ours = setup.at_status(Status.SUBMITTED)
    foreign_partner = PartnerFactory(task_force=setup.world.other_tf, name="Eastern Clinic")
    theirs = ReferralFactory(sending_partner=setup.world.foreign, receiving_partner=foreign_partner)
    response, body = download(client_for("foreign_coordinator"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="referrals-edt-')
    assert [row["Reference"] for row in rows_of(body)] == [theirs.reference]
    assert ours.reference.encode() not in body


# --- Filters ---------------------------------------------------------------------------------------------------


def test_the_list_pages_filters_apply(setup, client_for):
    submitted = setup.at_status(Status.SUBMITTED)
    accepted = setup.at_status(Status.ACCEPTED)
    elsewhere = ReferralFactory(
        sending_partner=setup.world.outsider, receiving_partner=setup.world.receiving, status=Status.SUBMITTED
    )
    client = client_for("coordinator")

    def references(params):
        response, body = download(client, params)
        assert response.status_code == 200
        return {row["Reference"] for row in rows_of(body)}

    assert references({"status": "submitted"}) == {submitted.reference, elsewhere.reference}
    assert references({"status": "submitted", "partner": setup.world.sending.pk}) == {submitted.reference}
    assert references({"q": submitted.reference}) == {submitted.reference}
    assert references({"need": setup.needs[0].pk, "ordering": "reference"}) == {submitted.reference, accepted.reference}
    # A name search only reaches rows whose details the coordinator sees: none here.
    assert references({"q": PERSON_FAMILY}) == set()


def test_the_order_is_the_lists(setup, client_for):
    made = [setup.at_status(Status.SUBMITTED) for _ in range(3)]
    _, body = download(client_for("coordinator"), {"ordering": "reference"})
    assert [row["Reference"] for row in rows_of(body)] == sorted(r.reference for r in made)
    _, body = download(client_for("coordinator"), {"ordering": "-reference"})
    assert [row["Reference"] for row in rows_of(body)] == sorted((r.reference for r in made), reverse=True)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "lost"}, b"Select a valid choice"),
        ({"created_from": "yesterday"}, b"Enter a valid date"),
        ({"created_from": "2026-02-02", "created_to": "2026-02-01"}, b"The end is before the start."),
        ({"partner": "999999999999"}, b"Select a valid choice"),
        ({"ordering": "person__date_of_birth"}, b"Select a valid choice"),
        ({"q": "x" * 201}, b"at most 200 characters"),
        ({"q": "a\x00b"}, b"Null characters are not allowed."),
    ],
)
def test_a_bad_filter_is_a_400_naming_it_and_nothing_is_exported(setup, client_for, params, message):
    setup.at_status(Status.SUBMITTED)
    response, body = download(client_for("coordinator"), params)
    assert response.status_code == 400
    assert not response.streaming
    assert message in body
    assert b"/referrals/?" in body  # the way back keeps the filters to correct
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_another_task_forces_partner_is_not_a_filter(setup, client_for):
    response, _ = download(client_for("coordinator"), {"partner": setup.world.foreign.pk})
    assert response.status_code == 400


# --- Formula injection -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Safe = fine", "Safe = fine"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells_a_spreadsheet_would_run_are_defused(value, cell):
    assert export.safe_cell(value) == cell


def test_hostile_names_arrive_defused_in_the_file(setup, client_for):
    coordinator = setup.world.user("coordinator")
    MembershipFactory(user=coordinator, partner=setup.world.sending, role=Role.MEMBER)
    receiving = PartnerFactory(task_force=setup.world.tf, name='=HYPERLINK("http://evil.example","x")')
    service = ServiceFactory(partner=receiving, name="+cmd|' /C calc'!A0")
    need = TaxonomyTerm.objects.create(task_force=setup.world.tf, code="hostile", name="@SUM(1+1)")
    person = PersonFactory(task_force=setup.world.tf, given_name="-2+3", family_name="Doe")
    referral = ReferralFactory(
        sending_partner=setup.world.sending,
        receiving_partner=receiving,
        service=service,
        person=person,
        needs=[need],
        reference="R-HOSTILE",
    )
    row = by_reference(rows_of(download(client_for("coordinator"))[1]))[referral.reference]
    assert row["Receiving partner"] == "'" + receiving.name
    assert row["Service"] == "'" + service.name
    assert row["Needs"] == "'@SUM(1+1)"
    assert row["Person"] == "'-2+3 Doe"


def test_accents_and_commas_survive_the_round_trip(setup, client_for):
    partner = PartnerFactory(task_force=setup.world.tf, name="Niños, Familias y Comunidad")
    referral = ReferralFactory(sending_partner=setup.world.sending, receiving_partner=partner)
    row = by_reference(rows_of(download(client_for("coordinator"))[1]))[referral.reference]
    assert row["Receiving partner"] == "Niños, Familias y Comunidad"


# --- Audit -----------------------------------------------------------------------------------------------------


def test_one_exported_event_with_the_filters_and_the_row_count(setup, client_for):
    for _ in range(3):
        setup.at_status(Status.SUBMITTED)
    setup.at_status(Status.ACCEPTED)
    download(client_for("coordinator"), {"status": "submitted", "need": setup.needs[1].pk, "page": "2"})
    event = AuditEvent.objects.get(action="exported")
    assert event.actor == setup.world.user("coordinator")
    assert event.task_force == setup.world.tf
    assert event.object_type == "cases.referral"
    assert event.path == URL
    assert event.changes == {
        "status": [None, "submitted"],
        "need": [None, str(setup.needs[1].pk)],
        "ordering": [None, "-created"],
        "rows": [None, "3"],
    }
    assert not AuditEvent.objects.filter(action="viewed").exists()


def test_an_export_without_filters_is_audited_with_the_count_only(setup, client_for):
    setup.at_status(Status.SUBMITTED)
    download(client_for("coordinator"))
    assert AuditEvent.objects.get(action="exported").changes == {"rows": [None, "1"]}


# --- Queries ---------------------------------------------------------------------------------------------------


def _fill(setup, count: int) -> None:
    service = ServiceFactory(partner=setup.world.receiving, name="Mentoring")
    for index in range(count):
        referral = setup.at_status(Status.DECLINED if index % 2 else Status.SUBMITTED)
        _set(referral, service=service, close_reason=setup.code(ReasonKind.DECLINE, "no_capacity"))


@pytest.mark.parametrize("count", [2, 30])
def test_the_number_of_queries_does_not_grow_with_the_rows(setup, client_for, django_assert_num_queries, count):
    _fill(setup, count)
    client = client_for("coordinator")
    # session, user, the actor's memberships; the filter form's partner and need choices; the count, the audit
    # event; the rows with their partners, service, reason and needs (one query, read through a cursor).
    with django_assert_num_queries(8):
        response, body = download(client, {"status": ["submitted"]})
    assert response.status_code == 200
    assert len(rows_of(body)) == (count + 1) // 2


def test_rows_are_read_in_chunks_with_the_same_queries(setup, client_for, django_assert_num_queries, monkeypatch):
    _fill(setup, 7)
    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    client = client_for("coordinator")
    with django_assert_num_queries(8):
        chunks = list(client.get(URL).streaming_content)
    assert len(chunks) == 1 + 4  # the header, then the rows two by two as they come
    assert len(rows_of(b"".join(chunks))) == 7


def test_the_rows_are_read_only_as_the_response_streams(setup, client_for):
    _fill(setup, 3)
    client = client_for("coordinator")
    with CaptureQueriesContext(connection) as answered:
        response = client.get(URL)
    assert not any("cases_referral" in query["sql"] and "COUNT(" not in query["sql"] for query in answered)
    with CaptureQueriesContext(connection) as streamed:
        body = b"".join(response.streaming_content)
    assert len(streamed) == 1
    assert len(rows_of(body)) == 3


# --- Who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["receiving_member", "receiving_referral_staff", "receiving_partner_admin", "sending_partner_admin"],
)
def test_everyone_but_coordinators_gets_a_403_that_is_audited(setup, client_for, key):
    setup.at_status(Status.SUBMITTED)
    response, _ = download(client_for(key))
    assert response.status_code == 403
    assert not response.streaming
    assert AuditEvent.objects.filter(action="permission_denied", path=URL).count() == 1
    assert not AuditEvent.objects.filter(action="exported").exists()


def test_the_right_comes_before_the_filters(setup, client_for):
    response, _ = download(client_for("receiving_partner_admin"), {"status": "lost"})
    assert response.status_code == 403


def test_signed_out_and_without_a_task_force(setup, client, client_for):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = client_for("nobody").get(URL)
    assert response.status_code == 302 and response["Location"] == reverse("task_force_choose")


def test_only_get(setup, client_for):
    assert client_for("coordinator").post(URL).status_code == 405


# --- The list page's link --------------------------------------------------------------------------------------


def test_the_list_page_offers_the_export_with_its_filters_to_coordinators_only(setup, client_for):
    params = {"status": "submitted", "priority": "urgent", "page": "1"}
    text = client_for("coordinator").get(reverse("cases:referral_list"), params).content.decode()
    assert f'href="{URL}?status=submitted&amp;priority=urgent"' in text
    plain = client_for("coordinator").get(reverse("cases:referral_list")).content.decode()
    assert f'href="{URL}"' in plain
    member = client_for("receiving_partner_admin").get(reverse("cases:referral_list"), params).content.decode()
    assert URL not in member
