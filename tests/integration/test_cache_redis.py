"""Cached ledger reads over a shared Redis cache (CACHE_URL): a write committed by one app
process makes the cached values of every other process stale. Two cache clients on one
Redis stand for two processes. Skipped when no Redis answers, unless
CIVICLOOP_REQUIRE_REDIS=1 (CI sets it)."""

import os
import uuid

import pytest
from django.core.cache.backends.redis import RedisCache

from civicloop.core import generations
from tests.integration.test_celery_redis import REDIS_HOST, REDIS_PORT, _redis_answers

pytestmark = pytest.mark.celery


@pytest.fixture
def redis_cache(settings):
    if not _redis_answers():
        if os.environ.get("CIVICLOOP_REQUIRE_REDIS") == "1":
            pytest.fail("Redis does not answer on 127.0.0.1:6379 but is required here")
        pytest.skip("no Redis on 127.0.0.1:6379")
    location = f"redis://{REDIS_HOST}:{REDIS_PORT}/15"
    prefix = f"test-{uuid.uuid4().hex}"  # parallel runs never share keys
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    other_process = RedisCache(location, {"KEY_PREFIX": prefix})
    yield other_process
    other_process.delete_many([f"civicloop:generation:{n}" for n in ("ledger", "t")])


@pytest.mark.django_db(transaction=True)
def test_a_bump_in_another_process_makes_cached_values_stale(redis_cache):
    calls = []

    def count():
        calls.append(1)
        return len(calls)

    assert generations.cached("t", ("k",), count, timeout=60) == 1
    assert generations.cached("t", ("k",), count, timeout=60) == 1  # from Redis
    redis_cache.incr("civicloop:generation:t")  # the other process committed a write
    assert generations.cached("t", ("k",), count, timeout=60) == 2


@pytest.mark.django_db(transaction=True)
def test_the_ledger_count_is_recounted_after_a_write_anywhere(redis_cache, world):
    from civicloop.problems.tests.conftest import api_as, new_problem

    new_problem(world)
    client = api_as(world.p.command)
    assert client.get("/api/v1/problems/").json()["count"] == 1
    new_problem(world)  # bumps the shared generation at commit
    assert client.get("/api/v1/problems/").json()["count"] == 2
    before = int(redis_cache.get("civicloop:generation:ledger"))
    new_problem(world)
    assert int(redis_cache.get("civicloop:generation:ledger")) == before + 1
