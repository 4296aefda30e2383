"""The public catalogue page speaks one language at a time: names, punctuation and points in it."""

from __future__ import annotations

import re
from html import unescape

from moralbank.bootstrap import Container
from tests.support import signed_in as client

CHINESE = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")  # ideographs and full-width marks


def _text(html: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (a section or a table row)."""
    start = html.index(f'id="{element_id}"')
    tag = html.rfind("<", 0, start)
    name = re.match(r"<(\w+)", html[tag:]).group(1)
    end = html.index(f"</{name}>", start)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html[tag:end]))).strip()


def test_in_english_aspects_and_indicators_have_their_english_names_only(container: Container) -> None:
    html = client(container).get("/policy?lang=en").text
    personal = _text(html, "aspect-PC")
    assert personal.startswith("Personal conduct") and "个人品德" not in personal
    assert "Returning lost property" in _text(html, "indicator-PC01")
    main = unescape(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]))
    assert CHINESE.findall(main) == []


def test_in_chinese_aspects_and_indicators_have_their_chinese_names_only(container: Container) -> None:
    html = client(container).get("/policy").text
    assert _text(html, "aspect-PC").startswith("个人品德") and "Personal conduct" not in html
    assert "拾金不昧" in _text(html, "indicator-PC01") and "Returning lost property" not in html


def test_points_read_as_a_range_with_a_space_and_a_cap_of_one_as_once(container: Container) -> None:
    html = client(container).get("/policy?lang=en").text
    assert "2–5 points" in _text(html, "indicator-SM01")  # 2 to 5 points, the default +5
    assert "50–100 points" in _text(html, "indicator-SM05")  # a deduction of 50 to 100
    fixed = _text(html, "indicator-SM02")  # always 5 points: no range
    assert "+5" in fixed and "–" not in fixed.split("Measures")[0]
    assert "Per week at most once" in _text(html, "indicator-SM04")
    assert "Per month at most 12 points, at most 4 times" in _text(html, "indicator-FV03")
    assert re.search(r"\dpoints", html) is None
    tiers = html.split("Courtesy benefits")[1].split("</table>")[0]
    assert "；" not in tiers and "; " in tiers
