from pathlib import Path

import pytest

from infrastructure.config import Secret, load_settings
from infrastructure.errors import ConfigError

NO_FILE = {"XDG_CONFIG_HOME": "/nonexistent", "HOME": "/nonexistent"}


def test_sqlite_in_the_per_user_data_dir_is_the_default() -> None:
    settings = load_settings({**NO_FILE, "XDG_DATA_HOME": "/data"})
    assert settings.store == "sqlite"
    assert settings.sqlite_path == Path("/data/memesnipe/ledger.sqlite")


def test_database_url_selects_postgres_and_fills_the_connection() -> None:
    settings = load_settings({**NO_FILE, "DATABASE_URL": "postgresql://bob:s3cret@db.example:6543/ledger"})
    assert settings.store == "postgres"
    pg = settings.postgres
    assert (pg.host, pg.port, pg.user, pg.dbname) == ("db.example", 6543, "bob", "ledger")
    assert pg.password.reveal() == "s3cret"


def test_the_password_never_shows_in_reprs_or_descriptions() -> None:
    settings = load_settings({**NO_FILE, "DATABASE_URL": "postgresql://bob:s3cret@h/db"})
    for text in (repr(settings), str(settings.postgres), settings.describe_store()):
        assert "s3cret" not in text
    assert repr(Secret("x")) == "Secret('***')"


def test_options_beat_environment_beat_file(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('store = "memory"\ndata_dir = "/from-file"\n[postgres]\nschema = "acct_a"\n')
    from_file = load_settings(NO_FILE, config_file=config)
    assert (from_file.store, from_file.data_dir, from_file.postgres.schema) == (
        "memory",
        Path("/from-file"),
        "acct_a",
    )
    from_env = load_settings(
        {**NO_FILE, "MEMESNIPE_STORE": "sqlite", "MEMESNIPE_DATA_DIR": "/from-env"}, config_file=config
    )
    assert (from_env.store, from_env.data_dir) == ("sqlite", Path("/from-env"))
    from_options = load_settings(
        {**NO_FILE, "MEMESNIPE_DATA_DIR": "/from-env"},
        config_file=config,
        store="postgres",
        data_dir=Path("/opt"),
    )
    assert (from_options.store, from_options.data_dir) == ("postgres", Path("/opt"))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MEMESNIPE_STORE": "sqlit"}, "store must be one of"),
        ({"DATABASE_URL": "mysql://x"}, "must start with postgresql://"),
        ({"POSTGRES_PORT": "five"}, "port must be a number"),
        ({"POSTGRES_SCHEMA": "Drop Table"}, "schema must be a lower-case identifier"),
    ],
)
def test_config_mistakes_are_named_in_the_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings({**NO_FILE, **env})


def test_a_missing_or_broken_config_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(NO_FILE, config_file=tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("store = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(NO_FILE, config_file=broken)
