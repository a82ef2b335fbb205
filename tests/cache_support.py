"""The app's two caches (samrad/settings.py, ``envcache``): each process's memory, and Redis.

A cache test takes ``cache_backend`` and runs against both. The Redis case uses REDIS_URL, else
127.0.0.1:6379 when a server answers there; with neither it is a missing tool (skipped here, a failure
under CI, whose .ci/run starts one). The whole suite runs on Redis when REDIS_URL is set, as under CI.

The keys this run makes carry a prefix of its own, and only they are removed between tests: a Redis that
other runs or programs use too is never flushed, and two runs at once do not see each other's counters.
"""

import os
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import caches
from django.test import override_settings

from .builders import missing_tool

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"
RUN_PREFIX = f"samrad-test-{uuid.uuid4().hex[:12]}"
MEMORY = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}


def redis_url():
    """REDIS_URL, else the local default when a Redis answers there; None when none answers."""
    url = os.environ.get("REDIS_URL") or LOCAL_REDIS
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return None
    return url


def redis_cache(url):
    return {"BACKEND": REDIS_BACKEND, "LOCATION": url, "KEY_PREFIX": RUN_PREFIX}


def clear_cache():
    """Empty the default cache: all of a memory cache; of a Redis, this run's keys only (never FLUSHDB)."""
    config = django_settings.CACHES["default"]
    if config["BACKEND"] != REDIS_BACKEND:
        caches["default"].clear()
        return
    server = redis.Redis.from_url(config["LOCATION"])
    keys = list(server.scan_iter(match=f"{RUN_PREFIX}:*", count=1000))
    if keys:
        server.delete(*keys)
    server.close()


@pytest.fixture(scope="session", autouse=True)
def own_cache_keys():
    """On a Redis named by REDIS_URL, the suite's keys get this run's prefix, and go when it ends."""
    config = django_settings.CACHES["default"]
    if config["BACKEND"] != REDIS_BACKEND:
        yield
        return
    with override_settings(CACHES={"default": {**config, "KEY_PREFIX": RUN_PREFIX}}):
        yield
        clear_cache()


@pytest.fixture(autouse=True)
def empty_cache():
    """Counters kept in the cache (the password reset limits) start at nought in every test."""
    clear_cache()


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """The test runs once on each process's own memory and once on a Redis every process shares."""
    if request.param == "redis":
        url = redis_url()
        if url is None:
            missing_tool(
                "No Redis answers at REDIS_URL or 127.0.0.1:6379: apt-get install redis-server (.ci/run starts one)"
            )
        settings.CACHES = {"default": redis_cache(url)}
    else:
        settings.CACHES = {"default": MEMORY}
    clear_cache()
    yield request.param
    clear_cache()


@pytest.fixture
def memory_cache(settings):
    """For a test that moves the clock past an expiry: Redis counts time by its own clock, which stays put."""
    settings.CACHES = {"default": MEMORY}
    clear_cache()
