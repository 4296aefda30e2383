"""Notify a resident: an in-app inbox message, mirrored to the channels the installation configures.

The inbox message is the record; a channel is a courtesy copy. Two kinds of channel:

* **at once** (``uow.deps.notifier``; ``log`` writes to the log): told as the message is written;
* **queued** (``sms``, ``wechat``; ``MORALBANK_NOTIFIER``): a copy goes into ``notify_outbox`` in the same
  transaction, so only committed messages leave, and ``dispatch`` (``moralbank notify dispatch``, run
  from cron) sends them outside any transaction, trying a failed send again with growing waits.

The sms channel carries only the subject and "see your inbox", and by default only for due-process
messages (``due_process=True``: a deduction, an objection, a credit repair, a withdrawn record), which
a resident must not miss; ``MORALBANK_SMS_NOTIFY=all`` texts every message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput
from moralbank.kernel.gateways import GatewayError
from moralbank.notify import repository
from moralbank.notify.channels import SmsChannel, WeChatChannel
from moralbank.notify.models import InboxMessage

log = logging.getLogger("moralbank.notify")

__all__ = [
    "send",
    "send_many",
    "inbox",
    "unread_count",
    "mark_read",
    "dispatch",
    "outbox_status",
    "retry_given_up",
]

QUEUED = ("sms", "wechat")
MAX_ATTEMPTS = 8  # waits of 1, 2, 4 … 64 minutes: about two hours of trying, then staff decide
FIRST_WAIT = timedelta(minutes=1)
LEASE = timedelta(minutes=10)  # a claimed row is hidden from other dispatchers this long


def _queued_channels(uow: UnitOfWork, due_process: bool) -> list[str]:
    settings = uow.deps.settings
    return [
        c
        for c in settings.channels
        if c in QUEUED and (c != "sms" or due_process or settings.sms_notify == "all")
    ]


def _queue(uow: UnitOfWork, messages: Sequence[tuple[str, str, str]], due_process: bool) -> None:
    channels = _queued_channels(uow, due_process)
    if not channels:
        return
    now = uow.clock.now()
    repository.queue(
        uow.db,
        [
            {
                "channel": channel,
                "resident_id": resident_id,
                "subject": subject[:200],
                "body": body,
                "created_at": now,
                "attempts": 0,
                "next_at": now,
            }
            for resident_id, subject, body in messages
            for channel in channels
        ],
    )


def send(
    uow: UnitOfWork,
    *,
    resident_id: str,
    subject: str,
    body: str,
    ref: str | None = None,
    due_process: bool = False,
) -> InboxMessage:
    """Write an inbox message to ``resident_id``, tell the at-once channel and queue the others.

    ``ref`` names what the message is about (``deed:12``, ``objection:3``, ``ledger:88``) so the page
    can link to it. ``due_process``: the message concerns something adverse the resident must know
    about (it also goes by SMS). A failing channel never loses the inbox message: it is logged and
    skipped (at once) or tried again (queued).
    """
    if not resident_id or not subject:
        raise InvalidInput("a message needs a resident and a subject")
    message = repository.add(
        uow.db,
        InboxMessage(
            resident_id=resident_id, subject=subject[:200], body=body, ref=ref, created_at=uow.clock.now()
        ),
    )
    _queue(uow, [(resident_id, subject, body)], due_process)
    try:
        uow.deps.notifier.notify(resident_id, subject, body)
    except Exception:  # noqa: BLE001 - an outside channel must not undo the use case
        log.exception("notification channel failed for %s", resident_id)
    return message


def send_many(
    uow: UnitOfWork, *, messages: Sequence[tuple[str, str, str, str | None]], due_process: bool = False
) -> int:
    """``send`` for many messages at once — ``(resident_id, subject, body, ref)`` each — written in one
    statement (and queued in one), then told to the at-once channel one by one. Returns how many were
    written."""
    rows = []
    now = uow.clock.now()
    for resident_id, subject, body, ref in messages:
        if not resident_id or not subject:
            raise InvalidInput("a message needs a resident and a subject")
        rows.append(
            {
                "resident_id": resident_id,
                "subject": subject[:200],
                "body": body,
                "ref": ref,
                "created_at": now,
            }
        )
    repository.add_many(uow.db, rows)
    _queue(uow, [(r["resident_id"], r["subject"], r["body"]) for r in rows], due_process)
    notifier = uow.deps.notifier
    for resident_id, subject, body, _ref in messages:
        try:
            notifier.notify(resident_id, subject, body)
        except Exception:  # noqa: BLE001 - an outside channel must not undo the use case
            log.exception("notification channel failed for %s", resident_id)
    return len(rows)


def inbox(
    uow: UnitOfWork, *, resident_id: str, unread_only: bool = False, limit: int = 100
) -> list[InboxMessage]:
    """A resident's messages, newest first."""
    return repository.of_resident(uow.db, resident_id, unread_only=unread_only, limit=limit)


