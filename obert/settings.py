"""The one typed settings object. Built once by the CLI or `create_app` and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OBERT_", extra="ignore")

    mode: Literal["production", "demo", "test"] = "production"
    data_dir: Path = Path("./data")
    database_url: str | None = None  # defaults to SQLite inside data_dir
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)

    site_name: str = "obert"
    default_lang: Literal["ca", "es", "en"] = "ca"
    max_upload_bytes: int = 2 * 1024**3
    page_size: int = Field(default=20, ge=1, le=1000)
    http_allowlist: str = ""  # comma-separated hosts or CIDR ranges outbound HTTP may reach
    workers: int = 1
    # Background jobs: `obert serve` runs this many worker threads itself (0 leaves jobs to `obert worker`).
    job_threads: int = Field(default=1, ge=0, le=32)
    job_lease_seconds: float = Field(default=60.0, gt=0)
    # Transparency: webhooks, usage counts, link checks.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    webhook_disable_after: int = Field(default=20, ge=1)  # failed attempts in a row
    event_dispatch_seconds: float = Field(default=15.0, gt=0)
    usage_flush_seconds: float = Field(default=30.0, gt=0)
    linkcheck_timeout_seconds: float = Field(default=15.0, gt=0)
    linkcheck_every_hours: float = Field(default=24.0, gt=0)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.mode == "production" and self.secret_key.get_secret_value() == DEFAULT_SECRET:
            raise ValueError(
                "OBERT_SECRET_KEY is unset: set it to a long random string (the default is only for "
                "`obert demo` and tests)"
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'obert.db').resolve()}"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
