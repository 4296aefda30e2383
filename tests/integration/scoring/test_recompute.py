"""Bulk recompute (one SQL pass) against the reference computation, on both backends."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moralbank.ledger import service as ledger
from moralbank.ledger.domain import NewEntry
from moralbank.scoring import domain, repository, service

AS_OF = date(2026, 11, 25)
ASPECTS = ("SM", "PE", "FV", "PC")
_ids = count(1)


def entry(
    rid: str,
    points: int,
    days_ago: int,
    *,
    aspect: str = "SM",
    indicator: str = "SM01",
    expires_in: int | None = None,
    severity: str | None = None,
    reverses: int | None = None,
) -> NewEntry:
    deed = AS_OF - timedelta(days=days_ago)
    return NewEntry(
        resident_id=rid,
        indicator=indicator,
        aspect=aspect,
        points=points,
        deed_date=deed,
        source="correction" if reverses else "evaluation",
        actor="user:1",
        policy_version="1",
        reason="test",
        reverses_seq=reverses,
        severity=severity,
        expires_on=None if expires_in is None else AS_OF + timedelta(days=expires_in),
    )


def reference(uow, rid: str) -> domain.Score:  # noqa: ANN001
    return domain.compute(service.model(uow), rid, ledger.entries_of(uow, resident_id=rid), AS_OF)


def stored(uow, rid: str) -> tuple | None:  # noqa: ANN001
    """The stored record's values (None: never scored — no entries and not enrolled)."""
    s = repository.get(uow.db, rid)
    return None if s is None else (s.aspect_1, s.aspect_2, s.aspect_3, s.aspect_4, s.total, s.tier)


def as_tuple(s: domain.Score) -> tuple:
    return (*s.aspects, s.total, s.tier)


spec = st.tuples(
    st.integers(0, 3),  # resident
    st.integers(-12, 12).filter(bool),  # points
    st.integers(0, 1200),  # days ago
    st.sampled_from(ASPECTS),
    st.one_of(st.none(), st.integers(-400, 400)),  # expiry relative to as-of (negatives)
    st.sampled_from([None, "minor", "general", "serious"]),
    st.booleans(),  # reverse an earlier entry of this resident
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(spec, min_size=1, max_size=30))
def test_bulk_recompute_equals_reference_on_random_ledgers(container, specs) -> None:  # noqa: ANN001
    batch = next(_ids)
    rids = [f"P{batch:05d}X{i}" for i in range(4)]
    with container.uow() as uow:
        posted: dict[str, list[int]] = {r: [] for r in rids}
        for who, pts, ago, aspect, exp, sev, rev in specs:
            rid = rids[who]
            target = posted[rid][-1] if rev and posted[rid] else None
            e = entry(
                rid,
                pts,
                ago,
                aspect=aspect,
                indicator=aspect + "01",
                expires_in=exp if pts < 0 else None,
                severity=sev if pts < 0 else None,
                reverses=target,
            )
            posted[rid].extend(x.seq for x in ledger.post(uow, [e]))
        service.recompute(uow, full=True, as_of=AS_OF)
        base = as_tuple(domain.compute(service.model(uow), "X", [], AS_OF))
        for rid in rids:
            # A resident who is not enrolled and has no entry in effect gets no record (the base).
            assert (stored(uow, rid) or base) == as_tuple(reference(uow, rid)), rid
        uow.commit()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(spec, min_size=1, max_size=16), st.lists(spec, min_size=1, max_size=16), st.integers(0, 400))
