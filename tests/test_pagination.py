"""psn/pagination.py: pages past the first are read by id through a subquery, with the same rows in the same order as
Django's Paginator, in the same single query, and whatever the list's annotations, joins and ordering."""

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.test.utils import CaptureQueriesContext

from partners.models import Service
from psn.pagination import DeepPaginator, page_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def services(world):
    # Names repeat (ties broken by the id, as every list's ordering is), two partners for the joins.
    Service.objects.bulk_create(
        Service(partner=world.sending if n % 2 else world.receiving, task_force=world.tf, name=f"Service {n % 7}")
        for n in range(53)
    )
    return (
        Service.objects.filter(task_force=world.tf)
        .select_related("partner")
        .annotate(label=Concat(F("partner__name"), Value(": "), F("name")))
        .order_by("-name", "pk")
    )


def _rows(page):
    return [(service.pk, service.label, service.partner.name) for service in page.object_list]


def test_every_page_holds_what_djangos_paginator_gives(services):
    plain, deep = Paginator(services, 10, orphans=3), DeepPaginator(services, 10, orphans=3, deep_from=1)
    assert deep.num_pages == plain.num_pages == 5
    for number in deep.page_range:
        assert _rows(deep.page(number)) == _rows(plain.page(number)), number
    assert sum(len(deep.page(number)) for number in deep.page_range) == 53


def test_a_deep_page_is_one_query_reading_the_ids_in_a_subquery(services):
    deep = DeepPaginator(services, 10, deep_from=20)
    deep.count  # noqa: B018 - the count is its own query, as with Django's paginator
    with CaptureQueriesContext(connection) as queries:
        rows = _rows(deep.page(4))
    assert len(rows) == 10
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert "IN (SELECT" in sql and "OFFSET 30" in sql, sql


def test_the_first_and_shallow_pages_and_plain_lists_are_sliced_as_before(services):
    with CaptureQueriesContext(connection) as queries:
        first = list(page_rows(services, 0, 10, deep_from=0))
        shallow = list(DeepPaginator(services, 10).page(3))  # offset 20, under the default DEEP_FROM
    assert "IN (SELECT" not in queries[0]["sql"] and "IN (SELECT" not in queries[-1]["sql"]
    assert [s.pk for s in first] == [s.pk for s in services[:10]]
    assert [s.pk for s in shallow] == [s.pk for s in services[20:30]]
    assert page_rows(list(range(30)), 10, 20) == list(range(10, 20))
