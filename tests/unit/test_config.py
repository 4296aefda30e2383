"""Settings refuse a gateway or channel configuration that cannot work, naming the variable."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from moralbank.config import Settings


def test_defaults_log_everything():
    s = Settings()
    assert (s.sms_gateway, s.wechat_gateway, s.channels, s.sms_notify) == (
        "log",
        None,
        ("log",),
        "due_process",
    )


def test_channels_are_a_comma_list_without_repeats(monkeypatch):
    monkeypatch.setenv("MORALBANK_NOTIFIER", " log, sms,sms ")
    monkeypatch.setenv("MORALBANK_SMS_GATEWAY", "https://sms.intranet.example/send")
    s = Settings()
    assert s.channels == ("log", "sms") and s.sms_gateway == "https://sms.intranet.example/send"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MORALBANK_NOTIFIER": "log,fax"}, "MORALBANK_NOTIFIER: unknown channel 'fax'"),
        (
            {"MORALBANK_NOTIFIER": "wechat"},
            "MORALBANK_NOTIFIER names wechat but MORALBANK_WECHAT_GATEWAY is not set",
        ),
        ({"MORALBANK_SMS_GATEWAY": "smtp://mail"}, "MORALBANK_SMS_GATEWAY must be 'log' or an http(s) URL"),
        ({"MORALBANK_WECHAT_GATEWAY": "relay.intranet"}, "MORALBANK_WECHAT_GATEWAY must be an http(s) URL"),
        ({"MORALBANK_SMS_NOTIFY": "some"}, "MORALBANK_SMS_NOTIFY must be due_process or all"),
    ],
)
def test_unworkable_settings_are_refused(monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings()
