"""The one place the app is wired: engine, unit of work, clock, keys, gateways."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

# Every capability's tables, before any unit of work: the ORM resolves a foreign key (api_token →
# org_unit) only when the referenced table's model is loaded, and a command that loads only its own
# capability (``users token create`` on an existing database) failed with NoReferencedTableError.
import moralbank.db.models  # noqa: F401
from moralbank.config import Settings
from moralbank.db.engine import is_sqlite, make_engine
from moralbank.db.group_commit import GroupCommit
from moralbank.db.uow import UnitOfWork
from moralbank.kernel.clock import Clock, SystemClock
from moralbank.kernel.gateways import (
    HttpGateway,
    HttpSmsGateway,
    HttpWeChatSender,
    LogNotifier,
    LogSmsGateway,
    Notifier,
    NullNotifier,
    SmsGateway,
)
from moralbank.kernel.keys import KeyRing


def build_engine(settings: Settings) -> Engine:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:"):
        return make_engine(url)  # in-memory SQLite: one shared connection, no pool to size
    return make_engine(url, pool_size=settings.db_pool_size, max_overflow=0)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    keys: KeyRing
    sms: SmsGateway
    notifier: Notifier  # told at once as a message is written (the queued channels: notify.service)
    wechat: Any = None  # sends WeChat template messages (``HttpWeChatSender``); None when not configured
    rng: random.Random = field(default_factory=random.Random)
    http_transport: Any = None  # an httpx transport for scheduled pulls; None means the real network
    cache: dict[str, Any] = field(default_factory=dict)  # per-process caches (e.g. the active policy)

    def __post_init__(self) -> None:
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        write_engine = (
            self.engine.execution_options(sqlite_immediate=True) if is_sqlite(self.engine) else self.engine
        )
        self._write = sessionmaker(write_engine, expire_on_commit=False)
        # Access-log rows of reads, committed in groups by one writer (db/group_commit.py).
        self.appender = GroupCommit(self._write)

    def uow(self, *, write: bool = True) -> UnitOfWork:
        """A unit of work. ``write=False`` for pure reads (on SQLite they then don't queue for the lock)."""
        if write:
            return UnitOfWork(self._write, self)
        return UnitOfWork(self._read, self, appender=self.appender if is_sqlite(self.engine) else None)

    def session_factory(self, *, write: bool = True) -> sessionmaker[Session]:
        return self._write if write else self._read


def bootstrap(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    migrate: bool = True,
    sms: SmsGateway | None = None,
    notifier: Notifier | None = None,
    engine: Engine | None = None,
    rng: random.Random | None = None,
) -> Container:
    """Wire the app. ``migrate`` brings the schema to head (creating the SQLite file on first use)."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or build_engine(settings)
    if migrate:
        from moralbank.db.migrate import ensure_current

        try:
            ensure_current(engine)
        except Exception:
            engine.dispose()
            raise
    keys = KeyRing(settings.keys_dir)
    configured_sms, wechat = gateways_of(settings, keys)
    return Container(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        keys=keys,
        sms=sms or configured_sms,
        notifier=notifier or (LogNotifier() if "log" in settings.channels else NullNotifier()),
        wechat=wechat,
        rng=rng or random.Random(),
    )


def gateways_of(settings: Settings, keys: KeyRing) -> tuple[SmsGateway, HttpWeChatSender | None]:
    """The SMS gateway and the WeChat sender the settings name. Both sign with the secret
    ``keys/secret-gateway.key`` (generated on first use; the receiving side is given a copy)."""
    sms: SmsGateway = LogSmsGateway()
    if settings.sms_gateway != "log":
        sms = HttpSmsGateway(HttpGateway(settings.sms_gateway, keys.secret("gateway")))
    wechat = None
    if settings.wechat_gateway:
        wechat = HttpWeChatSender(HttpGateway(settings.wechat_gateway, keys.secret("gateway")))
    return sms, wechat
