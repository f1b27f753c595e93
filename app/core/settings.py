"""Configuration from `EDC_*` environment variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-insecure-secret-key"
MIB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EDC_")

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./edc.db"
    forms_dir: Path = Path("forms")
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    max_request_bytes: int = 10 * MIB
    # Uploads above this size are accepted and then processed in the background.
    upload_async_bytes: int = 2 * MIB
    # Bulk uploads may be larger than other requests, up to this size.
    max_upload_bytes: int = 512 * MIB
    # Where queued uploads wait for a worker.
    upload_dir: Path = Path("uploads")
    # Whether the server runs a background upload worker in a thread (`edc worker` runs more).
    run_worker: bool = True
    # A page session ends after this many minutes without a request (REDCap's default is 30).
    session_idle_minutes: int = Field(30, ge=1, le=720)
    # Where `"delivery": "folder"` exports are written; unset, the API only returns zips.
    exports_dir: Path | None = None

    @model_validator(mode="after")
    def refuse_dev_secret_outside_development(self) -> Self:
        if self.env != "development" and self.secret_key.get_secret_value() == DEV_SECRET_KEY:
            raise ValueError(f"EDC_SECRET_KEY must be set when EDC_ENV={self.env}")
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
