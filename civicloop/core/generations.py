"""Cached read results that a write makes stale: a named generation, bumped after commit.

A value cached under generation G of "ledger" is never read again once a ledger write has
committed and bumped the generation to G + 1, so readers see either a fresh value or one
computed after the last committed write — never a stale one (short of a write path that
forgets to bump; the timeout bounds that). The generation lives in Django's cache: with a
shared cache (CACHE_URL=redis://…) every process sees every bump; the default local-memory
cache is per process, which is right for one process (runserver, tests) and bounded by the
timeout otherwise.

A missing generation (first use, cache flushed, key evicted) starts from the clock in
microseconds, never from 0, so entries written under an older, evicted generation number
cannot be mistaken for current ones.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

T = TypeVar("T")

_MISSING = object()


def _generation_key(name: str) -> str:
    return f"civicloop:generation:{name}"


def _fresh_number() -> int:
    return time.time_ns() // 1000


def generation(name: str) -> int:
    """The current generation of `name` (created on first use)."""
    key = _generation_key(name)
    number = cache.get(key)
    if number is None:
        cache.add(key, _fresh_number(), timeout=None)
        number = cache.get(key)
    return number


def bump(name: str) -> None:
    """Make every value cached under `name` stale, now."""
    key = _generation_key(name)
    try:
        cache.incr(key)
    except ValueError:  # never read yet, or evicted: any fresh number is newer
        cache.set(key, _fresh_number(), timeout=None)


def bump_on_commit(name: str) -> None:
    """Bump once the current transaction commits (at once outside a transaction): a
    reader between the write and the commit must not cache the old rows as new."""
    transaction.on_commit(lambda: bump(name))


def cached(
    name: str,
    parts: tuple,
    compute: Callable[[], T],
    *,
    timeout: float,
    using: str = DEFAULT_DB_ALIAS,
) -> T:
    """`compute()`, cached under the current generation of `name` and the key `parts`
    (any values with a stable repr). timeout <= 0 turns the cache off.

    Inside a transaction nothing is cached: its reads may include its own uncommitted
    writes, which no other reader may be shown (and which a rollback would undo without a
    bump)."""
    if timeout <= 0 or transaction.get_connection(using).in_atomic_block:
        return compute()
    digest = hashlib.sha1(repr(parts).encode(), usedforsecurity=False).hexdigest()
    key = f"civicloop:{name}:{generation(name)}:{digest}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout=timeout)
    return value
