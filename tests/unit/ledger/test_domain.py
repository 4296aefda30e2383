"""The canonical leaf encoding: deterministic, JCS-canonical, no personal data, round-trips."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moralbank.errors import InvalidInput
from moralbank.ledger import domain
from moralbank.ledger.domain import Entry, NewEntry

AT = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def entry(**kw) -> Entry:
    base = dict(
        seq=7,
        resident_id="R7K3Q9X2M4P0A",
        indicator="SG01",
        aspect="social_morality",
        points=-5,
        deed_date=date(2026, 11, 20),
        recorded_at=AT,
        source="department",
        actor="feed:taxation",
        policy_version="2026.1",
        reason="逾期未申报",
        source_ref="TAX-2026-001",
        evidence=("file:9",),
        reverses_seq=None,
        severity="general",
        expires_on=date(2027, 11, 20),
    )
    base.update(kw)
    return Entry(**base)


def test_the_leaf_is_exactly_the_documented_bytes() -> None:
    assert (
        entry().leaf()
        == (
            '{"actor":"feed:taxation","aspect":"social_morality","deed_date":"2026-11-20","evidence":["file:9"],'
            '"expires_on":"2027-11-20","indicator":"SG01","points":-5,"policy_version":"2026.1",'
            '"reason":"逾期未申报","recorded_at":"2026-11-25T02:00:00.000000Z","resident_id":"R7K3Q9X2M4P0A",'
            '"reverses_seq":null,"seq":7,"severity":"general","source":"department","source_ref":"TAX-2026-001",'
            '"v":1}'
        ).encode()
    )


texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=60)
@given(
    reason=texts,
    actor=texts,
    ref=st.none() | texts,
    evidence=st.lists(texts, max_size=3),
    points=st.integers(-1000, 1000),
    seq=st.integers(1, 10**12),
)
def test_the_leaf_is_canonical_json_and_round_trips(reason, actor, ref, evidence, points, seq) -> None:
    e = entry(reason=reason, actor=actor, source_ref=ref, evidence=tuple(evidence), points=points, seq=seq)
    leaf = e.leaf()
    # JCS for these values == sorted keys, no whitespace, UTF-8 literal text.
    assert (
        leaf
        == json.dumps(json.loads(leaf), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert domain.decode_leaf(leaf) == e


def test_a_leaf_that_is_not_canonical_is_refused() -> None:
    leaf = entry().leaf()
    with pytest.raises(InvalidInput):
        domain.decode_leaf(leaf.replace(b'"points":-5', b'"points": -5'))
    with pytest.raises(InvalidInput):
        domain.decode_leaf(leaf.replace(b'"v":1', b'"v":2'))


def new(**kw) -> NewEntry:
    base = dict(
        resident_id="R7K3Q9X2M4P0A",
        indicator="SG01",
        aspect="social_morality",
        points=3,
        deed_date=date(2026, 11, 20),
        source="evaluation",
        actor="user:3",
        policy_version="2026.1",
        reason="志愿服务",
    )
    base.update(kw)
    return NewEntry(**base)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"resident_id": "张三 330281199001011234"}, "resident_id"),
        ({"points": True}, "points"),
        ({"points": 2.0}, "points"),
        ({"indicator": 'SG"01'}, "indicator"),
        ({"source": "gift"}, "source"),
        ({"reason": "  "}, "reason"),
        ({"reason": "\ud800"}, "reason"),
        ({"source": "correction"}, "reverses_seq"),
        ({"deed_date": datetime(2026, 1, 1, tzinfo=UTC)}, "deed_date"),
    ],
)
def test_a_bad_entry_is_refused_with_the_field(change, field) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput) as err:
        domain.check([new(), new(**change)])
    assert [(p.row, p.field) for p in err.value.problems] == [(2, field)]


def test_a_good_batch_passes() -> None:
    domain.check([new(), new(points=-2, source="correction", reverses_seq=1, severity="minor")])


def test_a_batch_encodes_each_entry_as_it_would_alone() -> None:
    """``encode_leaves`` formats each distinct value once per batch; sharing must not leak between
    entries (None and values, repeated and distinct texts, evidence as tuple or list)."""
    batch = [
        entry(seq=1),
        entry(seq=2, source_ref=None, evidence=(), expires_on=None, severity=None, points=3),
        entry(seq=3, reason='引号 " 和 \\ 和\n换行', evidence=("a", "b\u0001"), reverses_seq=1),
        entry(seq=4, source_ref="TAX-2026-001", evidence=["file:9"], severity="minor"),
        entry(seq=5),
    ]
    leaves = domain.encode_leaves(batch)
    for e, leaf in zip(batch, leaves, strict=True):
        obj = {k: v for k, v in e._asdict().items()}
        obj.update(
            deed_date=e.deed_date.isoformat(),
            expires_on=e.expires_on and e.expires_on.isoformat(),
            recorded_at=domain.format_instant(e.recorded_at),
            evidence=list(e.evidence),
            v=1,
        )
        assert leaf == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert leaves[0] == leaves[4].replace(b'"seq":5', b'"seq":1')
