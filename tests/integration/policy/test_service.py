"""Policy versions in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from moralbank.bootstrap import Container
from moralbank.errors import InvalidInput, NotFound
from moralbank.policy import service


def _bump_sm01(text: str, points: int) -> str:
    old = (
        "  - code: SM01\n    name_zh: 志愿服务\n    name_en: Volunteer service\n    aspect: SM\n"
        "    direction: positive\n    category: conduct\n    points: 5\n"
    )
    assert old in text
    return text.replace(old, old.replace("points: 5\n", f"points: {points}\n"))


def test_active_installs_the_default_as_version_1(container: Container) -> None:
    with container.uow() as uow:
        policy = service.active(uow)
        uow.commit()
    assert policy.version == 1
    assert len(policy.indicators) == 20
    assert policy.score.tier_for(80).code == "green"
    with container.uow() as uow:
        versions = service.list_versions(uow)
    assert [(v.version, v.author, v.active) for v in versions] == [(1, "system", True)]


def test_apply_creates_a_new_version_and_keeps_the_old(container: Container) -> None:
    text = service.default_text()
    with container.uow() as uow:
        service.active(uow)
        applied = service.apply(uow, text=_bump_sm01(text, 4), author="城市管理员", note="volunteering 4")
        uow.commit()
    assert applied.created and applied.version.version == 2
    with container.uow() as uow:
        assert service.active(uow).indicators["SM01"].points == 4
        assert service.active(uow).version == 2
        assert service.get(uow, version=1).indicators["SM01"].points == 5
        assert [v.version for v in service.list_versions(uow)] == [1, 2]
        changes = service.diff(uow, old=1, new=2)
    assert [(c.kind, c.what, c.code) for c in changes] == [("changed", "indicator", "SM01")]
    assert changes[0].fields == (("points", 5, 4),)


def test_applying_the_active_text_again_makes_no_new_version(container: Container) -> None:
    with container.uow() as uow:
        service.active(uow)
        again = service.apply(uow, text="# a comment changes nothing\n" + service.default_text(), author="x")
        uow.commit()
    assert not again.created
    assert "unchanged" in again.message and again.version.version == 1
    with container.uow() as uow:
        assert len(service.list_versions(uow)) == 1


def test_apply_refuses_an_invalid_text_and_stores_nothing(container: Container) -> None:
    with container.uow() as uow:
        with pytest.raises(InvalidInput) as e:
            bad = service.default_text().replace("category: honour", "category: donation", 1)
            service.apply(uow, text=bad, author="x")
        assert any(p.field and p.field.endswith(".category") for p in e.value.problems)
        assert service.list_versions(uow) == []


def test_get_unknown_version_is_not_found(container: Container) -> None:
    with container.uow() as uow, pytest.raises(NotFound):
        service.get(uow, version=9)


def test_active_is_parsed_once_per_version(container: Container) -> None:
    with container.uow() as uow:
        first = service.active(uow)
        uow.commit()
    with container.uow() as uow:
        assert service.active(uow) is first  # from uow.deps.cache
        assert service.get(uow, version=1) is first
        service.apply(uow, text=_bump_sm01(service.default_text(), 3), author="x")
        second = service.active(uow)
        uow.commit()
    assert second is not first and second.version == 2 and second.indicators["SM01"].points == 3


def test_a_rolled_back_apply_leaves_no_stale_cache(container: Container) -> None:
    with container.uow() as uow:
        service.active(uow)
        uow.commit()
    with container.uow() as uow:
        service.apply(uow, text=_bump_sm01(service.default_text(), 3), author="x")
        assert service.active(uow).indicators["SM01"].points == 3
        # leaving without commit rolls back
    with container.uow() as uow:
        service.apply(uow, text=_bump_sm01(service.default_text(), 4), author="y")
        assert service.active(uow).version == 2
        assert service.active(uow).indicators["SM01"].points == 4
