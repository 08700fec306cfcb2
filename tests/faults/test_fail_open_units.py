"""The pieces the fault tests lean on, without servers: the fail-open cache on a Redis that does not answer, and the
beat's recovery of report builds whose worker was lost (psn/cache.py, reports/services.py)."""

import datetime

import pytest
from django.utils import timezone

from psn.cache import FailOpenRedisCache
from reports import services
from reports.models import ReportSnapshot, ReportStatus

from .servers import free_port


def test_the_cache_fails_open_when_redis_does_not_answer():
    cache = FailOpenRedisCache(f"redis://127.0.0.1:{free_port()}/0", {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is True  # allauth's rate-limit lock goes on rather than waiting for nobody
    assert cache.incr("hits") == 1 and cache.incr("hits", 5) == 5
    assert cache.get_or_set("page", lambda: "built") == "built"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.delete("k") is False
    assert cache.has_key("k") is False


@pytest.mark.django_db
def test_stale_builds_are_queued_again_or_failed_with_the_reason_and_fresh_ones_are_left(
    world, settings, django_capture_on_commit_callbacks
):
    settings.PSN_REPORT_STALE_SECONDS = 60
    now = timezone.now()
    month = datetime.date(2026, 10, 1)
    made = [services.report_queue(task_force=world.tf, month=month, enqueue=False) for _ in range(4)]
    lost, exhausted, fresh, waiting = (s.pk for s in made)
    old = now - datetime.timedelta(minutes=5)
    ReportSnapshot.objects.filter(pk=lost).update(status=ReportStatus.RUNNING, started_at=old, attempts=1)
    ReportSnapshot.objects.filter(pk=exhausted).update(
        status=ReportStatus.RUNNING, started_at=old, attempts=services.MAX_ATTEMPTS
    )
    ReportSnapshot.objects.filter(pk=fresh).update(status=ReportStatus.RUNNING, started_at=now, attempts=1)

    with django_capture_on_commit_callbacks(execute=True):
        result = services.reports_recover_stale(now=now)

    assert result == {"queued": [lost], "failed": [exhausted]}  # ``waiting`` was queued a moment ago: left alone
    gave_up = ReportSnapshot.objects.get(pk=exhausted)
    assert gave_up.status == ReportStatus.FAILED and "worker was lost" in gave_up.error
    # The one queued again was built by the (eager) task: the claim took it over.
    assert ReportSnapshot.objects.get(pk=lost).status == ReportStatus.DONE
    assert ReportSnapshot.objects.get(pk=fresh).status == ReportStatus.RUNNING
    assert ReportSnapshot.objects.get(pk=waiting).status == ReportStatus.QUEUED
    assert services.reports_recover_stale(now=now) == {"queued": [], "failed": []}
