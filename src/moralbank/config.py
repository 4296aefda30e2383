"""Settings. Every default runs with no configuration at all.

Environment variables carry the ``MORALBANK_`` prefix, e.g. ``MORALBANK_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MORALBANK_", extra="ignore")

    data_dir: Path = Field(
        default=Path("moralbank-data"),
        description="Where the SQLite file, keys, evidence files and exports live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; unset means a SQLite file in data_dir (WAL).",
    )
    origin: str = Field(
        default="moralbank.yuyao.example/ledger",
        description="The log origin line of ledger checkpoints (C2SP tlog-checkpoint).",
    )
    issuer: str = Field(default="CN-330281", description="Issuer claim of green codes.")
    greencode_refresh_seconds: int = Field(
        default=60, ge=1, description="How often the resident's phone page fetches a fresh green code.")
    default_language: str = Field(default="zh-CN")
    session_secure_cookie: bool = Field(default=False, description="Set on HTTPS deployments.")
    sms_gateway: str = Field(default="log", description="'log' writes one-time codes to the log.")
    notifier: str = Field(default="log", description="Notification channel for the inbox mirror.")
    db_pool_size: int = Field(
        default=48, ge=1,
        description="Database connections per process. Keep it above the web server's 40 worker threads: "
        "a sync route holds its connection until the request ends, so a smaller pool can stall under load.")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'moralbank.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"
