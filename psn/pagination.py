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


def page_rows(object_list, bottom: int, top: int):
    """The rows ``bottom:top`` of ``object_list``: a queryset reads them by id through a subquery (see the module)."""
    if not isinstance(object_list, QuerySet) or bottom == 0 or object_list.query.combinator:
        # The first page: ``LIMIT 25`` on the list's own query is already the cheapest plan. (A UNION cannot be
        # filtered; no list pages one.)
        return object_list[bottom:top]
    ids = object_list.values("pk")[bottom:top]
    return object_list.filter(pk__in=ids)


class DeepPaginator(Paginator):
    """``Paginator`` whose pages past the first are read by id (``page_rows``)."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        return self._get_page(page_rows(self.object_list, bottom, top), number, self)
