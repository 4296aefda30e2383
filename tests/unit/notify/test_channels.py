from moralbank.kernel.gateways import LogNotifier, LogSmsGateway
from moralbank.notify.channels import FanOut, SmsChannel, WeChatChannel


def test_sms_carries_only_the_subject_and_skips_residents_without_phone():
    sms = LogSmsGateway()
    channel = SmsChannel(sms, phone_of={"RAAA": "13800000000"}.get)
    channel.notify("RAAA", "扣分告知", "拟因「合同违约」扣 20 分（依据：……）")
    channel.notify("RBBB", "扣分告知", "x")
    assert sms.sent == [("13800000000", "【道德银行】扣分告知，详情请查看道德银行站内消息。")]


def test_fan_out_keeps_going_when_a_channel_fails():
    sent = []

    def broken(*_):
        raise RuntimeError("wechat down")

    log = LogNotifier()
    FanOut([WeChatChannel(broken), WeChatChannel(lambda *a: sent.append(a)), log]).notify("RAAA", "s", "b")
    assert sent == [("RAAA", "s", "b")] and log.sent == [("RAAA", "s", "b")]
