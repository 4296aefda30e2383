"""The demo step: one account per role, each able to sign in as printed; re-running changes nothing."""

from __future__ import annotations

import re
from datetime import date

from moralbank.auth import service as auth
from moralbank.auth.domain import SYSTEM, Role
from moralbank.bootstrap import Container
from moralbank.demo.users import DEMO_PASSWORD, build_users
from moralbank.residents import service as residents
from moralbank.residents.idnumber import make


def test_every_role_can_sign_in_as_the_demo_says(tree: Container) -> None:
    with tree.uow() as uow:
        rid = residents.enrol(
            uow,
            principal=SYSTEM,
            name="演示居民",
            grid="330281001002-G01",
            consent_text_version="v1",
            id_number=make("330281", date(1975, 3, 3), 5),
            phone="13000000001",
        )
        uow.commit()
    tree.cache["demo_residents"] = [
        {"id": rid, "name": "演示居民", "phone": "13000000001", "grid": "330281001002-G01"}
    ]
    text = build_users(tree, scale="town", seed=2012)
    assert "demo only" in text and "13000000001" in text
    roles = set()
    for username in re.findall(r"user '([a-z]+)'", text):
        with tree.uow() as uow:
            p = auth.sign_in(uow, username=username, password=DEMO_PASSWORD).principal
        roles.add(p.role)
        if p.role in (Role.VILLAGE_OFFICER, Role.GRID_WORKER):
            with tree.uow() as uow:
                auth.authorize(uow, p, "read", resident_id=rid)  # the printed resident is theirs
    token = re.search(r"Bearer (\S+)", text).group(1)  # type: ignore[union-attr]
    assert len(set(token.removeprefix("mbt_demo_"))) > 10  # random-looking, though derived from the seed
    with tree.uow() as uow:
        roles.add(auth.principal_for_token(uow, token=token).role)
    assert roles == set(Role) - {Role.RESIDENT}

    again = build_users(tree, scale="town", seed=2012)
    assert again == text
    with tree.uow() as uow:
        assert len(auth.list_users(uow)) == 7 and len(auth.list_tokens(uow)) == 1
    other = re.search(r"Bearer (\S+)", build_users(tree, scale="town", seed=7)).group(1)  # type: ignore[union-attr]
    with tree.uow() as uow:
        assert other != token and auth.principal_for_token(uow, token=other).role == Role.DEPARTMENT_FEED
