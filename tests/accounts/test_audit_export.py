"""The audit trail's CSV export for a period (psn/audit_export.py): on the audit page (/audit/export.csv) and
through the API (/api/v1/audit-events/export/). Coordinators (and site admins) export their task force's trail,
between two dates of the task force's calendar (America/Chicago in the tests), oldest first; the export is itself
audited; a bad period is refused with a reason and writes nothing."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from psn import audit_export
from psn.models import AuditEvent

PAGE_URL = "/audit/export.csv"
API_URL = "/api/v1/audit-events/export/"
MARCH = {"since": "2025-03-10", "until": "2025-03-11"}  # Chicago is on daylight time (UTC-5) from March 9th


def _event(world, at: datetime, *, task_force="own", **fields) -> AuditEvent:
    tf = {"own": world.tf, "other": world.other_tf, None: None}[task_force]
    values = {"action": "viewed", "object_type": "cases.person", "object_id": "1", **fields}
    return AuditEvent.objects.create(at=at, task_force=tf, **values)


def _download(client, url: str = PAGE_URL, params: dict | None = None):
    response = client.get(url, params or {})
    body = b"".join(response.streaming_content).decode("utf-8") if response.streaming else ""
    return response, body


def _rows(body: str) -> list[list[str]]:
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))[1:]


def _ids(body: str) -> list[str]:
    return [row[0] for row in _rows(body)]


def _without_sign_ins(body: str) -> list[list[str]]:
    """The rows but the coordinator's own sign-in today (the test client signs in)."""
    return [row for row in _rows(body) if row[5] != "logged_in"]


def _exports():
    return AuditEvent.objects.filter(action="exported", object_type="psn.auditevent")


@pytest.fixture
def march(world):
    """Events at the edges of 10-11 March 2025 in Chicago (05:00 UTC is midnight there)."""
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    return {
        "before": _event(world, at(2025, 3, 10, 4, 59, 59), object_id="before"),
        "first": _event(world, at(2025, 3, 10, 5, 0, 0), object_id="first"),
        "last": _event(world, at(2025, 3, 12, 4, 59, 59), object_id="last"),
        "after": _event(world, at(2025, 3, 12, 5, 0, 0), object_id="after"),
    }


# --- What the file holds ------------------------------------------------------------------------------------


def test_the_period_is_exact_in_the_task_forces_dates(march, client_for):
    response, body = _download(client_for("coordinator"), params=MARCH)

    assert response.status_code == 200
    assert _ids(body) == [str(march["first"].pk), str(march["last"].pk)]
    first = _rows(body)[0]
    assert first[1] == "2025-03-10 00:00:00"  # the task force's local time


def test_a_single_day_is_a_period(march, client_for):
    _, body = _download(client_for("coordinator"), params={"since": "2025-03-11", "until": "2025-03-11"})

    assert _ids(body) == [str(march["last"].pk)]


def test_other_task_forces_events_and_their_members_sign_ins_are_absent(world, client_for):
    noon = datetime(2025, 3, 10, 17, 0, tzinfo=UTC)
    own = _event(world, noon, object_id="own")
    member = world.user("receiving_member")
    own_sign_in = _event(
        world, noon, task_force=None, action="logged_in", actor=member, object_type="accounts.user", object_id=member.pk
    )
    _event(world, noon, task_force="other", object_id="theirs")
    foreign = world.user("foreign_member")
    _event(
        world,
        noon,
        task_force=None,
        action="logged_in",
        actor=foreign,
        object_type="accounts.user",
        object_id=foreign.pk,
    )

    _, body = _download(client_for("coordinator"), params=MARCH)
    _, theirs = _download(client_for("foreign_coordinator"), params=MARCH)

    assert sorted(_ids(body)) == sorted([str(own.pk), str(own_sign_in.pk)])
    assert sorted(row[7] for row in _rows(theirs)) == sorted(["theirs", str(foreign.pk)])


