from moralbank.notify import service as notify


def test_send_writes_inbox_and_mirrors_to_channel(container):
    with container.uow() as uow:
        notify.send(uow, resident_id="RAAA", subject="您的善行已提交", body="等待网格互评", ref="deed:1")
        notify.send(uow, resident_id="RBBB", subject="other", body="")
        uow.commit()
    assert container.notifier.sent[-2][0:2] == ("RAAA", "您的善行已提交")
    with container.uow() as uow:
        msgs = notify.inbox(uow, resident_id="RAAA")
        assert [m.ref for m in msgs] == ["deed:1"]
        assert notify.unread_count(uow, resident_id="RAAA") == 1
        assert notify.mark_read(uow, resident_id="RAAA") == 1
        uow.commit()
    with container.uow() as uow:
        assert notify.unread_count(uow, resident_id="RAAA") == 0
        assert notify.inbox(uow, resident_id="RAAA")[0].read_at is not None
        assert notify.unread_count(uow, resident_id="RBBB") == 1


def test_a_failing_channel_keeps_the_inbox_message(container):
    class Broken:
        def notify(self, *a):
            raise RuntimeError("gateway down")

    container.notifier = Broken()
    with container.uow() as uow:
        notify.send(uow, resident_id="RAAA", subject="s", body="b")
        uow.commit()
    with container.uow() as uow:
        assert len(notify.inbox(uow, resident_id="RAAA")) == 1
