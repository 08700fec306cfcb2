"""Page-number pagination that stays fast on the last pages of a district's full history.

Django's ``Paginator`` reads page 4,700 of 120,000 referrals as ``OFFSET 117,500 LIMIT 25`` on the list's whole
query: PostgreSQL builds every skipped row (the joins, the person's name, the wide partner and service rows) only to
throw it away (2.3 s, bench/results.md). ``DeepPaginator`` walks the offset on the ids alone, inside the same query:
``WHERE pk IN (SELECT pk ... ORDER BY ... OFFSET n LIMIT 25)``, which the list's index answers, then builds just the
page's rows. The page's order is the list's (every list's ordering ends with the primary key, so it is total), the
count query is unchanged and the page costs the same single query as before.

Keyset ("next page after this row") pagination would be faster still on the deepest pages, but it loses what people
use the page numbers for (jump to the last page, share page 12 in the URL); at the full scale the offset on the
index costs tens of milliseconds, which the targets allow.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import QuerySet

# From this offset on, a page is read by id. Above it the plain ``OFFSET`` costs little, and the subquery would
# compute what orders the list twice (a search's rank: for every match, then for the page: bench/results.md).
DEEP_FROM = 500


def page_rows(object_list, bottom: int, top: int, *, deep_from: int = DEEP_FROM):
    """The rows ``bottom:top`` of ``object_list``: from ``deep_from`` on, a queryset reads them by id through a
    subquery (see the module)."""
    if not isinstance(object_list, QuerySet) or bottom < max(deep_from, 1) or object_list.query.combinator:
        # The first pages: ``OFFSET``/``LIMIT`` on the list's own query is the cheapest plan. (A UNION cannot be
        # filtered; no list pages one.)
        return object_list[bottom:top]
    ids = object_list.values("pk")[bottom:top]
    return object_list.filter(pk__in=ids)


class DeepPaginator(Paginator):
    """``Paginator`` whose deep pages are read by id (``page_rows``)."""

    def __init__(self, *args, deep_from: int = DEEP_FROM, **kwargs):
        super().__init__(*args, **kwargs)
        self.deep_from = deep_from

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top, deep_from=self.deep_from), number, self)
