"""In English the evaluation pages speak English: indicator names and bases from the policy's ``name_en``
and ``basis_en``, English punctuation, and points ranges that read like English."""

import re
from urllib.parse import urlsplit

import pytest

from .conftest import PNG

EVIDENCE = [("files", ("scene.png", PNG, "image/png"))]
# CJK punctuation, ideographs and full-width forms: none belongs on an English page whose data is English
CHINESE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture
def english(client_for):  # noqa: ANN001, ANN201
    return lambda **who: client_for(lang="en", **who)


def _main(page: str) -> str:
    """The text of the page's main element, tags removed and spaces collapsed."""
    main = page.split("<main>", 1)[1].split("</main>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _item_id(response) -> int:
    assert response.status_code == 303, response.text
    return int(urlsplit(response.headers["location"]).path.rsplit("/", 1)[1])


def test_the_submit_form_names_indicators_and_points_in_english(world, english):
    text = _main(english(letter="A").get("/evaluation/submit").text)

    assert "Returning lost property (2–10 points, evidence required)" in text
    assert "Unpaid blood donation (5 points, evidence required)" in text  # a fixed value
    assert "Helping neighbours (2–5 points)" in text
    assert not CHINESE.search(text), CHINESE.findall(text)


def test_a_deed_reads_in_english_from_submission_to_review(world, english):
    a = english(letter="A")
    deed = _item_id(
        a.post(
            "/evaluation/submit",
            data={
                "indicator": "PC01",
                "deed_date": "2026-11-24",
                "description": "Found a wallet and returned it",
                "witnesses": "Li Lei\nHan Meimei",
            },
            files=EVIDENCE,
        )
    )
    page = _main(a.get(f"/evaluation/items/{deed}").text)
    # what the submission did, then the deed
    assert page.startswith("Submitted; waiting for evaluation Returning lost property +3")
    assert "Status: In grid mutual evaluation" in page
    assert "Witnesses: Li Lei, Han Meimei" in page
    assert not CHINESE.search(page), CHINESE.findall(page)

    neighbour = english(letter="B")
    page = _main(neighbour.get("/evaluation/confirm").text)
    assert "Returning lost property" in page and "Witnesses: Li Lei, Han Meimei" in page
    assert not CHINESE.search(page), CHINESE.findall(page)
    assert neighbour.post(f"/evaluation/items/{deed}/vote", data={"confirm": "yes"}).status_code == 303

    officer = english(username="village1")
    page = _main(officer.get("/evaluation/review").text)
    assert "Returning lost property" in page
    assert not CHINESE.search(page), CHINESE.findall(page)
    assert not CHINESE.search(_main(a.get("/evaluation/me").text))


def test_the_deduction_form_and_a_deduction_read_in_english(world, english):
    officer = english(username="village1")
    text = _main(officer.get("/evaluation/deduction").text)
    assert "Littering or illegal straw burning (2–5 points) — Measures Art." in text
    assert "Contract default (20 points) — Measures Art. 13(1)" in text
    assert not CHINESE.search(text), CHINESE.findall(text)

    item = _item_id(
        officer.post(
            "/evaluation/deduction",
            data={
                "resident_id": world.ids["A"],
                "indicator": "PC04",
                "points": "3",
                "deed_date": "2026-11-24",
                "description": "Burned straw in the field after a warning",
            },
            files=EVIDENCE,
        )
    )
    page = _main(officer.get(f"/evaluation/items/{item}").text)
    # what the proposal did, then the deduction
    assert page.startswith(
        "Proposed; waiting for a second officer to confirm Littering or illegal straw burning -3"
    )
    assert "Basis: Measures Art." in page
    assert not CHINESE.search(page), CHINESE.findall(page)
    page = _main(english(username="village1b").get("/evaluation/review").text)
    assert "Littering or illegal straw burning" in page
    assert not CHINESE.search(page), CHINESE.findall(page)
    assert not CHINESE.search(_main(english(username="township").get("/evaluation/overdue").text))


def test_a_refused_bulk_review_explains_itself_in_english(world, english):
    a = english(letter="A")
    deed = _item_id(
        a.post(
            "/evaluation/submit",
            data={"indicator": "SM04", "deed_date": "2026-11-24", "description": "Sorted the waste"},
        )
    )  # still in grid mutual evaluation: an officer cannot approve it yet
    officer = english(username="village1")
    r = officer.post("/evaluation/review/bulk", data={"item_ids": [str(deed)], "decision": "approve"})
    text = _main(officer.get(r.headers["location"]).text)
    assert "0 done; 1 could not be done: #" in text
    assert not CHINESE.search(text), CHINESE.findall(text)
