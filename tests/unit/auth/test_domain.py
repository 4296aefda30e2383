"""The access rules as a table: every role against objects in and out of its scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.auth.domain import (
    OTP_REQUESTS,
    STAFF_LOGIN,
    Action,
    Principal,
    Role,
    Target,
    Throttle,
    check_account,
    check_token,
    decide,
    normalise_phone,
    role_allowed,
)
from moralbank.errors import InvalidInput

CITY = "/330281/"
TOWN_A = "/330281/330281001/"
VILLAGE_A1 = "/330281/330281001/330281001001/"
GRID_A1 = "/330281/330281001/330281001001/330281001001-G01/"
GRID_A1_2 = "/330281/330281001/330281001001/330281001001-G02/"
GRID_A2 = "/330281/330281001/330281001002/330281001002-G01/"
GRID_B1 = "/330281/330281002/330281002001/330281002001-G01/"

MINE = Target("resident", GRID_A1, resident_id="RMINE")
SAME_VILLAGE_OTHER_GRID = Target("resident", GRID_A1_2, resident_id="RNEIGHBOUR")
OTHER_VILLAGE = Target("resident", GRID_A2, resident_id="RVILLAGE2")
OTHER_TOWN = Target("resident", GRID_B1, resident_id="RTOWN2")


def staff(role: Role, path: str | None) -> Principal:
    return Principal(kind="user", id="1", role=role, unit_path=path)


RESIDENT = Principal(kind="resident", id="RMINE", role=Role.RESIDENT, unit_path=GRID_A1, resident_id="RMINE")
BANK = Principal(kind="user", id="9", role=Role.BANK_STAFF, unit_path=CITY, scopes=frozenset({"credit:read"}))
FEED = Principal(
    kind="token",
    id="3",
    role=Role.DEPARTMENT_FEED,
    unit_path=CITY,
    scopes=frozenset({"feeds:push:social_security"}),
)

# (principal, target) -> (read allowed, write allowed)
CASES = [
    (staff(Role.CITY_ADMIN, None), OTHER_TOWN, True, True),
    (staff(Role.AUDITOR, None), OTHER_TOWN, True, False),
    (staff(Role.AUDITOR, TOWN_A), OTHER_VILLAGE, True, False),
    (staff(Role.AUDITOR, TOWN_A), OTHER_TOWN, False, False),
    (staff(Role.TOWNSHIP_OFFICER, TOWN_A), OTHER_VILLAGE, True, True),
    (staff(Role.TOWNSHIP_OFFICER, TOWN_A), OTHER_TOWN, False, False),
    (staff(Role.VILLAGE_OFFICER, VILLAGE_A1), SAME_VILLAGE_OTHER_GRID, True, True),
    (staff(Role.VILLAGE_OFFICER, VILLAGE_A1), OTHER_VILLAGE, False, False),
    (staff(Role.GRID_WORKER, GRID_A1), MINE, True, True),
    (staff(Role.GRID_WORKER, GRID_A1), SAME_VILLAGE_OTHER_GRID, False, False),
    (RESIDENT, MINE, True, True),
    (RESIDENT, SAME_VILLAGE_OTHER_GRID, False, False),
    (BANK, MINE, False, False),  # no consent stated
    (BANK, Target("resident", GRID_A1, resident_id="RMINE", consented=True), True, False),
    (FEED, MINE, False, False),
    (FEED, Target("resident", GRID_A1, resident_id="RMINE", consented=True), False, True),
]


@pytest.mark.parametrize(("principal", "target", "read", "write"), CASES)
def test_decide_table(principal: Principal, target: Target, read: bool, write: bool) -> None:
    assert bool(decide(principal, Action.READ, target)) is read
    assert bool(decide(principal, Action.WRITE, target)) is write


def test_a_village_path_prefix_does_not_cover_a_sibling_with_a_longer_code() -> None:
    # /…/330281001001/ must not cover /…/3302810010011/ — paths end with a slash for this reason.
    officer = staff(Role.VILLAGE_OFFICER, VILLAGE_A1)
    assert not officer.covers("/330281/330281001/3302810010011/")


def test_unscoped_officer_covers_nothing() -> None:
    assert not staff(Role.VILLAGE_OFFICER, None).covers(GRID_A1)


def test_partners_see_no_unit_data() -> None:
    assert not decide(BANK, Action.READ, Target("unit", CITY))


paths = st.lists(
    st.sampled_from(["330281", "330281001", "330281002", "330281001001", "G01", "G02"]),
    min_size=1,
    max_size=4,
).map(lambda parts: "/" + "/".join(parts) + "/")


@settings(max_examples=60)
@given(
    scope=paths,
    target=paths,
    role=st.sampled_from([Role.TOWNSHIP_OFFICER, Role.VILLAGE_OFFICER, Role.GRID_WORKER, Role.AUDITOR]),
)
def test_scoped_staff_never_reach_outside_their_subtree(scope: str, target: str, role: Role) -> None:
    p = staff(role, scope)
    decision = decide(p, Action.READ, Target("resident", target, resident_id="R1"))
    assert bool(decision) == target.startswith(scope)
    wrote = decide(p, Action.WRITE, Target("resident", target, resident_id="R1"))
    assert not (role == Role.AUDITOR and wrote)


@settings(max_examples=40)
@given(me=st.text("ABC", min_size=1, max_size=3), other=st.text("ABC", min_size=1, max_size=3))
def test_residents_reach_only_themselves(me: str, other: str) -> None:
    p = Principal(kind="resident", id=me, role=Role.RESIDENT, unit_path=GRID_A1, resident_id=me)
    for action in Action:
        assert bool(decide(p, action, Target("resident", GRID_A1, resident_id=other))) == (me == other)


def test_role_allowed_refuses_auditor_writes_and_partners_without_scope() -> None:
    roles = frozenset({Role.AUDITOR, Role.BANK_STAFF, Role.CITY_ADMIN})
    auditor = staff(Role.AUDITOR, None)
    assert role_allowed(auditor, roles, write=False)
    assert not role_allowed(auditor, roles, write=True)
    assert role_allowed(BANK, roles, write=False, scope="credit:read")
    assert not role_allowed(BANK, roles, write=False, scope="credit:decide")
    assert not role_allowed(RESIDENT, roles, write=False)
    # staff are governed by role, not scopes
    assert role_allowed(staff(Role.CITY_ADMIN, None), roles, write=True, scope="credit:decide")


def test_wildcard_scopes() -> None:
    p = Principal(kind="token", id="1", role=Role.DEPARTMENT_FEED, scopes=frozenset({"feeds:push:*"}))
    assert p.has_scope("feeds:push:tax")
    assert not p.has_scope("feeds:pull:tax")
    assert not FEED.has_scope("feeds:push:tax")
    assert FEED.has_scope("feeds:push:social_security")


def test_account_rules() -> None:
    check_account(
        username="wang.li", role=Role.VILLAGE_OFFICER, unit_level="village", has_unit=True, scopes=frozenset()
    )
    check_account(username="admin", role=Role.CITY_ADMIN, unit_level=None, has_unit=False, scopes=frozenset())
    with pytest.raises(InvalidInput, match="works at a village"):
        check_account(
            username="x1", role=Role.VILLAGE_OFFICER, unit_level="township", has_unit=True, scopes=frozenset()
        )
    with pytest.raises(InvalidInput, match="needs a unit"):
        check_account(
            username="x1", role=Role.GRID_WORKER, unit_level=None, has_unit=False, scopes=frozenset()
        )
    with pytest.raises(InvalidInput, match="username"):
        check_account(
            username="Bad Name", role=Role.CITY_ADMIN, unit_level=None, has_unit=False, scopes=frozenset()
        )
    with pytest.raises(InvalidInput, match="only partner"):
        check_account(
            username="x1",
            role=Role.CITY_ADMIN,
            unit_level=None,
            has_unit=False,
            scopes=frozenset({"credit:read"}),
        )


def test_token_rules() -> None:
    check_token(role=Role.DEPARTMENT_FEED, scopes=frozenset({"feeds:push:tax"}))
    with pytest.raises(InvalidInput, match="only pushes its interface"):
        check_token(role=Role.DEPARTMENT_FEED, scopes=frozenset({"credit:read"}))
    with pytest.raises(InvalidInput, match="partner systems"):
        check_token(role=Role.CITY_ADMIN, scopes=frozenset({"credit:read"}))
    with pytest.raises(InvalidInput, match="at least one scope"):
        check_token(role=Role.BANK_STAFF, scopes=frozenset())


def test_throttle_locks_after_the_limit_and_releases_after_the_window() -> None:
    now = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    fails = [now - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert STAFF_LOGIN.locked_until(fails, now) is None
    fails.append(now)
    until = STAFF_LOGIN.locked_until(fails, now)
    assert until == now - timedelta(minutes=4) + STAFF_LOGIN.window
    assert STAFF_LOGIN.locked_until(fails, until) is None
    assert OTP_REQUESTS.limit == 5


@settings(max_examples=50)
@given(offsets=st.lists(st.integers(0, 3600), max_size=12))
def test_throttle_never_locks_with_fewer_recent_failures_than_the_limit(offsets: list[int]) -> None:
    t = Throttle(limit=3, window=timedelta(minutes=10))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    fails = [now - timedelta(seconds=s) for s in offsets]
    recent = [f for f in fails if now - f < t.window]
    assert (t.locked_until(fails, now) is not None) == (len(recent) >= 3)


def test_phone_normalisation() -> None:
    assert normalise_phone("+86 138-0000-1234") == "13800001234"
    assert normalise_phone("008613800001234") == "13800001234"
    with pytest.raises(InvalidInput):
        normalise_phone("12345")
