"""A values_list query compiled once per database, then run with new parameter values.

For the few reads made on every request whose compiling costs more than running them:
the ORM builds and compiles a small join in ~0.3 ms, SQLite runs it in ~0.05 ms. The
query is built once with sentinel values in place of its parameters; compiling must turn
every parameter into one of the sentinels (anything else — a constant the query holds —
is refused at once), so each run only puts the real values where the sentinels stood.
Values come back through Django's own converters, as from values_list.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

# Parameter stand-ins no real value equals (ids are positive).
SENTINELS = (-7_300_000_001, -7_300_000_002, -7_300_000_003, -7_300_000_004)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positions: tuple[int, ...]  # for each SQL parameter, which argument it is
    compiler: object
    converters: dict


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
        queryset = self.build(*sentinels).using(alias)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        try:
            positions = tuple(sentinels.index(p) for p in params)
        except ValueError as exc:
            raise ValueError(f"a parameter is not an argument: {sql!r} {params!r}") from exc
        expressions = [s[0] for s in compiler.select[: compiler.col_count]]
        return _Compiled(sql, positions, compiler, compiler.get_converters(expressions))

    def __call__(self, *arguments, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
        compiled = self._by_alias.get(using)
        if compiled is None:
            with self._lock:
                compiled = self._by_alias.get(using) or self._compile(using)
                self._by_alias[using] = compiled
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, [arguments[i] for i in compiled.positions])
            rows = cursor.fetchall()
        if compiled.converters:
            return [tuple(r) for r in compiled.compiler.apply_converters(rows, compiled.converters)]
        return rows
