"""The retention purge: exactly the expired rows go (rows built on both sides of each boundary), nothing held or
still open, in batches, once; the dry run shows what it then removes; reports built before keep their numbers."""

from __future__ import annotations

import datetime
import os

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import TestCase

from cases.models import Attachment, Consent, Note, Notification, Person, Referral, Status, Transition
from governance import selectors, services
from governance.models import PurgeRun
from governance.retention import rules_for
from psn.models import AuditEvent
from reports import services as report_services
from tests.cases.support import build_setup

from .support import ago, audit_event, consent, person, referral, set_schedule


@pytest.fixture
def setup(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    made = build_setup(world)
    set_schedule(made)
    return made


def _exists(model, obj) -> bool:
    return model.objects.filter(pk=obj.pk).exists()


@pytest.fixture
def rows(world, setup):
    """Both sides of every boundary (schedule: referrals 100 days, people 200, consents 50, audit 400)."""
    coordinator = setup.actor("coordinator")
    r = {}
    r["kept_person"] = person(world, created_days_ago=300)  # their referral goes; its close (101 days) keeps them
    r["expired_referral"] = referral(world, r["kept_person"], closed_days_ago=101)
    r["fresh_referral"] = referral(world, person(world), status=Status.DECLINED, closed_days_ago=99)
    r["open_referral"] = referral(world, person(world), status=Status.IN_PROGRESS)
    r["held_referral"] = referral(world, person(world), status=Status.WITHDRAWN, closed_days_ago=900)
    r["held_person"] = person(world)
    r["held_person_referral"] = referral(world, r["held_person"], closed_days_ago=900)
    r["held_person_consent"] = consent(r["held_person"], revoked_days_ago=900)
    services.hold_place(actor=coordinator, kind="referral", record=r["held_referral"].reference, reason="litigation")
    services.hold_place(actor=coordinator, kind="person", record=str(r["held_person"].pk), reason="subpoena")
    # A hold whose date has passed protects nothing.
    r["lapsed_hold_referral"] = referral(world, person(world), closed_days_ago=900)
    services.hold_place(
        actor=coordinator, kind="referral", record=r["lapsed_hold_referral"].reference, reason="old case"
    )
    from governance.models import LegalHold

    LegalHold.objects.filter(referral=r["lapsed_hold_referral"]).update(until=datetime.date(2020, 1, 1))
    r["gone_person"] = person(world, created_days_ago=300)  # referral closed 250 days ago: both go
    r["gone_person_referral"] = referral(world, r["gone_person"], closed_days_ago=250)
    r["gone_person_consent"] = consent(r["gone_person"])  # goes with its person though still valid
    r["never_referred_old"] = person(world, created_days_ago=201)
    r["merged_duplicate"] = person(world, created_days_ago=10)
    Person.objects.filter(pk=r["merged_duplicate"].pk).update(merged_into=r["never_referred_old"])
    r["never_referred_new"] = person(world, created_days_ago=199)
    r["revoked_old"] = consent(r["never_referred_new"], revoked_days_ago=51)
    r["revoked_new"] = consent(r["never_referred_new"], revoked_days_ago=49)
    r["expired_old"] = consent(r["never_referred_new"], expired_days_ago=51)
    r["expired_new"] = consent(r["never_referred_new"], expired_days_ago=49)
    r["audit_old"] = audit_event(world.tf, days_ago=401)
    r["audit_new"] = audit_event(world.tf, days_ago=399)
    r["audit_other_tf"] = audit_event(world.other_tf, days_ago=900)
    return r


def test_purge_removes_exactly_the_expired_rows_and_nothing_held_or_open(world, rows):
    files = [a.file.path for a in Attachment.objects.filter(referral=rows["expired_referral"])]
    with TestCase.captureOnCommitCallbacks(execute=True):
        run = services.retention_purge(task_force=world.tf)

    gone = ["expired_referral", "lapsed_hold_referral", "gone_person_referral"]
    kept = ["fresh_referral", "open_referral", "held_referral", "held_person_referral"]
    assert [k for k in gone if _exists(Referral, rows[k])] == []
    assert [k for k in kept if not _exists(Referral, rows[k])] == []
    expired = [rows[k].pk for k in gone]
    for model in (Transition, Note, Attachment, Notification):
        assert not model.objects.filter(referral_id__in=expired).exists(), model
    assert Note.objects.filter(referral=rows["fresh_referral"]).count() == 2
    assert files and not any(os.path.exists(path) for path in files), "the stored file goes after the commit"

    assert not Person.objects.filter(
        pk=rows["lapsed_hold_referral"].person_id
    ).exists()  # its referral went, and it was long closed
    people_gone = ["gone_person", "never_referred_old", "merged_duplicate"]
    people_kept = ["kept_person", "held_person", "never_referred_new"]
    assert [k for k in people_gone if _exists(Person, rows[k])] == []
    assert [k for k in people_kept if not _exists(Person, rows[k])] == []

    consents_gone = ["revoked_old", "expired_old", "gone_person_consent"]
    consents_kept = ["revoked_new", "expired_new", "held_person_consent"]
    assert [k for k in consents_gone if _exists(Consent, rows[k])] == []
    assert [k for k in consents_kept if not _exists(Consent, rows[k])] == []

    assert not _exists(AuditEvent, rows["audit_old"])
    assert _exists(AuditEvent, rows["audit_new"]) and _exists(AuditEvent, rows["audit_other_tf"])

    assert run.counts == {
        "referrals": 3,
        "transitions": 3,
        "notes": 6,
        "attachments": 3,
        "notifications": 3,
        "consents": 3,
        "people": 4,
        "audit_events": 1,
    }
    event = AuditEvent.objects.get(object_type="governance.purgerun", object_id=str(run.pk))
    assert (event.action, event.changes, event.actor_id) == ("deleted", {"counts": run.counts}, None)


def test_a_second_purge_removes_nothing(world, rows):
    services.retention_purge(task_force=world.tf)
    again = services.retention_purge(task_force=world.tf)
    assert again.total == 0
    assert PurgeRun.objects.filter(task_force=world.tf).count() == 2


def test_a_purge_in_batches_of_two_removes_every_expired_row(world, setup):
    people = [person(world, created_days_ago=300) for _ in range(3)]
    expired = [referral(world, people[i % 3], closed_days_ago=250 + i) for i in range(7)]
    run = services.retention_purge(task_force=world.tf, batch_size=2)
    assert not Referral.objects.filter(pk__in=[r.pk for r in expired]).exists()
    assert run.counts["referrals"] == 7 and run.counts["notes"] == 14 and run.counts["people"] == 3


def test_the_dry_run_shows_what_the_purge_then_removes(world, rows):
    now = datetime.datetime.now(datetime.UTC)
    dry = {row.key: row.count for row in selectors.dry_run_rows(rules_for(world.tf, now))}
    run = services.retention_purge(task_force=world.tf, now=now)
    assert dry == run.counts
    assert sum(dry.values()) > 0


def test_the_dry_run_reads_a_constant_number_of_queries(world, rows, django_assert_num_queries):
    rules = rules_for(world.tf, datetime.datetime.now(datetime.UTC))
    with django_assert_num_queries(9):  # one aggregate per record type, and the oldest person
        selectors.dry_run_rows(rules)


def test_a_transferred_referral_goes_and_its_open_successor_stays(world, setup):
    first = referral(world, person(world), status=Status.TRANSFERRED, closed_days_ago=300)
    successor = referral(world, first.person, status=Status.ACCEPTED)
    Referral.objects.filter(pk=successor.pk).update(transferred_from=first)
    services.retention_purge(task_force=world.tf)
    assert not _exists(Referral, first)
    successor.refresh_from_db()
    assert successor.transferred_from_id is None and _exists(Person, first.person)


def test_another_task_force_is_untouched(world, setup):
    foreign_person = Person.objects.create(task_force=world.other_tf, given_name="A", family_name="B")
    Person.objects.filter(pk=foreign_person.pk).update(created_at=ago(5000))
    services.retention_purge(task_force=world.tf)
    assert _exists(Person, foreign_person)


def test_a_running_purge_of_the_task_force_stops_a_second_one(world, setup):
    PurgeRun.objects.create(task_force=world.tf)
    assert services.retention_purge(task_force=world.tf) is None
    PurgeRun.objects.filter(task_force=world.tf).update(started_at=ago(1))  # its worker died a day ago
    assert services.retention_purge(task_force=world.tf) is not None
    assert PurgeRun.objects.filter(task_force=world.tf, interrupted=True).count() == 1


# --- Audit events ------------------------------------------------------------------------------------------------


def test_audit_events_younger_than_a_year_never_go(world, setup):
    young = audit_event(world.tf, days_ago=364)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=young.pk).purge_expired(before=ago(100))
    # The longest schedule still leaves it; the schedule cannot go below a year (test_schedule.py).
    services.retention_purge(task_force=world.tf)
    assert _exists(AuditEvent, young)


