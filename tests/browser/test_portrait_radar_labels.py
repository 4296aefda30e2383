"""In chromium: every label of the portrait's radar lies inside the chart, in Chinese and in English, on
a desktop and on a phone, on the resident's own portrait and on staff's view of it."""

from __future__ import annotations

import pytest

from moralbank.auth.domain import Role
from moralbank.scoring import service as scoring
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.scoring.world import G1, build_town, create_user, session_token

pytestmark = pytest.mark.browser


@pytest.fixture
def town(container):  # noqa: ANN001, ANN201
    t = build_town(container)
    # Two-digit values of every aspect: the longest labels the default policy makes ("… 18/30").
    for indicator, points in (("SM01", 5), ("PE01", 5), ("FV03", 3), ("PC01", 5)):
        for days in (3, 10, 20):
            t.post("zhang", indicator, points, days_ago=days)
    create_user(container, "grid1", Role.GRID_WORKER, G1)
    with container.uow() as uow:
        scoring.recompute(uow, full=True)
        uow.commit()
    return t


def _labels_outside(page) -> list[str]:  # noqa: ANN001
    """The radar labels whose drawn text does not lie wholly inside the SVG's box on the page."""
    return page.evaluate(
        """() => {
          const svg = document.querySelector('svg.radar').getBoundingClientRect();
          return [...document.querySelectorAll('svg.radar text')].filter(t => {
            const b = t.getBoundingClientRect();
            return b.width === 0 || b.left < svg.left - 0.5 || b.right > svg.right + 0.5
              || b.top < svg.top - 0.5 || b.bottom > svg.bottom + 0.5;
          }).map(t => t.textContent);
        }"""
    )


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("viewer", ["resident", "staff"])
def test_every_radar_label_fits_inside_the_chart(
    browser, live_server, town, container, lang, width, viewer
) -> None:  # noqa: ANN001, E501
    token = (
        session_token(container, resident_id=town.ids["zhang"])
        if viewer == "resident"
        else session_token(container, username="grid1")
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    try:
        context.add_cookies(
            [
                {"name": SESSION_COOKIE, "url": live_server, "value": token},
                {"name": "lang", "url": live_server, "value": lang},
            ]
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        path = "/me/portrait" if viewer == "resident" else f"/residents/{town.ids['zhang']}/portrait"
        page.goto(f"{live_server}{path}")
        labels = page.locator("svg.radar text")
        assert labels.count() == 4
        words = ("Social morality", "Professional ethics", "Family virtue", "Personal conduct")
        if lang == "zh-CN":
            words = ("社会公德", "职业道德", "家庭美德", "个人品德")
        text = "".join("".join(labels.all_text_contents()).split())  # a wrapped label's lines run together
        assert all("".join(w.split()) in text for w in words), text
        assert _labels_outside(page) == []
        # On a phone the chart still fits the screen, and its labels stay legible.
        chart = page.locator("svg.radar").bounding_box()
        assert chart["x"] >= 0 and chart["x"] + chart["width"] <= width
        smallest = min(b["height"] for b in (labels.nth(i).bounding_box() for i in range(4)))
        assert smallest >= 8
    finally:
        context.close()