def unread_count(uow: UnitOfWork, *, resident_id: str) -> int:
    return repository.unread_count(uow.db, resident_id)


def mark_read(uow: UnitOfWork, *, resident_id: str, ids: list[int] | None = None) -> int:
    """Mark the resident's messages read (all of them when ``ids`` is None); returns how many."""
    return repository.mark_read(uow.db, resident_id, ids, uow.clock.now())


# -- sending the queued channels ---------------------------------------------------------------------


@dataclass
class DispatchReport:
    sent: int = 0
    failed: int = 0  # failed this time (tried again later, or given up)
    given_up: int = 0  # of those, used up their attempts this time
    errors: list[str] = field(default_factory=list)  # the first few, for the operator

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "failed": self.failed, "given_up": self.given_up, "errors": self.errors}


def _wait(attempts: int) -> timedelta:
    return FIRST_WAIT * (2 ** (attempts - 1))


def dispatch(container: Any, *, limit: int = 500, chunk: int = 100) -> DispatchReport:
    """Send what the queued channels have due, oldest first, at most ``limit`` rows.

    Each chunk: one short transaction claims the rows (another dispatcher, say an overlapping cron run,
    skips them for ``LEASE``) and reads the SMS recipients' phones (decrypted; each read is written to
    the access log, purpose "SMS notice"); the messages are sent with no transaction open; one
    transaction deletes what was sent, schedules what failed and gives back what was not tried. After a
    channel fails once, the run tries nothing more on it, so a gateway that is down costs one timeout
    per run, not one per message. A message sent while the process dies before that last commit is
    sent again after the lease; the ``Idempotency-Key`` (``outbox:<id>``) lets the gateway drop it.
    """
    from moralbank.residents import service as residents

    report = DispatchReport()
    broken: set[str] = set()
    while report.sent + report.failed < limit:
        with container.uow() as uow:
            now = uow.clock.now()
            size = min(chunk, limit - report.sent - report.failed)
            rows = [
                (r.id, r.channel, r.resident_id, r.subject, r.body, r.attempts)
                for r in repository.claim(uow.db, now, MAX_ATTEMPTS, size, now + LEASE, skip=broken)
            ]
            sms_to = sorted({r[2] for r in rows if r[1] == "sms"})
            phones = residents.phones_for_notice(uow, resident_ids=sms_to) if sms_to else {}
            uow.commit()
        if not rows:
            break
        channels = {
            "sms": SmsChannel(container.sms, phone_of=phones.get),
            "wechat": WeChatChannel(container.wechat) if container.wechat is not None else None,
        }
        done, failures, untried = [], [], []
        for row_id, channel, resident_id, subject, body, attempts in rows:
            if channel in broken:
                untried.append(row_id)
                continue
            try:
                sender = channels.get(channel)
                if sender is None:
                    raise GatewayError(f"channel {channel!r} is not configured (MORALBANK_NOTIFIER)")
                sender.notify(resident_id, subject, body, key=f"outbox:{row_id}")
                done.append(row_id)
            except Exception as e:  # noqa: BLE001 - whatever a gateway raises, the row waits and is retried
                failures.append((row_id, attempts + 1, f"{type(e).__name__}: {e}"))
                broken.add(channel)
        with container.uow() as uow:
            now = uow.clock.now()
            repository.sent(uow.db, done)
            repository.release(uow.db, untried, now)
            for row_id, attempts, error in failures:
                wait_until = now + _wait(attempts)
                repository.failed(uow.db, row_id, attempts=attempts, next_at=wait_until, error=error)
            uow.commit()
        report.sent += len(done)
        report.failed += len(failures)
        report.given_up += sum(1 for _, attempts, _ in failures if attempts >= MAX_ATTEMPTS)
        report.errors.extend(e for *_, e in failures[: max(0, 5 - len(report.errors))])
        for row_id, attempts, error in failures:
            log.warning("notification outbox %s failed (attempt %s): %s", row_id, attempts, error)
    return report


@dataclass(frozen=True)
class OutboxStatus:
    waiting: dict[str, int]  # channel -> rows still to send (incl. ones waiting to be tried again)
    given_up: dict[str, int]  # channel -> rows that used up their attempts

    def to_json(self) -> dict[str, Any]:
        return {"waiting": self.waiting, "given_up": self.given_up, "max_attempts": MAX_ATTEMPTS}


def outbox_status(uow: UnitOfWork) -> OutboxStatus:
    waiting: dict[str, int] = {}
    given_up: dict[str, int] = {}
    for channel, g, n in repository.counts(uow.db, MAX_ATTEMPTS):
        (given_up if g else waiting)[channel] = n
    return OutboxStatus(waiting, given_up)


def retry_given_up(uow: UnitOfWork, *, now: datetime | None = None) -> int:
    """Give the rows that used up their attempts a fresh start (after the gateway is mended)."""
    return repository.retry_given_up(uow.db, MAX_ATTEMPTS, now or uow.clock.now())
