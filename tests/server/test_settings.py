"""With nothing set shiftline runs embedded; the environment switches it to production."""

from __future__ import annotations

import pytest

from server.settings import Settings


def test_nothing_set_means_sqlite_and_the_in_process_broker() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///data/shiftline.db"
    assert settings.redis_url is None
    assert settings.embedded
    assert settings.migrate_on_start


def test_production_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://u:p@db:5432/x",
            "REDIS_URL": "redis://r:6379/0",
            "SHIFTLINE_TOKEN_TTL": "60",
        }
    )
    assert not settings.embedded
    assert not settings.migrate_on_start
    assert settings.token_ttl_seconds == 60


def test_a_malformed_number_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="SHIFTLINE_TOKEN_TTL must be a whole number"):
        Settings.from_env({"SHIFTLINE_TOKEN_TTL": "soon"})
