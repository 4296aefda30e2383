"""The evaluation pages render for each role and their forms do what they say."""

from datetime import date

from moralbank.evaluation import service as ev

from .conftest import PNG


def test_resident_submits_and_officer_reviews_through_pages(world, client_for):
    a = client_for(letter="A")
    assert "提交善行" in a.get("/evaluation/submit").text
    r = a.post(
        "/evaluation/submit",
        data={"indicator": "PC01", "deed_date": "2026-11-24", "description": "拾到钱包交还失主"},
        files=[("files", ("p.png", PNG, "image/png"))],
    )
    assert r.status_code == 303, r.text
    item_url = r.headers["location"].split("?")[0]
    item_id = int(item_url.rsplit("/", 1)[1])
    assert "网格互评中" in a.get(item_url).text
    # a bad file is refused with the form kept
    r = a.post(
        "/evaluation/submit",
        data={"indicator": "PC01", "deed_date": "2026-11-24", "description": "x"},
        files=[("files", ("p.png", b"GIF89a...", "image/png"))],
    )
    assert r.status_code == 422 and "JPEG" in r.text
    b = client_for(letter="B")
    confirm_page = b.get("/evaluation/confirm").text
    assert f'data-item="{item_id}"' in confirm_page
    photo = confirm_page.split('href="/evaluation/files/')[1].split('"')[0]
    assert b.get(f"/evaluation/files/{photo}").content == PNG  # the neighbour sees the photo
    assert b.post(f"/evaluation/items/{item_id}/vote", data={"confirm": "yes"}).status_code == 303
    officer = client_for(username="village1")
    page = officer.get("/evaluation/review").text
    assert f'data-item="{item_id}"' in page
    r = officer.post("/evaluation/review/bulk", data={"item_ids": [str(item_id)], "decision": "approve"})
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)
    assert "已入账" in a.get(item_url).text
    assert "积分已入账" in a.get("/evaluation/inbox").text
    assert "已入账" in a.get("/evaluation/me").text


def test_pages_refuse_the_wrong_roles(world, client_for):
    a = client_for(letter="A")
    assert a.get("/evaluation/review").status_code == 403
    assert client_for(username="grid1").get("/evaluation/overdue").status_code == 403
    township = client_for(username="township")
    assert township.get("/evaluation/overdue").status_code == 200
    with world.container.uow() as uow:
        row = ev.propose_from_record(
            uow,
            resident_id=world.ids["F"],
            indicator="SM01",
            points=5,
            deed_date=date(2026, 11, 20),
            interface="volunteer",
            source_ref="P1",
            evidence=[],
        )
        uow.commit()
        item_id = row.id
    assert a.get(f"/evaluation/items/{item_id}").status_code == 404  # not A's
    assert f'data-item="{item_id}"' in township.get("/evaluation/overdue?state=posted").text
    assert f'data-item="{item_id}"' not in township.get("/evaluation/overdue?state=rejected").text
    f = client_for(letter="F")
    assert "拒绝此自动化决定" in f.get(f"/evaluation/items/{item_id}").text
    r = f.post(f"/evaluation/items/{item_id}/refuse", data={"statement": ""})
    assert r.status_code == 303 and "msg=" not in r.headers["location"]  # said on the page (web.flash)
    assert "已冲回" in f.get(f"/evaluation/items/{item_id}").text
