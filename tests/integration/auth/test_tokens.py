"""Partner API tokens: shown once, stored hashed, scoped, expiring, revocable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.auth.models import ApiToken
from moralbank.bootstrap import Container
from moralbank.errors import InvalidInput, NotAuthenticated


def test_token_resolves_to_a_scoped_principal_and_is_stored_hashed(tree: Container) -> None:
    with tree.uow() as uow:
        plain, view = auth.create_token(
            uow,
            name="社保局",
            role=Role.DEPARTMENT_FEED,
            scopes={"feeds:push:social_security"},
            unit_code="330281",
        )
        uow.commit()
    with tree.uow() as uow:
        p = auth.principal_for_token(uow, token=plain)
        stored = uow.db.query(ApiToken).one()
        stored_hash, stored_name = stored.token_hash, stored.name
    assert p.role == Role.DEPARTMENT_FEED and p.actor == f"token:{view.id}"
    assert p.has_scope("feeds:push:social_security") and not p.has_scope("feeds:push:tax")
    assert plain not in (stored_hash, stored_name) and len(stored_hash) == 64


def test_revoked_and_expired_tokens_stop_working(tree: Container, clock) -> None:  # noqa: ANN001
    with tree.uow() as uow:
        a, va = auth.create_token(uow, name="bank", role=Role.BANK_STAFF, scopes={"credit:read"})
        b, _ = auth.create_token(
            uow,
            name="shop",
            role=Role.PROVIDER_STAFF,
            scopes={"greencode:verify"},
            expires_at=clock.now() + timedelta(days=1),
        )
        uow.commit()
    with tree.uow() as uow:
        auth.revoke_token(uow, token_id=va.id)
        uow.commit()
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated):
            auth.principal_for_token(uow, token=a)
        auth.principal_for_token(uow, token=b)
    clock.advance(days=1)
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.principal_for_token(uow, token=b)
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.principal_for_token(uow, token="mbt_" + "x" * 43)


def test_department_feed_token_only_pushes_its_interface(tree: Container) -> None:
    with tree.uow() as uow, pytest.raises(InvalidInput):
        auth.create_token(uow, name="tax", role=Role.DEPARTMENT_FEED, scopes={"credit:read"})
    with tree.uow() as uow, pytest.raises(InvalidInput):
        auth.create_token(uow, name="tax", role=Role.VILLAGE_OFFICER, scopes={"feeds:push:tax"})
