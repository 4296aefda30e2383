"""Seams to the outside world (SMS, notification channels, HTTP). Development versions log.

A deployment names its gateways in settings (docs/operations.md, Gateways): ``MORALBANK_SMS_GATEWAY``
and ``MORALBANK_WECHAT_GATEWAY`` are URLs on the intranet that take one signed JSON POST per message
(``HttpGateway``); anything else (a province's own SDK) is a class with the same method passed to
``bootstrap``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from moralbank.errors import Unavailable
from moralbank.kernel.signatures import HEADER, sign_body

log = logging.getLogger("moralbank.gateways")


class GatewayError(Unavailable):
    """A gateway did not take a message (unreachable, timed out, or answered other than 2xx)."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str, *, key: str | None = None) -> None:
        """Text ``phone``; ``key`` is the same for every retry of one message (the gateway may drop
        repeats). Raises ``GatewayError`` when the message was not taken."""


class Notifier(Protocol):
    """Mirrors an in-app inbox message to an outside channel (SMS, WeChat)."""

    def notify(self, resident_id: str, subject: str, body: str) -> None: ...


@dataclass
class LogSmsGateway:
    """Writes each message to the log (and keeps the last ones, for tests and the demo)."""

    sent: list[tuple[str, str]] = field(default_factory=list)

    def send(self, phone: str, text: str, *, key: str | None = None) -> None:  # noqa: ARG002
        log.warning("SMS to %s: %s", phone, text)
        self.sent.append((phone, text))
        del self.sent[:-100]


class NullNotifier:
    """No message mirrored at once (only queued channels are configured)."""

    def notify(self, resident_id: str, subject: str, body: str) -> None:
        pass


@dataclass
class LogNotifier:
    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def notify(self, resident_id: str, subject: str, body: str) -> None:
        log.info("notify %s: %s", resident_id, subject)
        self.sent.append((resident_id, subject, body))
        del self.sent[:-1000]


@dataclass
class HttpGateway:
    """One signed JSON POST per message to a URL on the intranet.

    Body: the payload as compact UTF-8 JSON with sorted keys. Headers: ``X-Moralbank-Signature:
    sha256=<hex HMAC-SHA256(secret, body)>`` and ``Idempotency-Key`` (the same key when a message is
    retried, so the receiver can drop a repeat). Any 2xx answer means taken.
    """

    url: str
    secret: bytes
    transport: Any = None  # an httpx transport; None is the network
    timeout: float = 5.0

    def post(self, payload: dict[str, Any], *, key: str | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            HEADER: sign_body(self.secret, body),
            "Idempotency-Key": key or uuid.uuid4().hex,
        }
        try:
            with httpx.Client(transport=self.transport, timeout=self.timeout) as client:
                r = client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as e:
            raise GatewayError(f"{self.url}: {type(e).__name__}: {e}") from None
        if not 200 <= r.status_code < 300:
            raise GatewayError(f"{self.url} answered {r.status_code}: {r.text[:200]}")


@dataclass
class HttpSmsGateway:
    """Texts through the SMS platform's HTTP interface: ``{"phone", "text"}``."""

    http: HttpGateway

    def send(self, phone: str, text: str, *, key: str | None = None) -> None:
        self.http.post({"phone": phone, "text": text}, key=key)


@dataclass
class HttpWeChatSender:
    """Template messages through the WeChat relay: ``{"resident_id", "title", "text"}``; the relay maps the
    pseudonymous resident id to the resident's openid."""

    http: HttpGateway

    def __call__(self, resident_id: str, title: str, text: str, *, key: str | None = None) -> None:
        self.http.post({"resident_id": resident_id, "title": title, "text": text}, key=key)
