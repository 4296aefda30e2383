"""The score rules, pure: what counts, caps, reasons, deeds that raise the score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from moralbank.scoring import domain as d

AS_OF = date(2026, 11, 25)
MODEL = d.ScoreModel(
    policy_version="1",
    aspects=tuple(d.Aspect(c, c + "zh", c + "en", 30) for c in ("SM", "PE", "FV", "PC")),
    tiers=(
        d.Tier("green", "绿码", "Green", 80),
        d.Tier("standard", "常规", "Standard", 60),
        d.Tier("attention", "关注", "Attention", 0),
    ),
    deeds=(
        d.Deed("SM01", "SM", "志愿服务", "Volunteer service", 5),
        d.Deed("PE02", "PE", "纳税", "Taxes", 5),
        d.Deed("FV03", "FV", "邻里互助", "Helping neighbours", 3),
    ),
    names={"PE04": ("合同违约", "Contract default"), "PC04": ("乱扔垃圾", "Littering")},
)


@dataclass
class E:
    seq: int
    points: int
    days_ago: int = 1
    aspect: str = "SM"
    indicator: str = "SM01"
    resident_id: str = "R1"
    source: str = "evaluation"
    reverses_seq: int | None = None
    severity: str | None = None
    expires_on: date | None = None

    @property
    def deed_date(self) -> date:
        return AS_OF - timedelta(days=self.days_ago)


def test_window_and_display_period() -> None:
    old = E(1, 5, days_ago=800)
    fresh = E(2, 5, days_ago=10)
    shown = E(3, -10, aspect="PE", indicator="PE04", expires_on=AS_OF + timedelta(days=1))
    over = E(4, -10, aspect="PE", indicator="PE04", expires_on=AS_OF)
    s = d.compute(MODEL, "R1", [old, fresh, shown, over], AS_OF)
    assert s.aspects == (5, -10, 0, 0) and s.total == 55 and s.tier == "attention"
    assert s.next_change == AS_OF + timedelta(days=1)


def test_negative_without_expiry_uses_its_severity_period() -> None:
    minor = E(1, -3, days_ago=100, severity="minor")  # 3 months: over
    general = E(2, -3, days_ago=100, severity="general")  # 12 months: shown
    assert d.compute(MODEL, "R1", [minor, general], AS_OF).total == 57


def test_reversal_pair_drops_out_both_ways() -> None:
    s = d.compute(MODEL, "R1", [E(1, -20), E(2, 20, reverses_seq=1, source="repair")], AS_OF)
    assert s.total == 60


def test_aspect_cap_and_scale_clamp() -> None:
    many = [E(i, 5, days_ago=i) for i in range(1, 12)]
    assert d.compute(MODEL, "R1", many, AS_OF).aspects[0] == 30
    crushed = [E(i, -50, aspect="PC", indicator="PC05", severity="serious", days_ago=i) for i in range(1, 4)]
    assert d.compute(MODEL, "R1", crushed, AS_OF).total == 0


def test_at_most_four_principal_reasons_heaviest_first() -> None:
    negs = [
        E(i, -i * 2, indicator=f"X{i}", aspect="PE", expires_on=AS_OF + timedelta(days=30))
        for i in range(1, 7)
    ]
    ex = d.explain(MODEL, "R1", negs, AS_OF)
    assert len(ex.reasons) == 4
    assert "X6" in ex.reasons[0] and "12" in ex.reasons[0]
    en = d.explain(
        MODEL,
        "R1",
        [E(1, -20, aspect="PE", indicator="PE04", expires_on=AS_OF + timedelta(days=9))],
        AS_OF,
        lang="en",
    )
    assert en.reasons[0].startswith("Negative record “Contract default”")


def test_no_reasons_at_the_top_tier_and_deeds_only_where_room_is_left() -> None:
    top = [E(i, 5, days_ago=i, aspect=a) for i, a in enumerate(["SM"] * 6 + ["PE"] * 2, 1)]
    ex = d.explain(MODEL, "R1", top, AS_OF)
    assert ex.score.tier == "green" and ex.reasons == ()
    assert [x.code for x in ex.raise_by] == ["PE02", "FV03"]  # SM is at its cap


def test_dropped_tier() -> None:
    assert d.dropped_tier(MODEL, "green", "standard") and not d.dropped_tier(MODEL, "standard", "green")
    assert not d.dropped_tier(MODEL, None, "attention")


def test_add_months_clips_to_month_end() -> None:
    assert d.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert d.add_months(date(2026, 11, 25), -24) == date(2024, 11, 25)


@given(
    st.lists(
        st.tuples(st.integers(-30, 30), st.integers(0, 900), st.sampled_from(["SM", "PE", "FV", "PC"])),
        max_size=40,
    )
)
def test_total_is_always_on_the_scale_and_matches_the_tier(specs: list) -> None:
    s = d.compute(
        MODEL, "R1", [E(i, p, days_ago=a, aspect=asp) for i, (p, a, asp) in enumerate(specs, 1)], AS_OF
    )
    assert MODEL.min <= s.total <= MODEL.max
    assert s.tier == ("green" if s.total >= 80 else "standard" if s.total >= 60 else "attention")
    assert all(v <= 30 for v in s.aspects)


def test_timeline_keeps_a_days_last_value_and_ends_on_the_score() -> None:
    score = d.Score("R1", AS_OF, "1", (5, 0, 0, 0), 93, "green", None)
    history = [
        (AS_OF - timedelta(days=9), 70),
        (AS_OF - timedelta(days=9), 75),  # a second run that day
        (AS_OF - timedelta(days=2), 80),
        (AS_OF, 88),  # today's run, before a deed posted later today
    ]
    assert d.timeline(history, score) == [
        (AS_OF - timedelta(days=9), 75),
        (AS_OF - timedelta(days=2), 80),
        (AS_OF, 93),
    ]
    assert d.timeline([], score) == [(AS_OF, 93)]
