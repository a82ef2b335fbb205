"""The settings' environment helpers: a mistyped value stops the start with the variable's name."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from samrad.settings import envbool, envcache, envint


def test_an_integer_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("SAMRAD_TEST_NUMBER", "42")
    assert envint("SAMRAD_TEST_NUMBER", 7) == 42


def test_an_unset_integer_setting_takes_its_default(monkeypatch):
    monkeypatch.delenv("SAMRAD_TEST_NUMBER", raising=False)
    assert envint("SAMRAD_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("value", ["", "25MB", "2.5", "ten"])
def test_an_integer_setting_that_is_not_a_number_names_the_variable_and_the_value(monkeypatch, value):
    monkeypatch.setenv("DOCUMENT_MAX_MB", value)
    with pytest.raises(ImproperlyConfigured) as refused:
        envint("DOCUMENT_MAX_MB", 25)
    assert str(refused.value) == f"DOCUMENT_MAX_MB must be a whole number, not {value!r}"


def test_a_negative_count_is_refused(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be at least 0, not -1"):
        envint("TRUSTED_PROXY_COUNT", 0)


def test_a_setting_with_a_higher_minimum_refuses_zero_and_takes_the_minimum(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "0")
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT must be at least 1, not 0"):
        envint("EMAIL_PORT", 587, minimum=1)
    monkeypatch.setenv("EMAIL_PORT", "1")
    assert envint("EMAIL_PORT", 587, minimum=1) == 1


@pytest.mark.parametrize(("value", "expected"), [("True", True), ("False", False)])
def test_a_boolean_setting_is_true_or_false(monkeypatch, value, expected):
    monkeypatch.setenv("SAMRAD_TEST_FLAG", value)
    assert envbool("SAMRAD_TEST_FLAG", False) is expected


@pytest.mark.parametrize("value", ["true", "1", "yes", ""])
def test_a_boolean_setting_refuses_anything_else(monkeypatch, value):
    monkeypatch.setenv("SAMRAD_TEST_FLAG", value)
    with pytest.raises(ImproperlyConfigured, match="SAMRAD_TEST_FLAG must be True or False"):
        envbool("SAMRAD_TEST_FLAG", False)


def test_the_cache_is_each_processs_memory_without_redis_url(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("CACHE_URL", raising=False)
    assert envcache("REDIS_URL")["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("url", ["redis://cache.internal:6379/0", "rediss://:secret@cache.internal:6380/2"])
def test_redis_url_puts_the_cache_in_djangos_own_redis_backend_under_the_apps_prefix(monkeypatch, url):
    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", url)
    config = envcache("REDIS_URL")
    assert (config["BACKEND"], config["LOCATION"], config["KEY_PREFIX"]) == (
        "django.core.cache.backends.redis.RedisCache",
        url,
        "samrad",
    )


def test_a_redis_url_that_is_not_one_is_refused(monkeypatch):
    monkeypatch.delenv("CACHE_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", "127.0.0.1:6379")
    with pytest.raises(ImproperlyConfigured, match="REDIS_URL must be empty or a redis:// or rediss:// URL"):
        envcache("REDIS_URL")


def test_the_earlier_cache_url_is_refused_rather_than_ignored(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://cache.internal:6379/0")
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL is now called REDIS_URL"):
        envcache("REDIS_URL")