def test_incremental_and_full_agree(container, first, second, later) -> None:  # noqa: ANN001
    batch = next(_ids)
    rids = [f"Q{batch:05d}X{i}" for i in range(4)]

    def post(specs) -> None:  # noqa: ANN001
        for who, pts, ago, aspect, exp, sev, _rev in specs:
            e = entry(
                rids[who],
                pts,
                ago,
                aspect=aspect,
                indicator=aspect + "01",
                expires_in=exp if pts < 0 else None,
                severity=sev if pts < 0 else None,
            )
            ledger.post(uow, [e])

    with container.uow() as uow:
        post(first)
        service.recompute(uow, full=True, as_of=AS_OF)
        post(second)
        day = AS_OF + timedelta(days=later)
        service.recompute(uow, full=False, as_of=day)
        base = as_tuple(domain.compute(service.model(uow), "X", [], day))
        incremental = {r: stored(uow, r) or base for r in rids}
        service.recompute(uow, full=True, as_of=day)
        assert {r: stored(uow, r) or base for r in rids} == incremental
        assert incremental == {
            r: as_tuple(domain.compute(service.model(uow), r, ledger.entries_of(uow, resident_id=r), day))
            for r in rids
        }
        uow.commit()


def test_score_record_states_policy_version_and_ledger_size(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        ledger.post(
            uow, [entry("RSIZE0001", 5, 10), entry("RSIZE0001", 5, 20, aspect="PE", indicator="PE01")]
        )
        run = service.recompute(uow, full=True, as_of=AS_OF)
        s = repository.get(uow.db, "RSIZE0001")
        assert s.total == 70 and s.tier == "standard"
        assert s.policy_version == "1" and s.ledger_seq == 2 and s.run_id == run.run_id
        uow.commit()


def test_incremental_run_touches_only_residents_with_new_entries(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        ledger.post(uow, [entry("RINCA0001", 5, 10), entry("RINCB0001", 5, 10)])
        service.recompute(uow, full=True, as_of=AS_OF)
        ledger.post(uow, [entry("RINCB0001", 3, 1)])
        run = service.recompute(uow, as_of=AS_OF)
        assert not run.full and run.residents == 1 and run.changed == 1
        assert stored(uow, "RINCB0001")[4] == 68
        uow.commit()


def test_positive_deed_leaves_the_window_and_incremental_run_notices(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        m = service.model(uow)
        ledger.post(uow, [entry("RWIN00001", 10, 0)])
        service.recompute(uow, full=True, as_of=AS_OF)
        assert stored(uow, "RWIN00001")[4] == 70
        end = domain.add_months(AS_OF, m.window_months)
        run = service.recompute(uow, as_of=end)
        assert run.residents == 1
        assert stored(uow, "RWIN00001")[4] == 60
        assert [t for _, t in service.history(uow, resident_id="RWIN00001")] == [70, 60]
        uow.commit()


def test_reversed_and_repaired_entries_do_not_count(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        [neg] = ledger.post(
            uow, [entry("RREV00001", -10, 5, indicator="SM09", expires_in=300, severity="general")]
        )
        ledger.post(uow, [entry("RREV00001", 4, 3)])
        service.recompute(uow, full=True, as_of=AS_OF)
        assert stored(uow, "RREV00001")[4] == 54
        repair = NewEntry(
            resident_id="RREV00001",
            indicator="SM09",
            aspect="SM",
            points=10,
            deed_date=AS_OF,
            source="repair",
            actor="user:2",
            policy_version="1",
            reason="credit repair granted",
            reverses_seq=neg.seq,
        )
        ledger.post(uow, [repair])
        service.recompute(uow, as_of=AS_OF)
        assert stored(uow, "RREV00001")[4] == 64
        uow.commit()


def test_aspect_cap_limits_what_one_aspect_adds(container) -> None:  # noqa: ANN001
    with container.uow() as uow:
        cap = service.model(uow).aspects[0].max_points
        ledger.post(uow, [entry("RCAP00001", 5, d) for d in range(1, 12)])  # 55 points in SM
        service.recompute(uow, full=True, as_of=AS_OF)
        assert stored(uow, "RCAP00001")[0] == cap
        assert stored(uow, "RCAP00001")[4] == 60 + cap
        uow.commit()
