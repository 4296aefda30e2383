"""A resident who asks staff to look at an automated decision again is told that, not that they objected."""

from datetime import date

from moralbank.evaluation import service as ev

from .test_due_process import _do


def test_asking_for_human_review_says_so(world, client_for):
    item = _do(
        world,
        ev.propose_from_record,
        resident_id=world.ids["D"],
        indicator="SM01",
        points=5,
        deed_date=date(2026, 11, 20),
        interface="volunteer_hours",
        source_ref="HR-1",
        evidence=[],
    )
    client = client_for(letter="D")
    r = client.post(
        f"/evaluation/items/{item.id}/object", data={"kind": "human_review", "statement": "请工作人员复核"}
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert '<p class="card flash" role="status">已申请人工复核，工作人员将重新审核此自动化决定</p>' in page