def test_old_audit_events_go_only_through_the_purge(world, setup):
    old = audit_event(world.tf, days_ago=800)
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=old.pk).delete()
    with pytest.raises(PermissionError):
        old.delete()
    young = audit_event(world.tf, days_ago=300)
    if connection.vendor == "postgresql":  # the database's own refusal (psn and governance migrations)
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM psn_auditevent WHERE id = %s", [old.pk])
        # With the purge's flag, a young event is still refused.
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL psn.audit_purge = 'on'")
            cursor.execute("DELETE FROM psn_auditevent WHERE id = %s", [young.pk])
    services.retention_purge(task_force=world.tf)
    assert not _exists(AuditEvent, old)
    assert _exists(AuditEvent, young)
    if connection.vendor == "postgresql":  # the purge switched its flag off again
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM psn_auditevent WHERE id = %s", [young.pk])


# --- Reports --------------------------------------------------------------------------------------------------------


def test_a_report_built_before_a_purge_shows_the_same_numbers_after(world, setup, client_for):
    month = (ago(800).date()).replace(day=1)
    submitted = datetime.datetime.combine(month, datetime.time(12), tzinfo=datetime.UTC) + datetime.timedelta(days=3)
    made = []
    for _ in range(6):
        row = referral(world, person(world, created_days_ago=900), closed_days_ago=700)
        Referral.objects.filter(pk=row.pk).update(
            submitted_at=submitted, acknowledged_at=submitted + datetime.timedelta(days=1)
        )
        made.append(row)
    snapshot = report_services.report_queue(task_force=world.tf, month=month, enqueue=False)
    snapshot = report_services.report_build(snapshot_id=snapshot.pk)
    assert snapshot.numbers["headline"]["referrals_made"] == 6
    before = snapshot.numbers
    page_before = client_for("coordinator").get(f"/reports/{snapshot.pk}/")

    run = services.retention_purge(task_force=world.tf)
    assert run.counts["referrals"] == 6 and not Referral.objects.filter(pk__in=[r.pk for r in made]).exists()

    snapshot.refresh_from_db()
    assert snapshot.numbers == before
    page_after = client_for("coordinator").get(f"/reports/{snapshot.pk}/")
    assert page_after.status_code == page_before.status_code == 200
    assert _report_body(page_after) == _report_body(page_before)


