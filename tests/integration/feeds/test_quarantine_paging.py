"""The quarantine page at a city's scale: every row can be reached, page by page, and the count is the
true number of rows the filters find, not the length of one page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from moralbank.feeds.importer import import_file
from moralbank.web.pages.feeds import PAGE_SIZE

from .conftest import City

HTML = {"accept": "text/html"}
BAD = 130  # quarantined rows of blood donation: three pages of PAGE_SIZE


@pytest.fixture
def admin(city: City, tmp_path: Path) -> TestClient:
    for name, n, bad in (("blood_donation", 150, BAD), ("volunteer_hours", 20, 9)):
        import_file(
            city.container, interface=name, path=city.write(tmp_path / f"{name}.csv", name, n, bad=bad)
        )
    return city.admin_client()


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<section class="card quarantine-row" id="q(\d+)"', page)]


def _count(page: str) -> str:
    return " ".join(
        unescape(re.sub(r"<[^>]*>", " ", re.search(r'<p id="count">.*?</p>', page, re.S)[0])).split()
    )


def test_every_row_is_reached_page_by_page_with_the_filters_kept(admin: TestClient) -> None:
    url = "/staff/feeds/quarantine?interface=blood_donation&status=pending"
    first = admin.get(url, headers=HTML).text
    assert len(_ids(first)) == PAGE_SIZE
    assert _count(first) == f"共 {BAD} 行，本页为第 1–{PAGE_SIZE} 行"
    seen, page, pages = [], first, 0
    while True:  # follow the "next" links as a person would
        seen += _ids(page)
        pages += 1
        nxt = re.search(r'<a href="([^"]+)" rel="next">', page)
        if not nxt:
            break
        link = unescape(nxt.group(1))
        assert "interface=blood_donation" in link and "status=pending" in link
        page = admin.get(link, headers=HTML).text
    assert pages == 3 and len(seen) == BAD == len(set(seen)) and seen == sorted(seen)
    assert _count(page) == f"共 {BAD} 行，本页为第 {2 * PAGE_SIZE + 1}–{BAD} 行"
    # another interface, another count; a page past the last shows the last
    other = admin.get("/staff/feeds/quarantine?interface=volunteer_hours", headers=HTML).text
    assert _count(other) == "共 9 行" and 'rel="next"' not in other
    assert _ids(admin.get(url + "&page=99", headers=HTML).text) == seen[2 * PAGE_SIZE :]
    assert _ids(admin.get(url + "&page=x", headers=HTML).text) == seen[:PAGE_SIZE]
    en = admin.get(url + "&page=2&lang=en", headers=HTML).text
    assert _count(en) == f"Rows {PAGE_SIZE + 1}–{2 * PAGE_SIZE} of {BAD}" and "Page 2 of 3" in en


def test_an_action_returns_to_the_page_it_was_on(admin: TestClient) -> None:
    url = "/staff/feeds/quarantine?interface=blood_donation&status=pending&page=2"
    qid = _ids(admin.get(url, headers=HTML).text)[0]
    r = admin.post(
        f"/staff/feeds/quarantine/{qid}/discard?interface=blood_donation&status=pending&page=2",
        data={"reason": "部门撤回"},
    )
    assert r.status_code == 303 and "page=2" in r.headers["location"]
    assert qid not in _ids(admin.get(r.headers["location"], headers=HTML).text)
