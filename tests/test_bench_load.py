"""The load benchmark hands the server's processes its test database as a DATABASE_URL; it must read back the same."""

import dj_database_url
import pytest

from coordination.management.commands.bench_load import database_url


@pytest.mark.parametrize(
    "database",
    [
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test_samrad",
            "USER": "samrad",
            "PASSWORD": "p@ss:/wörd",
            "HOST": "db.example",
            "PORT": 5433,
        },
        {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "test_samrad",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": "",
        },
        {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": "/tmp/samrad-load-x/load.sqlite3",
            "USER": "",
            "PASSWORD": "",
            "HOST": "",
            "PORT": "",
        },
    ],
)
def test_the_database_url_names_the_same_database(database):
    parsed = dj_database_url.parse(database_url(database))
    assert {key: parsed[key] for key in database if key != "PORT"} == {
        key: value for key, value in database.items() if key != "PORT"
    }
    assert str(parsed.get("PORT") or "") == str(database["PORT"])
