"""Notification channels: where an inbox message is mirrored (``uow.deps.notifier``).

Each channel has the ``Notifier`` method ``notify(resident_id, subject, body)`` (queued channels also take
``key``, the same for every retry of one message). ``notify.service.dispatch`` builds the SMS and WeChat
channels over the gateways the settings name (``MORALBANK_NOTIFIER``, docs/operations.md); the
development channel (``kernel.gateways.LogNotifier``) logs at once. ``FanOut`` tells several at-once
channels, for an installation that passes its own to ``bootstrap(notifier=...)``.

The inbox message is the record; a channel is a courtesy copy, so SMS carries only the subject and a
pointer to the inbox (no personal details travel over SMS).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from moralbank.kernel.gateways import Notifier, SmsGateway

log = logging.getLogger("moralbank.notify")

SMS_SIGNATURE = "【道德银行】"
SMS_MAX = 70  # one SMS segment of Chinese text


@dataclass
class SmsChannel:
    """Mirror a message as a short SMS: the subject and "see your inbox"."""

    sms: SmsGateway
    phone_of: Callable[[str], str | None]  # resident id -> phone (decrypted by the installation's wiring)

    def notify(self, resident_id: str, subject: str, body: str, *, key: str | None = None) -> None:  # noqa: ARG002 - body stays in-app
        phone = self.phone_of(resident_id)
        if not phone:
            log.info("no phone for %s: SMS notice skipped", resident_id)
            return
        text = f"{SMS_SIGNATURE}{subject}，详情请查看道德银行站内消息。"
        self.sms.send(phone, text[:SMS_MAX], key=key)


@dataclass
class WeChatChannel:
    """Mirror a message as a WeChat template message through a send function the installation gives
    (``send(resident_id, title, text)``; it maps the resident to their openid)."""

    send: Callable[..., None]  # (resident_id, title, text, *, key=None)

    def notify(self, resident_id: str, subject: str, body: str, *, key: str | None = None) -> None:
        self.send(resident_id, subject, body[:200], **({"key": key} if key else {}))


@dataclass
class FanOut:
    """Every channel in turn; one failing channel does not keep the others from sending."""

    channels: Sequence[Notifier]

    def notify(self, resident_id: str, subject: str, body: str) -> None:
        for channel in self.channels:
            try:
                channel.notify(resident_id, subject, body)
            except Exception:  # noqa: BLE001 - a courtesy copy must not break the others
                log.exception("notification channel %s failed", type(channel).__name__)
