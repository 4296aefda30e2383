"""Notify a resident: an in-app inbox message, mirrored through the pluggable channel.

The channel (``uow.deps.notifier``: SMS, WeChat template message; the development one logs) is told
only after the message is written, so the inbox is the record and the channel a courtesy copy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from moralbank.db.uow import UnitOfWork
from moralbank.errors import InvalidInput
from moralbank.notify import repository
from moralbank.notify.models import InboxMessage

log = logging.getLogger("moralbank.notify")

__all__ = ["send", "send_many", "inbox", "unread_count", "mark_read"]


def send(
    uow: UnitOfWork, *, resident_id: str, subject: str, body: str, ref: str | None = None
) -> InboxMessage:
    """Write an inbox message to ``resident_id`` and mirror it to the outside channel.

    ``ref`` names what the message is about (``deed:12``, ``objection:3``, ``ledger:88``) so the page
    can link to it. A failing channel never loses the inbox message: it is logged and skipped.
    """
    if not resident_id or not subject:
        raise InvalidInput("a message needs a resident and a subject")
    message = repository.add(
        uow.db,
        InboxMessage(
            resident_id=resident_id, subject=subject[:200], body=body, ref=ref, created_at=uow.clock.now()
        ),
    )
    try:
        uow.deps.notifier.notify(resident_id, subject, body)
    except Exception:  # noqa: BLE001 - an outside channel must not undo the use case
        log.exception("notification channel failed for %s", resident_id)
    return message


def send_many(uow: UnitOfWork, *, messages: Sequence[tuple[str, str, str, str | None]]) -> int:
    """``send`` for many messages at once — ``(resident_id, subject, body, ref)`` each — written in one
    statement, then mirrored to the outside channel one by one (no database round trip per message).
    Returns how many were written."""
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