def test_every_column(world, client_for):
    coordinator = world.user("coordinator")
    event = _event(
        world,
        datetime(2025, 3, 10, 17, 30, tzinfo=UTC),
        action="changed",
        actor=coordinator,
        actor_email=coordinator.email,
        object_type="cases.referral",
        object_id="42",
        object_repr='R-42, Niño, "quoted"',
        changes={"status": ["submitted", "accepted"]},
        ip="203.0.113.9",
        path="/referrals/42/act/accept/",
        user_agent="Firefox",
    )

    _, body = _download(client_for("coordinator"), params=MARCH)

    assert _rows(body) == [
        [
            str(event.pk),
            "2025-03-10 12:30:00",
            coordinator.email,
            str(coordinator.pk),
            "wdt",
            "changed",
            "cases.referral",
            "42",
            'R-42, Niño, "quoted"',
            '{"status": ["submitted", "accepted"]}',
            "203.0.113.9",
            "/referrals/42/act/accept/",
            "Firefox",
        ]
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("object_repr", '=HYPERLINK("http://evil.example","x")'),
        ("object_repr", "+1+2"),
        ("object_repr", "-2+3"),
        ("object_repr", "@SUM(A1:A2)"),
        ("object_repr", "\tcmd"),
        ("object_repr", "\rcmd"),
        ("object_type", "=cmd|' /C calc'!A0"),
        ("object_id", "-1"),
        ("actor_email", "@evil.example"),
        ("path", "=1+1"),
        ("user_agent", "+curl"),
    ],
)
def test_cells_a_spreadsheet_would_run_are_defused(world, client_for, field, value):
    _event(world, datetime(2025, 3, 10, 17, 0, tzinfo=UTC), **{field: value})

    _, body = _download(client_for("coordinator"), params=MARCH)

    column = audit_export.FIELDS.index(field)
    assert _rows(body)[0][column] == "'" + value


def test_a_download_never_cached_with_the_task_force_and_period_in_its_name(march, client_for):
    response, _ = _download(client_for("coordinator"), params=MARCH)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-wdt-2025-03-10-2025-03-11.csv"'
    assert "no-store" in response["Cache-Control"]


def test_without_dates_the_last_thirty_days_up_to_today(world, client_for):
    now = timezone.now()
    _event(world, now - timedelta(days=28), object_id="recent")
    _event(world, now - timedelta(days=31), object_id="old")

    response, body = _download(client_for("coordinator"))

    today = timezone.localdate(timezone=world.tf.tzinfo)
    start = today - timedelta(days=29)
    assert response["Content-Disposition"] == f'attachment; filename="audit-wdt-{start}-{today}.csv"'
    assert [row[7] for row in _without_sign_ins(body)] == ["recent"]


# --- Audited ----------------------------------------------------------------------------------------------------


def test_the_export_is_audited_once_with_the_period_and_count_and_is_not_in_its_own_file(world, march, client_for):
    client = client_for("coordinator")  # signing in is an event of its own
    before = AuditEvent.objects.count()

    _, body = _download(client, params=MARCH)

    assert AuditEvent.objects.count() == before + 1
    event = _exports().get()
    assert (event.actor, event.task_force, event.action, event.path) == (
        world.user("coordinator"),
        world.tf,
        "exported",
        PAGE_URL,
    )
    assert event.changes == {"since": [None, "2025-03-10"], "until": [None, "2025-03-11"], "rows": [None, "2"]}
    assert str(event.pk) not in _ids(body)


def test_the_export_of_today_holds_what_was_counted_not_its_own_event(world, client_for):
    earlier = _event(world, timezone.now() - timedelta(minutes=1), object_id="earlier")

    _, body = _download(client_for("coordinator"))

    assert [row[0] for row in _without_sign_ins(body)] == [str(earlier.pk)]
    assert _exports().get().changes["rows"] == [None, str(len(_rows(body)))]


def test_the_export_of_an_export_lists_the_first(world, client_for):
    client = client_for("coordinator")
    _download(client)
    first = _exports().get()

    _, body = _download(client)

    assert [row[0] for row in _without_sign_ins(body)] == [str(first.pk)]


# --- Who ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["receiving_member", "receiving_referral_staff", "sending_partner_admin"])
def test_everyone_but_coordinators_gets_a_403_that_is_audited(march, client_for, key, world):
    for url in (PAGE_URL, API_URL):
        response = client_for(key).get(url, MARCH)

        assert response.status_code == 403
    assert not _exports().exists()
    assert AuditEvent.objects.filter(action="permission_denied", actor=world.user(key)).count() == 2


def test_a_site_admin_exports_the_task_force_they_act_in(march, client_for):
    _, body = _download(client_for("site_admin"), params=MARCH)

    assert _ids(body) == [str(march["first"].pk), str(march["last"].pk)]


def test_signed_out(db, client):
    assert client.get(PAGE_URL, MARCH).status_code == 302
    assert client.get(API_URL, MARCH).status_code == 401
    assert not _exports().exists()


