"""Settings are read once from PUSHTASK_* and bad values stop start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from pushtask.config import SettingsError, ensure_secret_key, load_settings


def test_defaults_give_the_embedded_sqlite_setup(tmp_path: Path) -> None:
    settings = load_settings({}, data_dir=str(tmp_path))
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/pushtask.db"
    assert settings.redis_url is None
    assert settings.is_embedded
    assert settings.default_timezone == "Asia/Shanghai"
    assert settings.demo_data is True


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PUSHTASK_DEMO_DATA": "ture"}, "PUSHTASK_DEMO_DATA='ture' is not a boolean"),
        ({"PUSHTASK_API_WORKERS": "many"}, "PUSHTASK_API_WORKERS='many' is not a whole number"),
        ({"PUSHTASK_API_WORKERS": "0"}, "out of range"),
        ({"PUSHTASK_DEFAULT_TIMEZONE": "Beijing"}, "not an IANA time zone"),
        ({"PUSHTASK_DATABASE_URL": "postgresql://x"}, "must be a sqlite:/// or mysql+pymysql:// URL"),
        ({"PUSHTASK_REDIS_URL": "localhost:6379"}, "must start with redis://"),
        ({"PUSHTASK_SECRET_KEY": "short"}, "at least 32 characters"),
        ({"PUSHTASK_LOG_LEVEL": "LOUD"}, "PUSHTASK_LOG_LEVEL"),
        ({"PUSHTASK_ADMIN_PASSWORD": "a", "PUSHTASK_ADMIN_PASSWORD_FILE": "/x"}, "not both"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("+", r"\+").replace("(", r"\(")):
        load_settings(env)


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    secret = tmp_path / "jwt"
    secret.write_text("s" * 40 + "\n")
    settings = load_settings({"PUSHTASK_SECRET_KEY_FILE": str(secret)}, data_dir=str(tmp_path))
    assert settings.secret_key == "s" * 40


def test_unreadable_secret_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot be read"):
        load_settings({"PUSHTASK_SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    first = ensure_secret_key(load_settings({}, data_dir=str(tmp_path)))
    second = ensure_secret_key(load_settings({}, data_dir=str(tmp_path)))
    assert first.secret_key == second.secret_key
    assert len(first.secret_key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
