"""Cached reads that a committed write makes stale (civicloop.core.generations)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from civicloop.core import generations


def _counter():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    return compute, calls


@pytest.mark.django_db(transaction=True)
def test_cached_until_the_generation_moves():
    compute, calls = _counter()
    assert generations.cached("t", ("k",), compute, timeout=60) == 1
    assert generations.cached("t", ("k",), compute, timeout=60) == 1
    assert generations.cached("t", ("other",), compute, timeout=60) == 2
    generations.bump("t")
    assert generations.cached("t", ("k",), compute, timeout=60) == 3
    assert generations.cached("u", ("k",), compute, timeout=60) == 4  # names are apart
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_a_write_bumps_when_it_commits_and_not_when_it_rolls_back():
    before = generations.generation("t")
    with transaction.atomic():
        generations.bump_on_commit("t")
        assert generations.generation("t") == before
    assert generations.generation("t") == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        generations.bump_on_commit("t")
        raise RuntimeError
    assert generations.generation("t") == before + 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_cached_inside_a_transaction():
    compute, calls = _counter()
    with transaction.atomic():
        generations.cached("t", ("k",), compute, timeout=60)
        generations.cached("t", ("k",), compute, timeout=60)
    assert len(calls) == 2
    generations.cached("t", ("k",), compute, timeout=0)  # 0: off
    generations.cached("t", ("k",), compute, timeout=0)
    assert len(calls) == 4


@pytest.mark.django_db(transaction=True)
def test_a_lost_generation_never_restarts_below_the_old_one():
    generations.bump("t")  # a first bump with nothing stored yet
    old = generations.generation("t")
    cache.delete("civicloop:generation:t")  # evicted
    assert generations.generation("t") > old
    cache.delete("civicloop:generation:t")
    generations.bump("t")
    assert generations.generation("t") > old
