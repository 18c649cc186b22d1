"""Pagination without an exact COUNT(*) of large result sets.

An exact count of a 100 000-row ledger filter costs more than the whole rest of the page
(PostgreSQL, 1M problems: 265 ms of a 300 ms request). Nobody reads "共 116683 条": past a
few thousand rows people narrow the filter. So the count stops at a cap:

    SELECT COUNT(*) FROM (SELECT id FROM … LIMIT cap + 1)

Up to the cap the paginator behaves exactly like Django's (exact count, num_pages, last
page). Beyond it `count` is the cap, `count_capped` is True, and pages are not bounded by
`num_pages`: any page number is accepted, and whether there is a next page is found by
fetching one row more than the page (so API clients can still walk on).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Protocol

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet

DEFAULT_COUNT_CAP = 10_000


class PageSource(Protocol):
    """What a CappedCountPaginator pages through, when it is not a plain QuerySet: a
    source that knows a cheaper way to count and to read one page (see
    civicloop.problems.listing)."""

    def capped_count(self, cap: int) -> int:
        """min(number of rows, cap + 1)."""
        ...

    def slice(self, bottom: int, top: int) -> Sequence:
        """Rows bottom..top-1, in order."""
        ...


def capped_count(queryset, cap: int) -> int:
    """min(number of rows, cap + 1), reading at most cap + 1 rows (just their ids)."""
    if not hasattr(queryset, "values"):
        return min(len(queryset), cap + 1)
    return queryset.order_by().values("pk")[: cap + 1].count()


def page_slice(object_list, bottom: int, top: int):
    """object_list[bottom:top], for a queryset as a "deferred join": the page's ids first
    (an index-only walk over the sort index, no joins for the skipped rows), then those
    rows with their select_related joins, in the same order and with the same annotations.
    PostgreSQL, 1M problems, page 20 of a status filter: 10.5 ms → 2.4 ms."""
    if not isinstance(object_list, QuerySet) or object_list.query.distinct:
        return object_list[bottom:top]
    if not object_list.query.order_by and not object_list.query.default_ordering:
        return object_list[bottom:top]
    ids = object_list.values("pk")[bottom:top]
    return object_list.filter(pk__in=ids)


class _QuerySetSource:
    """A QuerySet (or list) as a PageSource: capped_count and page_slice."""

    def __init__(self, object_list) -> None:
        self.object_list = object_list

    def capped_count(self, cap: int) -> int:
        return capped_count(self.object_list, cap)

    def slice(self, bottom: int, top: int):
        return page_slice(self.object_list, bottom, top)


class CappedPage(Page):
    """A page of a capped paginator: `has_next` comes from the extra row fetched."""

    def __init__(self, object_list, number, paginator, *, more: bool | None = None):
        super().__init__(object_list, number, paginator)
        self._more = more

    def has_next(self) -> bool:
        if self._more is None:
            return super().has_next()
        return self._more

    def end_index(self) -> int:
        if self._more is None:
            return super().end_index()
        return self.start_index() + len(self.object_list) - 1 if self.object_list else 0


class CappedCountPaginator(Paginator):
    """Django Paginator whose count stops at `cap` (see the module docstring).

    `object_list` is a QuerySet (or list), or a PageSource that counts and reads pages
    its own way."""

    def __init__(
        self,
        object_list,
        per_page,
        orphans=0,
        allow_empty_first_page=True,
        *,
        cap=None,
    ):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.cap = DEFAULT_COUNT_CAP if cap is None else cap
        if hasattr(object_list, "capped_count"):
            self.source = object_list
        else:
            self.source = _QuerySetSource(object_list)

    @cached_property
    def _capped_count(self) -> int:
        return self.source.capped_count(self.cap)

    @property
    def count_capped(self) -> bool:
        """True when there are more rows than the cap (count is then a lower bound)."""
        return self._capped_count > self.cap

    @cached_property
    def count(self) -> int:
        return min(self._capped_count, self.cap)

    def validate_number(self, number) -> int:
        if not self.count_capped:
            return super().validate_number(number)
        # Past the cap the last page is unknown: accept any positive page number.
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if not self.count_capped:
            # Django's Paginator.page, with the deferred-join slice.
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return self._get_page(self.source.slice(bottom, top), number, self)
        rows = list(self.source.slice(bottom, bottom + self.per_page + 1))
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        more = len(rows) > self.per_page
        return CappedPage(rows[: self.per_page], number, self, more=more)

    def get_page(self, number) -> Page:
        """Like Django's: a bad number gives page 1, one past the end the last page."""
        try:
            return super().get_page(number)
        except EmptyPage:
            return self.page(self.num_pages)

    def _get_page(self, *args, **kwargs) -> Page:
        return CappedPage(*args, **kwargs)
