"""Seams to the outside world (SMS, notification channels, HTTP). Development versions log.

Real deployments plug in their province's SMS platform or WeChat template messages by writing a
class with the same method and naming it in settings (docs/operations.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger("moralbank.gateways")


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class Notifier(Protocol):
    """Mirrors an in-app inbox message to an outside channel (SMS, WeChat)."""

    def notify(self, resident_id: str, subject: str, body: str) -> None: ...


@dataclass
class LogSmsGateway:
    """Writes each message to the log (and keeps the last ones, for tests and the demo)."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str) -> None:
        log.warning("SMS to %s: %s", phone, text)
        self.sent.append((phone, text))
        del self.sent[:-100]


@dataclass
class LogNotifier:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, resident_id: str, subject: str, body: str) -> None:
        log.info("notify %s: %s", resident_id, subject)
        self.sent.append((resident_id, subject, body))
        del self.sent[:-1000]
