"""The ledger list's read path (GET /api/v1/problems/): compiled filters, two cheap
statements per page, a cached capped count.

Where a list request's time went (1M problems, 2 cores): each page built and compiled
three ORM queries (the capped count, the id walk, the rows with their joins and the
traffic-light CASE), which cost more than running them; on PostgreSQL, planning the
combined statement against the problems table's two dozen indexes cost more again. Now:

- a filter is compiled once per user, scope and filter values (`compiled_filters`) into
  the page's id walk (`SELECT id … WHERE <scope and filters> ORDER BY … LIMIT %s OFFSET
  %s`) and the capped count;
- the rows of a page's ids (the list columns and four display names) are read by one
  statement compiled once per process and database, whose text never changes, so
  PostgreSQL plans it once per connection (civicloop.core.prepared.execute_hot); values
  go through Django's own converters, but for the datetimes, read as UTC text and made
  into the list's ISO text in one step (civicloop.api.row_plan);
- the traffic light is computed from status/due_at/warn_at in Python
  (deadlines.light_from), so no statement holds the time;
- the capped count is cached under the ledger generation, which every ledger write bumps
  after commit (civicloop.core.generations): paging through one filter counts once, and
  a count is never older than the last committed write.

The filtering itself is still `selectors.ledger_queryset`, shared with the ledger page and
the export.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache, cached_property

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import DateTimeField, QuerySet
from django.db.models.expressions import RawSQL

from civicloop.accounts.scope import scope_of
from civicloop.core import generations
from civicloop.core.prepared import (
    UtcText,
    compile_values,
    convert_rows,
    execute_hot,
    utc_datetime_from_text,
)
from civicloop.problems import selectors
from civicloop.problems.models import Problem

LEDGER = "ledger"  # the generation every ledger write bumps

# A page's rows from the cursor's rows and the database converters still to apply.
Shape = Callable[[list[tuple], tuple[tuple[int, Callable], ...]], list]

# Stands where the page's id walk goes; compiled by the ORM as `IN (<marker>)`.
_IDS_MARKER = "/* ledger page ids */ SELECT NULL"


def ledger_changed() -> None:
    """Call in every transaction that writes problems: cached ledger counts go stale
    when it commits."""
    generations.bump_on_commit(LEDGER)


@dataclass(frozen=True)
class _RowsStatement:
    sql: str  # … WHERE id IN (SELECT <the ids parameter>)
    converters: tuple[tuple[int, Callable], ...]  # civicloop.core.prepared.compile_values
    id_index: int  # where the id stands in a row
    ids_param: Callable[[list[int]], object]  # the ids as the one parameter

    def read(self, ids: list[int], alias: str) -> list[tuple]:
        """The rows of `ids` in that order, as the cursor gives them (`converters` not
        yet applied)."""
        rows = execute_hot(self.sql, [self.ids_param(ids)], using=alias)
        place = {pk: i for i, pk in enumerate(ids)}
        rows.sort(key=lambda row: place[row[self.id_index]])
        return rows


def _datetimes_read_as_text(alias: str, columns: tuple[str, ...]) -> set[str]:
    """The problem's own datetime columns: read as naive UTC text (SQLite's own storage,
    formatted so by PostgreSQL) and turned into the field's ISO text in one step
    (civicloop.api.row_plan), not parsed by the driver, made aware and formatted again
    (~2.5 µs a value on SQLite, ~1.4 µs on PostgreSQL, ~250 values a page)."""
    if not settings.USE_TZ or connections[alias].vendor not in ("sqlite", "postgresql"):
        return set()
    return {
        c
        for c in columns
        if "__" not in c and isinstance(Problem._meta.get_field(c), DateTimeField)
    }


@cache
def _rows_statement(alias: str, columns: tuple[str, ...]) -> _RowsStatement:
    """SELECT <columns> FROM problems … WHERE id IN (<the page's ids, one parameter>):
    one text whatever the page, so PostgreSQL plans it once per connection."""
    as_text = _datetimes_read_as_text(alias, columns)
    rows = (
        Problem.objects.using(alias)
        .filter(pk__in=RawSQL(_IDS_MARKER, ()))
        .order_by()
        .values_list(*(UtcText(c) if c in as_text else c for c in columns))
    )
    sql, params, converters = compile_values(rows)
    if params or sql.count(_IDS_MARKER) != 1:  # the splice below relies on both
        raise RuntimeError(f"unexpected ledger rows statement: {sql!r} {params!r}")
    converters += [(columns.index(c), utc_datetime_from_text) for c in as_text]
    if connections[alias].vendor == "postgresql":
        ids_sql, ids_param = "SELECT unnest(%s::bigint[])", list
    else:  # SQLite
        ids_sql, ids_param = "SELECT value FROM json_each(%s)", json.dumps
    return _RowsStatement(
        sql=sql.replace(_IDS_MARKER, ids_sql),
        converters=tuple(converters),
        id_index=columns.index("id"),
        ids_param=ids_param,
    )


@dataclass(frozen=True)
class _IdsStatements:
    """A ledger filter compiled: the page's id walk and the capped count."""

    page_sql: str  # SELECT id … WHERE … ORDER BY … (+ LIMIT %s OFFSET %s)
    page_params: tuple
    count_sql: str  # SELECT COUNT(*) FROM (SELECT id … WHERE … LIMIT %s)
    count_params: tuple

    @cached_property
    def count_key(self) -> str:
        """The count statement and its parameters as a short cache-key part, hashed once
        per compiled filter instead of on every request (the statement is ~1–2 KB)."""
        text = repr((self.count_sql, self.count_params)).encode()
        return hashlib.sha1(text, usedforsecurity=False).hexdigest()


def _compile(queryset: QuerySet[Problem]) -> _IdsStatements | None:
    """None when the queryset can match nothing (.none(), an empty IN …)."""
    try:
        page_sql, page_params, _ = compile_values(queryset.values_list("pk"))
        bare_sql, bare_params, _ = compile_values(queryset.order_by().values_list("pk"))
    except EmptyResultSet:
        return None
    return _IdsStatements(
        page_sql=page_sql,
        page_params=page_params,
        count_sql=f"SELECT COUNT(*) FROM ({bare_sql} LIMIT %s) ledger_ids",
        count_params=bare_params,
    )


class _CompiledFilters:
    """Compiled ledger filters by user, scope and filter values, most recently used kept:
    a user paging through one filter compiles it once. Filters that read the clock
    (overdue, light) are compiled every time: their SQL holds the time."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self.entries: OrderedDict[str, _IdsStatements | None] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str | None, compile_: Callable[[], _IdsStatements | None]):
        if key is None:
            return compile_()
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        value = compile_()
        with self.lock:
            self.entries[key] = value
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


compiled_filters = _CompiledFilters()


def ledger_page_source(
    *,
    user,
    filters: selectors.LedgerFilters,
    now: datetime,
    columns: tuple[str, ...],
    shape: Shape = convert_rows,
) -> LedgerPageSource:
    """The ledger of `user` under `filters` as a PageSource whose rows are `columns`,
    made by `shape(rows, converters)` from the cursor's rows and the database converters
    still to apply (default: as values_list gives them, as lists)."""
    alias = router.db_for_read(Problem)
    resolved = selectors.resolve_ledger_filters(filters)

    def compile_() -> _IdsStatements | None:
        if resolved is None:
            return None
        return _compile(
            selectors.ledger_queryset(user=user, filters=resolved, now=now).using(alias)
        )

    key = None
    if resolved is not None and not selectors.ledger_filters_read_the_clock(resolved):
        # Everything the SQL is built from: the user (their own reports), their scope as
        # it is now (memberships are read on every request), every filter value with
        # the unit/area subtrees as paths (a unit moved elsewhere is a new key).
        paths = {
            "unit": resolved.unit.path if resolved.unit else None,
            "area": resolved.area.path if resolved.area else None,
        }
        key = repr((alias, user.pk, scope_of(user), replace(resolved, **paths)))
    return LedgerPageSource(alias, compiled_filters.get(key, compile_), columns, shape)


class LedgerPageSource:
    """A compiled ledger filter as a PageSource for CappedCountPaginator: the capped
    count cached under the ledger generation, each page its id walk and one fixed rows
    statement, its rows made by `shape` (ledger_page_source)."""

    def __init__(
        self, alias: str, ids: _IdsStatements | None, columns: tuple[str, ...], shape: Shape
    ) -> None:
        self.alias = alias
        self.ids = ids
        self.columns = columns
        self.shape = shape

    def capped_count(self, cap: int) -> int:
        if self.ids is None:
            return 0
        return generations.cached(
            LEDGER,
            ("capped_count", self.alias, self.ids.count_key, cap),
            lambda: self._count(cap),
            timeout=settings.CIVICLOOP["LEDGER_COUNT_CACHE_SECONDS"],
            using=self.alias,
        )

    def _count(self, cap: int) -> int:
        params = (*self.ids.count_params, cap + 1)
        return execute_hot(self.ids.count_sql, params, using=self.alias)[0][0]

    def slice(self, bottom: int, top: int) -> list:
        """The page's ids by the filter's own walk, then their rows by one fixed
        statement (planning a single statement with both costs PostgreSQL more than
        running the two: the problems table has two dozen indexes to weigh)."""
        if top <= bottom or self.ids is None:
            return []
        walk = f"{self.ids.page_sql} LIMIT %s OFFSET %s"
        params = (*self.ids.page_params, top - bottom, bottom)
        ids = [row[0] for row in execute_hot(walk, params, using=self.alias)]
        if not ids:
            return []
        statement = _rows_statement(self.alias, self.columns)
        return self.shape(statement.read(ids, self.alias), statement.converters)
