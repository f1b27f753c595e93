import pytest
from pydantic import SecretStr, ValidationError

from app.core.settings import Settings


def test_defaults_suit_local_development(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EDC_ENV", "EDC_DATABASE_URL", "EDC_SECRET_KEY", "EDC_MAX_REQUEST_BYTES"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.env == "development"
    assert settings.database_url == "sqlite:///./edc.db"
    assert settings.max_request_bytes == 10 * 1024 * 1024


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDC_DATABASE_URL", "postgresql+psycopg://edc@db/edc")
    monkeypatch.setenv("EDC_MAX_REQUEST_BYTES", "2048")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://edc@db/edc"
    assert settings.max_request_bytes == 2048


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDC_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="EDC_SECRET_KEY"):
        Settings(env="production")


def test_production_accepts_a_real_secret() -> None:
    settings = Settings(env="production", secret_key=SecretStr("a-long-random-value"))
    assert "a-long-random-value" not in repr(settings)


def test_the_idle_limit_of_page_sessions_is_kept_within_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDC_SESSION_IDLE_MINUTES", "15")
    assert Settings().session_idle_minutes == 15
    monkeypatch.setenv("EDC_SESSION_IDLE_MINUTES", "0")
    with pytest.raises(ValidationError, match="session_idle_minutes"):
        Settings()