def _report_body(response) -> str:
    """The page's report (from its heading to the end of main): the navigation's counts may differ."""
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def _site_event(days_ago: float) -> AuditEvent:
    return AuditEvent.objects.create(action="logged_in", object_type="accounts.user", at=ago(days_ago))


def test_audit_events_of_no_task_force_go_after_the_site_setting_and_never_before_a_year(world, settings):
    settings.PSN_SITE_AUDIT_RETENTION_DAYS = 500
    old, young = _site_event(501), _site_event(499)
    of_a_task_force = audit_event(world.tf, days_ago=900)  # its own schedule (default: years) decides, not this
    assert services.site_audit_purge() == 1
    assert not _exists(AuditEvent, old)
    assert _exists(AuditEvent, young) and _exists(AuditEvent, of_a_task_force)
    (event,) = AuditEvent.objects.filter(object_repr="retention purge of site-wide audit events")
    assert event.task_force_id is None and event.action == "deleted"
    assert event.changes["counts"] == {"audit_events": 1}
    assert services.site_audit_purge() == 0  # again: nothing left, and no second event
    assert AuditEvent.objects.filter(object_repr="retention purge of site-wide audit events").count() == 1

    settings.PSN_SITE_AUDIT_RETENTION_DAYS = 30  # too short: a year still holds
    within_a_year = _site_event(364)
    assert services.site_audit_purge() == 1  # ``young``, 499 days old, is past a year
    assert _exists(AuditEvent, within_a_year) and not _exists(AuditEvent, young)


def test_the_daily_task_purges_the_task_forces_then_the_site_wide_events(world, setup, settings):
    from governance.tasks import purge_expired_records

    settings.PSN_SITE_AUDIT_RETENTION_DAYS = 400
    audit_event(world.tf, days_ago=401)  # the task force's schedule says 400 days (``set_schedule``)
    site = [_site_event(402) for _ in range(3)]
    removed = purge_expired_records()
    assert removed == 1 + 3
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in site]).exists()
    assert purge_expired_records() == 0
