"""Staff accounts: creation rules, password sign-in, sessions, lockout, disabling."""

from __future__ import annotations

import pytest

from moralbank.auth import service as auth
from moralbank.auth.domain import Role
from moralbank.bootstrap import Container
from moralbank.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited
from tests.integration.auth.conftest import PASSWORD, add_village_officer


def test_signed_in_officer_is_scoped_to_their_village(tree: Container) -> None:
    add_village_officer(tree)
    with tree.uow() as uow:
        sign = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    with tree.uow() as uow:
        p = auth.principal_for_session(uow, token=sign.token)
    assert p.role == Role.VILLAGE_OFFICER and p.actor == sign.principal.actor
    assert p.covers("/330281/330281001/330281001001/330281001001-G02/")
    assert not p.covers("/330281/330281001/330281001002/330281001002-G01/")


def test_password_is_stored_as_argon2_not_plain(tree: Container) -> None:
    add_village_officer(tree)
    from moralbank.auth.models import StaffUser

    with tree.uow() as uow:
        stored = uow.db.query(StaffUser).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_officer_needs_a_unit_of_their_level_and_usernames_are_unique(tree: Container) -> None:
    with tree.uow() as uow, pytest.raises(InvalidInput, match="works at a village"):
        auth.create_user(
            uow,
            username="li",
            display_name="李",
            role=Role.VILLAGE_OFFICER,
            unit_code="330281001",
            password=PASSWORD,
        )
    with tree.uow() as uow, pytest.raises(InvalidInput, match="no organisation unit"):
        auth.create_user(
            uow,
            username="li",
            display_name="李",
            role=Role.GRID_WORKER,
            unit_code="999999999999-G01",
            password=PASSWORD,
        )
    with tree.uow() as uow, pytest.raises(InvalidInput, match="at least"):
        auth.create_user(uow, username="li", display_name="李", role=Role.CITY_ADMIN, password="short")
    add_village_officer(tree)
    with tree.uow() as uow, pytest.raises(Conflict):
        auth.create_user(uow, username="WANG", display_name="王", role=Role.CITY_ADMIN, password=PASSWORD)


def test_wrong_password_and_unknown_user_fail_alike(tree: Container) -> None:
    add_village_officer(tree)
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated) as wrong:
            auth.sign_in(uow, username="wang", password="not the password")
        with pytest.raises(NotAuthenticated) as unknown:
            auth.sign_in(uow, username="nobody", password="not the password")
    assert str(wrong.value) == str(unknown.value)


def test_five_failures_lock_the_username_for_fifteen_minutes(tree: Container, clock) -> None:  # noqa: ANN001
    add_village_officer(tree)
    for _ in range(5):
        with tree.uow() as uow:
            with pytest.raises(NotAuthenticated):
                auth.sign_in(uow, username="wang", password="guess guess guess")
            uow.commit()
    with tree.uow() as uow, pytest.raises(RateLimited):
        auth.sign_in(uow, username="wang", password=PASSWORD)  # even the right password
    clock.advance(minutes=16)
    with tree.uow() as uow:
        auth.sign_in(uow, username="wang", password=PASSWORD)


def test_reset_password_lifts_lockout_and_ends_sessions(tree: Container) -> None:
    add_village_officer(tree)
    with tree.uow() as uow:
        old = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    for _ in range(5):
        with tree.uow() as uow:
            with pytest.raises(NotAuthenticated):
                auth.sign_in(uow, username="wang", password="guess guess guess")
            uow.commit()
    with tree.uow() as uow:
        auth.reset_password(uow, username="wang", password="another long password")
        uow.commit()
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated):
            auth.principal_for_session(uow, token=old.token)
        auth.sign_in(uow, username="wang", password="another long password")


def test_session_expires_and_sign_out_ends_it(tree: Container, clock) -> None:  # noqa: ANN001
    add_village_officer(tree)
    with tree.uow() as uow:
        a = auth.sign_in(uow, username="wang", password=PASSWORD)
        b = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    with tree.uow() as uow:
        auth.sign_out(uow, token=a.token)
        uow.commit()
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated):
            auth.principal_for_session(uow, token=a.token)
        auth.principal_for_session(uow, token=b.token)
    clock.advance(hours=12, seconds=1)
    with tree.uow() as uow, pytest.raises(NotAuthenticated):
        auth.principal_for_session(uow, token=b.token)


def test_disabled_user_loses_sessions_and_cannot_sign_in(tree: Container) -> None:
    add_village_officer(tree)
    with tree.uow() as uow:
        s = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    with tree.uow() as uow:
        auth.disable(uow, username="wang")
        uow.commit()
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated):
            auth.principal_for_session(uow, token=s.token)
        with pytest.raises(NotAuthenticated):
            auth.sign_in(uow, username="wang", password=PASSWORD)


def test_set_role_moves_the_scope_and_ends_sessions(tree: Container) -> None:
    add_village_officer(tree)
    with tree.uow() as uow:
        s = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    with tree.uow() as uow:
        auth.set_role(uow, username="wang", role=Role.TOWNSHIP_OFFICER, unit_code="330281002")
        uow.commit()
    with tree.uow() as uow:
        with pytest.raises(NotAuthenticated):
            auth.principal_for_session(uow, token=s.token)
        p = auth.sign_in(uow, username="wang", password=PASSWORD).principal
    assert p.role == Role.TOWNSHIP_OFFICER and p.unit_path == "/330281/330281002/"


def test_bank_staff_get_default_scopes(tree: Container) -> None:
    with tree.uow() as uow:
        u = auth.create_user(
            uow,
            username="bank",
            display_name="农商银行",
            role=Role.BANK_STAFF,
            unit_code="330281",
            password=PASSWORD,
        )
        uow.commit()
    assert "credit:read" in u.scopes


def test_prune_removes_only_old_sessions(tree: Container, clock) -> None:  # noqa: ANN001
    add_village_officer(tree)
    with tree.uow() as uow:
        old = auth.sign_in(uow, username="wang", password=PASSWORD)
        uow.commit()
    clock.advance(days=40)
    with tree.uow() as uow:
        new = auth.sign_in(uow, username="wang", password=PASSWORD)
        counts = auth.prune(uow, keep_days=30)
        uow.commit()
    assert counts["sessions"] == 1
    with tree.uow() as uow:
        auth.principal_for_session(uow, token=new.token)
        with pytest.raises(NotAuthenticated):
            auth.principal_for_session(uow, token=old.token)


def test_one_address_trying_many_usernames_is_locked_out(tree: Container) -> None:
    add_village_officer(tree)
    for i in range(30):
        with tree.uow() as uow:
            with pytest.raises(NotAuthenticated):
                auth.sign_in(uow, username=f"guess{i}", password="guess guess guess", client="203.0.113.9")
            uow.commit()
    with tree.uow() as uow:
        with pytest.raises(RateLimited):
            auth.sign_in(uow, username="wang", password=PASSWORD, client="203.0.113.9")
        auth.sign_in(uow, username="wang", password=PASSWORD, client="198.51.100.1")  # others still can
