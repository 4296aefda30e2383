"""Settings. Every default runs with no configuration at all.

Environment variables carry the ``MORALBANK_`` prefix, e.g. ``MORALBANK_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

NOTIFIER_CHANNELS = ("log", "sms", "wechat")


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
        default=60, ge=1, description="How often the resident's phone page fetches a fresh green code."
    )
    default_language: str = Field(default="zh-CN")
    session_secure_cookie: bool = Field(default=False, description="Set on HTTPS deployments.")
    sms_gateway: str = Field(
        default="log",
        description="Where texts (sign-in codes, notices) go: 'log' writes them to the log; an http(s) URL "
        "is the SMS platform's interface on the intranet (docs/operations.md, Gateways).",
    )
    wechat_gateway: str | None = Field(
        default=None, description="http(s) URL of the intranet relay for WeChat template messages."
    )
    notifier: str = Field(
        default="log",
        description="Channels that mirror inbox messages, comma-separated: log (at once, to the log), sms, "
        "wechat (queued, sent by `moralbank notify dispatch`).",
    )
    sms_notify: str = Field(
        default="due_process",
        description="Which inbox messages the sms channel mirrors: due_process (deductions, objections, "
        "credit repair, withdrawn records) or all.",
    )
    db_pool_size: int = Field(
        default=48,
        ge=1,
        description="Database connections per process. Keep it above the web server's 40 worker threads: "
        "a sync route holds its connection until the request ends, so a smaller pool can stall under load.",
    )

    @field_validator("sms_gateway")
    @classmethod
    def _sms_gateway(cls, v: str) -> str:
        if v != "log" and not v.startswith(("http://", "https://")):
            raise ValueError(f"MORALBANK_SMS_GATEWAY must be 'log' or an http(s) URL, not {v!r}")
        return v

    @field_validator("wechat_gateway")
    @classmethod
    def _wechat_gateway(cls, v: str | None) -> str | None:
        if v and not v.startswith(("http://", "https://")):
            raise ValueError(f"MORALBANK_WECHAT_GATEWAY must be an http(s) URL, not {v!r}")
        return v or None

    @field_validator("notifier")
    @classmethod
    def _notifier(cls, v: str) -> str:
        names = [n.strip() for n in v.split(",") if n.strip()]
        unknown = [n for n in names if n not in NOTIFIER_CHANNELS]
        if unknown:
            raise ValueError(
                f"MORALBANK_NOTIFIER: unknown channel {unknown[0]!r}; "
                f"expected a comma-separated list of {', '.join(NOTIFIER_CHANNELS)}"
            )
        return ",".join(dict.fromkeys(names))

    @field_validator("sms_notify")
    @classmethod
    def _sms_notify(cls, v: str) -> str:
        if v not in ("due_process", "all"):
            raise ValueError(f"MORALBANK_SMS_NOTIFY must be due_process or all, not {v!r}")
        return v

    @model_validator(mode="after")
    def _wechat_needs_gateway(self) -> Settings:
        if "wechat" in self.channels and not self.wechat_gateway:
            raise ValueError("MORALBANK_NOTIFIER names wechat but MORALBANK_WECHAT_GATEWAY is not set")
        return self

    @property
    def channels(self) -> tuple[str, ...]:
        """The notification channels, in the order given."""
        return tuple(n for n in self.notifier.split(",") if n)

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
