"""Which evaluation messages go by SMS: the due-process ones (the default of MORALBANK_SMS_NOTIFY)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from moralbank.config import Settings
from moralbank.evaluation import service as ev
from moralbank.evaluation.core import DUE_PROCESS, MESSAGES
from moralbank.notify.models import NotifyOutbox

from .conftest import PNG
from .test_due_process import _deduction, _do


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", notifier="log,sms")  # texts to the log gateway


def _queued(w) -> list[str]:
    with w.container.uow(write=False) as uow:
        return list(uow.db.scalars(select(NotifyOutbox.subject).order_by(NotifyOutbox.id)))


def test_a_deduction_notice_is_texted_a_plain_step_is_not(world):
    w = world
    _do(
        w,
        ev.submit,
        principal=w.resident("B"),
        indicator="PC01",
        deed_date=date(2026, 11, 24),
        description="拾金不昧",
        uploads=[ev.Upload("p.png", PNG)],
    )
    item_id = _deduction(w)
    _do(w, ev.approve, principal=w.officer_b, item_id=item_id)
    _do(w, ev.object_to, principal=w.resident("A"), item_id=item_id, statement="合同已经履行完毕")
    # the inbox has every message; the SMS outbox only the notice and the objection's receipt
    assert _queued(w) == ["扣分告知", "异议已受理"]
    told = [subject for _, subject, _ in w.container.notifier.sent]  # the at-once log channel: everything
    assert told == ["您的善行已提交", "扣分告知", "异议已受理"]


def test_the_due_process_messages_are_the_adverse_ones():
    assert set(MESSAGES) >= DUE_PROCESS
    assert {"deduction_notice", "deduction_posted", "objection_rejected", "repair_rejected"} <= DUE_PROCESS
    assert not {"submitted", "posted", "approved", "record_proposed"} & DUE_PROCESS
