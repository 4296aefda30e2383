"""An item's trail says who took each step in words of the page's language, never an internal actor
code; a department record is named by its interface and the department's record id, never by the
internal source reference."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urlsplit

import pytest

from moralbank.evaluation import service as ev
from moralbank.feeds import service as feeds

from .conftest import PNG

# user:3, resident:R…, system:evaluation, feed:volunteer_hours, feeds:court_enforcement:…, token:7
ACTOR_CODE = re.compile(r"\b(?:user|resident|system|feeds?|token):\S")


def _main(page: str) -> str:
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _trail(page: str) -> list[str]:
    """The steps of the trail and the votes, each as its text."""
    html = page.split('<ol class="trail">', 1)[1].split("</div>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", html, re.S)]


@pytest.fixture
def deed(world, client_for) -> int:  # noqa: ANN001
    """A's deed, confirmed by neighbour B, approved by officer village1, then objected to by A."""
    a = client_for(letter="A")
    r = a.post(
        "/evaluation/submit",
        data={"indicator": "PC01", "deed_date": "2026-11-24", "description": "拾到钱包交还失主"},
        files=[("files", ("photo.png", PNG, "image/png"))],
    )
    assert r.status_code == 303, r.text
    item = int(urlsplit(r.headers["location"]).path.rsplit("/", 1)[1])
    assert (
        client_for(letter="B").post(f"/evaluation/items/{item}/vote", data={"confirm": "yes"}).status_code
        == 303
    )
    r = client_for(username="village1").post(f"/evaluation/items/{item}/approve", data={"points": "3"})
    assert r.status_code == 303, r.text
    r = a.post(f"/evaluation/items/{item}/object", data={"statement": "分值偏低", "kind": "objection"})
    assert r.status_code == 303, r.text
    return item


def test_the_resident_reads_who_took_each_step_in_words(world, client_for, deed) -> None:  # noqa: ANN001
    page = client_for(letter="A").get(f"/evaluation/items/{deed}").text
    steps = _trail(page)
    assert not ACTOR_CODE.search(_main(page)), ACTOR_CODE.findall(_main(page))
    assert any(s.endswith("本人提交 · 您本人") for s in steps), steps
    assert any("确认属实 · 居民" in s for s in steps), steps  # the neighbour, not named
    assert any("评议通过 · village1（村社干部）" in s for s in steps), steps  # as the access log names staff
    assert any("系统" in s for s in steps), steps  # the objection marked the entry by itself
    assert re.search(r"网格互评 居民 ?：确认", _main(page))  # the neighbour's vote

    english = client_for(letter="A", lang="en").get(f"/evaluation/items/{deed}").text
    steps = _trail(english)
    assert not ACTOR_CODE.search(_main(english)), ACTOR_CODE.findall(_main(english))
    assert any(s.endswith("· You") for s in steps), steps
    assert any(s.endswith("· village1 (Village officer)") for s in steps), steps
    assert any(s.endswith("· Resident") for s in steps), steps
    assert any("· System" in s for s in steps), steps


def test_staff_read_the_resident_as_a_resident_and_officers_by_name_and_role(world, client_for, deed) -> None:  # noqa: ANN001, E501
    page = client_for(username="village1b").get(f"/evaluation/items/{deed}").text
    steps = _trail(page)
    assert not ACTOR_CODE.search(_main(page)), ACTOR_CODE.findall(_main(page))
    assert any(s.endswith("本人提交 · 居民") for s in steps), steps
    assert any("评议通过 · village1（村社干部）" in s for s in steps), steps


def _record(world, interface: str, record_id: str, indicator: str, points: int) -> int:  # noqa: ANN001
    ref = feeds.source_ref(interface, record_id, 1)
    with world.container.uow() as uow:
        row = ev.propose_from_record(
            uow,
            resident_id=world.ids["C"],
            indicator=indicator,
            points=points,
            deed_date=date(2026, 11, 20),
            source_ref=ref,
            interface=interface,
            evidence=[ref],
        )
        uow.commit()
        return row.id


def test_a_department_record_is_named_by_its_interface_and_record_id(world, client_for) -> None:  # noqa: ANN001
    court = _record(world, "court_enforcement", "COUR2012-00000035", "PE04", -20)  # waits for officers
    hours = _record(world, "volunteer_hours", "VOL-2026-0042", "SM01", 2)  # posts by itself

    officer = client_for(username="village1")
    page = _main(officer.get(f"/evaluation/items/{court}").text)
    assert "法院失信被执行人 · 记录 COUR2012-00000035" in page
    assert not ACTOR_CODE.search(page), ACTOR_CODE.findall(page)
    assert "部门数据评价 · 法院失信被执行人" in page  # the step, by the interface that proposed it

    queue = _main(officer.get("/evaluation/review").text)
    assert "法院失信被执行人 · 记录 COUR2012-00000035" in queue
    assert "feeds:" not in queue and "court_enforcement" not in queue

    english = client_for(username="village1", lang="en")
    page = _main(english.get(f"/evaluation/items/{court}").text)
    assert "Court enforcement (dishonest judgment debtors) · record COUR2012-00000035" in page
    assert not ACTOR_CODE.search(page), ACTOR_CODE.findall(page)
    queue = _main(english.get("/evaluation/review").text)
    assert "Court enforcement (dishonest judgment debtors) · record COUR2012-00000035" in queue

    resident = _main(client_for(letter="C").get(f"/evaluation/items/{hours}").text)
    assert "志愿服务时长 · 记录 VOL-2026-0042" in resident
    assert "部门数据评价 · 志愿服务时长" in resident
    assert not ACTOR_CODE.search(resident), ACTOR_CODE.findall(resident)
