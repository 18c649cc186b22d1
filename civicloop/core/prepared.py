"""Statements run on most requests, made cheap to run again.

- `PreparedValues`: a values_list query compiled once per database, then run with new
  parameter values. The ORM builds and compiles a small join in ~0.3 ms, SQLite runs it
  in ~0.05 ms. The query is built once with sentinel values in place of its parameters;
  compiling must turn every parameter into one of the sentinels (anything else — a
  constant the query holds — is refused at once), so each run only puts the real values
  where the sentinels stood. Values come back through Django's own converters.
- `execute_hot`: on PostgreSQL such a statement is also planned once per connection (a
  server-side prepared statement: planning the ledger page against a 1M table's 22
  indexes cost ~1–2 ms, more than running it), and its timestamps are read by psycopg's C loader
  (Django's time-zone loader is a Python subclass: ~3 µs a value, ~300 values a page).
  Django's own queries stay client-side bound and unprepared, as Django sets them up; set
  CIVICLOOP_PG_PREPARED=0 where a pooler cannot keep prepared statements (pgbouncer in
  transaction mode before 1.21).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX
from django.db.models import Func, QuerySet, TextField
from django.utils.dateparse import parse_datetime

try:  # PostgreSQL only
    import psycopg
    from psycopg.types.datetime import TimestamptzLoader
except ImportError:  # pragma: no cover - psycopg is a dependency
    psycopg = None


if psycopg is not None:

    class _PreparingCursor(psycopg.Cursor):
        """A server-side binding cursor whose statements are prepared at first use."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=True, binary=binary)

else:  # pragma: no cover
    _PreparingCursor = None


def _hot_cursor(connection):
    """A Django cursor over a preparing psycopg cursor (Django's error wrapping and
    execute wrappers included), or None where statements are not prepared — and while
    queries are logged (DEBUG, CaptureQueriesContext): Django logs a prepared statement
    without its text."""
    if connection.vendor != "postgresql" or _PreparingCursor is None:
        return None
    if connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold") is None:
        return None
    if connection.queries_logged:
        return None
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _PreparingCursor(connection.connection)
    # The plain class registers psycopg's C implementation; Django's tz-aware subclass
    # would run in Python. The session time zone is UTC (Django sets it), so values are
    # the same instants, aware in UTC.
    raw.adapters.register_loader("timestamptz", TimestamptzLoader)
    return connection.make_cursor(raw)


@lru_cache(maxsize=1024)
def _qmark(sql: str) -> str:
    """A statement in the SQLite driver's "?" style, as Django's cursor rewrites it on
    every execution."""
    return FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")


def _execute_sqlite(connection, sql: str, params) -> list[tuple]:
    """Run on the driver's own cursor: Django's cursor rewrites the statement's %s to ?
    with a regex on every execution (the ledger's rows statement is ~2 KB) and adds two
    wrapper layers, ~30 µs a statement."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            return cursor.execute(_qmark(sql), params).fetchall()
        finally:
            cursor.close()


def execute_hot(sql: str, params, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """cursor.execute(sql, params); cursor.fetchall() — prepared on PostgreSQL, on the
    driver's cursor on SQLite; through Django's own cursor while queries are logged or
    wrapped (DEBUG, CaptureQueriesContext, connection.execute_wrapper)."""
    connection = connections[using]
    watched = connection.queries_logged or connection.execute_wrappers
    if connection.vendor == "sqlite" and not watched:
        return _execute_sqlite(connection, sql, params)
    cursor = _hot_cursor(connection) or connection.cursor()
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def compile_values(queryset: QuerySet) -> tuple[str, tuple, list[tuple[int, Callable]]]:
    """A values_list queryset as (sql, params, converters): the converters are what
    values_list applies to a row, as (column, one-argument function) — see convert_rows."""
    alias = queryset.db
    connection = connections[alias]
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    expressions = [s[0] for s in compiler.select[: compiler.col_count]]
    converters = [
        (index, _one_argument(functions, expression, connection))
        for index, (functions, expression) in compiler.get_converters(expressions).items()
    ]
    return sql, tuple(params), converters


def convert_rows(rows, converters: list[tuple[int, Callable]]) -> list[list]:
    """Rows as lists with their columns converted (compile_values); None stays None."""
    out = []
    for row in rows:
        row = list(row)
        for index, convert in converters:
            if row[index] is not None:
                row[index] = convert(row[index])
        out.append(row)
    return out


def _one_argument(functions: list, expression, connection) -> Callable:
    """Django's converters of a column as one function of the value."""

    def convert_all(value):
        for function in functions:
            value = function(value, expression, connection)
        return value

    return convert_all


class UtcText(Func):
    """A datetime column as naive UTC text, '2026-12-07 09:30:00[.ffffff]': as SQLite
    stores it (USE_TZ), formatted so by PostgreSQL whatever its DateStyle. Read back by
    utc_datetime_from_text."""

    template = "CAST(%(expressions)s AS text)"
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')",
            **extra_context,
        )


def utc_datetime_from_text(text: str) -> datetime:
    """A datetime column as UtcText reads it ('2026-12-07 09:30:00.123456', UTC) → the
    aware datetime Django's converters make of the column, in one C call."""
    try:
        return datetime.fromisoformat(f"{text}+00:00")
    except ValueError:  # not Django's own format (written by hand?): Django's parser
        value = parse_datetime(text)
        if value is None:
            raise
        return value if value.tzinfo else value.replace(tzinfo=UTC)


# Parameter stand-ins no real value equals (ids are positive).
SENTINELS = (-7_300_000_001, -7_300_000_002, -7_300_000_003, -7_300_000_004)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[int, ...]  # for each SQL parameter, which argument it is
    converters: list[tuple[int, Callable]]


class PreparedValues:
    """`build(*arguments)` → a values_list QuerySet; call with the real arguments."""

    def __init__(self, build: Callable[..., QuerySet], arity: int) -> None:
        if not 0 < arity <= len(SENTINELS):
            raise ValueError(f"arity must be 1..{len(SENTINELS)}")
        self.build = build
        self.arity = arity
        self._by_alias: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
        sentinels = SENTINELS[: self.arity]
        sql, params, converters = compile_values(self.build(*sentinels).using(alias))
        try:
            positions = tuple(sentinels.index(p) for p in params)
        except ValueError as exc:
            raise ValueError(f"a parameter is not an argument: {sql!r} {params!r}") from exc
        return _Compiled(sql, positions, converters)

    def __call__(self, *arguments, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        compiled = self._by_alias.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._by_alias.get(using) or self._compile(using)
                self._by_alias[using] = compiled
        rows = execute_hot(compiled.sql, [arguments[i] for i in compiled.positions], using=using)
        if compiled.converters:
            return [tuple(r) for r in convert_rows(rows, compiled.converters)]
        return rows