def test_the_audit_page_offers_the_export(client_for):
    response = client_for("coordinator").get("/audit/")

    assert response.status_code == 200
    assert f'action="{PAGE_URL}"'.encode() in response.content
    assert b'id="export-since"' in response.content and b'id="export-until"' in response.content


# --- Bad periods --------------------------------------------------------------------------------------------------

BAD_PERIODS = [
    ({"since": "2025-03-12", "until": "2025-03-11"}, "until", "The end of the period must not be before its start."),
    ({"since": "2024-01-01", "until": "2025-01-01"}, "since", "A period of at most 366 days can be exported at once."),
    ({"since": "2025-02-30"}, "since", "Enter a valid date."),
    ({"until": "yesterday"}, "until", "Enter a valid date."),
    ({"since": "2025-03-10'; DROP TABLE psn_auditevent;--"}, "since", "Enter a valid date."),
    ({"since": "9999-12-31"}, "until", "The end of the period must not be before its start."),
]


@pytest.mark.parametrize(("params", "field", "message"), BAD_PERIODS)
def test_a_bad_period_on_the_page_is_a_400_that_says_why_and_nothing_is_exported(
    march, client_for, params, field, message
):
    client = client_for("coordinator")
    before = AuditEvent.objects.count()

    response = client.get(PAGE_URL, params)

    assert response.status_code == 400
    assert not response.streaming
    assert message.encode() in response.content.replace(b"&#x27;", b"'")
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("params", "field", "message"), BAD_PERIODS)
def test_a_bad_period_in_the_api_is_a_400_naming_the_parameter(march, client_for, params, field, message):
    client = client_for("coordinator")
    before = AuditEvent.objects.count()

    response = client.get(API_URL, params)

    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}
    assert AuditEvent.objects.count() == before


def test_a_year_and_a_day_is_the_longest_period(march, client_for):
    response, _ = _download(client_for("coordinator"), params={"since": "2024-03-11", "until": "2025-03-11"})

    assert response.status_code == 200


# --- The API ------------------------------------------------------------------------------------------------------


def test_the_api_serves_the_same_file_and_audits_it(world, march, client_for):
    response, body = _download(client_for("coordinator"), API_URL, MARCH)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit-wdt-2025-03-10-2025-03-11.csv"'
    assert "no-store" in response["Cache-Control"]
    assert _ids(body) == [str(march["first"].pk), str(march["last"].pk)]
    event = _exports().get()
    assert (event.actor, event.task_force, event.path) == (world.user("coordinator"), world.tf, API_URL)


def test_the_api_answers_a_client_that_asks_for_csv(march, client_for):
    response = client_for("coordinator").get(API_URL, MARCH, HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"


def test_the_api_export_of_the_other_task_force(world, march, client_for):
    theirs = _event(world, datetime(2025, 3, 10, 17, 0, tzinfo=UTC), task_force="other", object_id="theirs")

    _, body = _download(client_for("foreign_coordinator"), API_URL, MARCH)

    assert _ids(body) == [str(theirs.pk)]


# --- Queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [10, 200])
def test_the_number_of_queries_does_not_grow_with_the_events(world, client_for, django_assert_num_queries, count):
    start = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    coordinator = world.user("coordinator")
    AuditEvent.objects.bulk_create(
        AuditEvent(at=start + timedelta(minutes=i), task_force=world.tf, actor=coordinator, action="viewed")
        for i in range(count)
    )
    client = client_for("coordinator")
    # session, user, the actor's memberships; the count and last id, the export's audit event; the rows (one
    # query, read through a server-side cursor).
    with django_assert_num_queries(6):
        _, body = _download(client, params=MARCH)
    assert len(_rows(body)) == count


def test_rows_are_read_in_chunks_with_the_same_queries(world, client_for, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(audit_export, "CHUNK_SIZE", 2)
    start = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
    AuditEvent.objects.bulk_create(
        AuditEvent(at=start + timedelta(minutes=i), task_force=world.tf, action="viewed") for i in range(7)
    )
    client = client_for("coordinator")
    with django_assert_num_queries(6):
        chunks = list(client.get(PAGE_URL, MARCH).streaming_content)
    assert len(chunks) == 1 + 4  # the header, then the rows two by two
    assert len(_rows(b"".join(chunks).decode())) == 7


def test_the_period_rule_alone():
    audit_export.period_check(since=date(2024, 3, 11), until=date(2025, 3, 11))
    with pytest.raises(Exception, match="366"):
        audit_export.period_check(since=date(2024, 3, 10), until=date(2025, 3, 11))
